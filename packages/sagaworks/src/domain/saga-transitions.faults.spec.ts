import { describe, expect, it } from '@jest/globals';
import type { ICommand } from '@nestjs/cqrs';
import { defineSaga, send } from '../definition/saga-definition.js';
import { checkDefinition } from '../runtime/saga-contract-check.js';
import { SagaTransitions } from './saga-transitions.js';
import type { SagaState, Transition } from './saga-state.js';

class Cmd implements ICommand {
  constructor(public readonly name: string) {}
}
class Refused {
  constructor(
    public readonly sagaId: string,
    public readonly reason: string,
  ) {}
}
class Done {
  constructor(public readonly sagaId: string) {}
}

/** reserve (undo: release) -> charge (undo: refund) -> confirm, past the point of no return. */
const definition = defineSaga<object>({
  type: 'order',
  steps: [
    {
      name: 'reserve',
      command: send(Cmd, () => ['reserve']),
      completedBy: [Done],
      compensation: send(Cmd, () => ['release']),
      compensatedBy: [Done],
    },
    {
      name: 'charge',
      command: send(Cmd, () => ['charge']),
      completedBy: [Done],
      compensation: send(Cmd, () => ['refund']),
      compensatedBy: [Done],
    },
    { name: 'confirm', command: send(Cmd, () => ['confirm']), completedBy: [Done], forwardOnly: true },
  ],
});

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const rules = new SagaTransitions(definition, {
  timeoutMs: 1_000,
  retry: { maxAttempts: 2, backoffBaseMs: 100, backoffMaxMs: 400, nonRetryableErrors: [] },
});

function stored(t: Transition<object> | null): SagaState<object> {
  if (!t) throw new Error('expected a transition');
  return { ...t.state, version: t.state.version + 1, historySeq: t.state.historySeq + t.history.length };
}

const started = () => stored(rules.start({ id: 's1', correlationId: 'o1', data: {}, definitionHash: 'h' }, T0));

/** A saga whose reserve and charge completed: it now runs `confirm`. */
function atConfirm(): SagaState<object> {
  let s = started();
  s = stored(rules.completeStep(s, 0, at(10)));
  return stored(rules.completeStep(s, 1, at(20)));
}

describe('SagaTransitions under infrastructure faults', () => {
  it('when a handler meets an infrastructure fault, no attempt is spent, nothing is compensated, and the same attempt goes out again after the wait', () => {
    const s = stored(rules.infrastructureFault(started(), 0, false, 'QueryFailedError (25006)', at(100)));
    expect(s.status).toBe('RUNNING');
    expect(s.steps[0]).toMatchObject({
      status: 'EXECUTING',
      attempts: 1,
      awaitingRetry: true,
      awaitingInfrastructure: true,
      infrastructureWaits: 1,
    });
    expect(s.dueAt).toEqual(at(350));
    const again = rules.deadlinePassed(s, at(350));
    expect(again?.actions).toEqual([{ kind: 'execute', stepIndex: 0, attempt: 1 }]);
    expect(again?.state.steps[0].attempts).toBe(1);
    expect(again?.state.dueAt).toEqual(at(1_350));
  });

  it('when the fault lasts, the wait doubles up to the cap and the saga never fails, however many times it meets it', () => {
    let s = started();
    const waits: number[] = [];
    let now = 0;
    for (let i = 0; i < 30; i++) {
      s = stored(rules.infrastructureFault(s, 0, false, 'QueryFailedError (57P01)', at(now)));
      waits.push(s.dueAt!.getTime() - at(now).getTime());
      now = s.dueAt!.getTime() - T0.getTime();
      s = stored(rules.deadlinePassed(s, at(now)));
    }
    expect(waits.slice(0, 6)).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000]);
    expect(Math.max(...waits)).toBe(5_000);
    expect(s.status).toBe('RUNNING');
    expect(s.steps[0]).toMatchObject({ status: 'EXECUTING', attempts: 1 });
    // The answer, when it comes, completes the step and clears the fault's bookkeeping.
    const done = stored(rules.completeStep(s, 0, at(now + 10)));
    expect(done.steps[0].infrastructureWaits).toBeUndefined();
    expect(done.steps[0].awaitingInfrastructure).toBeUndefined();
  });

  it('when a compensation meets an infrastructure fault, the saga does not end FAILED', () => {
    let s = stored(rules.completeStep(started(), 0, at(10)));
    s = stored(rules.failStep(s, 1, 'declined', at(20)));
    expect(s.status).toBe('COMPENSATING');
    for (let i = 0; i < 10; i++) {
      s = stored(rules.infrastructureFault(s, 0, true, 'QueryFailedError (25006)', at(100 + i * 10_000)));
      s = stored(rules.deadlinePassed(s, s.dueAt!));
    }
    expect(s.status).toBe('COMPENSATING');
    expect(s.steps[0]).toMatchObject({ status: 'COMPENSATING', compensationAttempts: 1 });
  });

  it('when a deadline passed while the database could not be reached, the same attempt goes out again, unspent', () => {
    const s = started(); // deadline at 1 000 ms
    const again = stored(rules.deadlinePassedInOutage(s, at(500), at(9_000)));
    expect(again.steps[0]).toMatchObject({ status: 'EXECUTING', attempts: 1, infrastructureWaits: 1 });
    expect(again.dueAt).toEqual(at(10_000));
    expect(rules.deadlinePassedInOutage(s, at(500), at(9_000))?.actions).toEqual([{ kind: 'execute', stepIndex: 0, attempt: 1 }]);
    // The next deadline, with the database reachable again, counts as usual.
    expect(stored(rules.deadlinePassed(again, at(10_000))).steps[0]).toMatchObject({
      awaitingRetry: true,
      error: expect.stringMatching(/^attempt 1 timed out/),
    });
  });

  it('a deadline that passed before the outage began, or one not yet passed, is not excused by the outage', () => {
    const s = started();
    expect(rules.deadlinePassedInOutage(s, at(2_000), at(9_000))).toBeNull();
    expect(rules.deadlinePassedInOutage(s, at(0), at(900))).toBeNull();
    // A step waiting out a backoff spends nothing at its deadline anyway: left to deadlinePassed.
    const waiting = stored(rules.attemptFailed(s, 0, false, 'boom', true, at(10)));
    expect(rules.deadlinePassedInOutage(waiting, at(0), at(9_000))).toBeNull();
  });

  it('a deadline that passed while its command waited undelivered sends the same attempt again, in words of why', () => {
    const s = started();
    const why = 'its command was still waiting in the queue of a service that is down';
    const t = rules.deadlinePassedUnspent(s, why, at(1_500));
    expect(t?.actions).toEqual([{ kind: 'execute', stepIndex: 0, attempt: 1 }]);
    expect(t?.history.map((h) => h.reason)).toEqual([`attempt 1: its deadline passed while ${why}; sent again, unspent`]);
    expect(stored(t).steps[0]).toMatchObject({ status: 'EXECUTING', attempts: 1, infrastructureWaits: 1 });
    expect(rules.deadlinePassedUnspent(s, why, at(900))).toBeNull();
  });

  it('when a duplicate fault arrives while the step already waits, it changes nothing', () => {
    const s = stored(rules.infrastructureFault(started(), 0, false, 'x', at(100)));
    expect(rules.infrastructureFault(s, 0, false, 'x', at(110))).toBeNull();
  });
});

describe('SagaTransitions past the point of no return', () => {
  it('when a forward-only step times out past its attempts, it is retried, and nothing before it is compensated', () => {
    let s = atConfirm();
    for (let i = 0; i < 8; i++) s = stored(rules.deadlinePassed(s, s.dueAt!));
    expect(s.status).toBe('RUNNING');
    expect(s.steps.map((x) => x.status)).toEqual(['COMPLETED', 'COMPLETED', 'EXECUTING']);
    expect(s.steps[2].attempts).toBeGreaterThan(2);
  });

  it('when a forward-only step throws, even a non-retryable error, it is retried and never rolls back', () => {
    let s = atConfirm();
    s = stored(rules.attemptFailed(s, 2, false, 'boom', false, at(30)));
    expect(s.status).toBe('RUNNING');
    expect(s.steps[2]).toMatchObject({ status: 'EXECUTING', awaitingRetry: true });
    s = stored(rules.deadlinePassed(s, s.dueAt!));
    expect(s.steps[2].attempts).toBe(2);
  });

  it('an abort is refused there, and its plan is empty', () => {
    const s = atConfirm();
    expect(rules.abort(s, 'operator', at(30))).toBeNull();
    expect(rules.compensationPlan(s)).toEqual([]);
  });

  it('the boot check refuses a forward-only step that can fail, has a compensation, or is followed by a step that is not forward-only', () => {
    const bad = defineSaga({
      type: 'bad',
      steps: [
        {
          name: 'one',
          command: send(Cmd, () => ['1']),
          completedBy: [Done],
          failedBy: [Refused],
          forwardOnly: true,
          compensation: send(Cmd, () => ['u']),
          compensatedBy: [Done],
        },
        { name: 'two', command: send(Cmd, () => ['2']), completedBy: [Done], nonCompensable: true },
      ],
    });
    expect(checkDefinition(bad, new Set([Cmd]))).toEqual([
      'bad / one: is forward-only but names failedBy events: past the point of no return a step cannot fail',
      'bad / one: is forward-only but has a compensation',
      'bad / two: follows the forward-only step one, so it must be forward-only too',
    ]);
    expect(checkDefinition(definition, new Set([Cmd]))).toEqual([]);
  });
});
