import { describe, expect, it } from '@jest/globals';
import type { ICommand } from '@nestjs/cqrs';
import { defineSaga, send, type SagaDefinition } from '../definition/saga-definition.js';
import { checkDefinition } from '../runtime/saga-contract-check.js';
import { isParked } from './saga-parking.js';
import type { SagaState, Transition } from './saga-state.js';
import { SagaTransitions } from './saga-transitions.js';

class Cmd implements ICommand {
  constructor(public readonly name: string) {}
}
class Done {
  constructor(public readonly sagaId: string) {}
}
class Reviewed {
  constructor(public readonly sagaId: string) {}
}

interface Data {
  total: number;
  note?: string;
}

const HOUR = 3_600_000;
const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

/** reserve (undo: release) -> review (a wait, when total >= 100) -> charge (undo: refund) -> ship. */
function order(wait: Partial<NonNullable<SagaDefinition<Data>['steps'][number]['wait']>> = {}): SagaDefinition<Data> {
  return defineSaga<Data>({
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
        name: 'review',
        when: (c) => c.data.total >= 100,
        completedBy: [Reviewed],
        wait: {
          signal: 'review',
          timeoutMs: 48 * HOUR,
          decide: (payload, data) =>
            (payload as { decision: string }).decision === 'approve'
              ? { outcome: 'complete', data: { ...data, note: 'approved' } }
              : { outcome: 'fail', reason: 'review rejected' },
          ...wait,
        },
      },
      {
        name: 'charge',
        command: send(Cmd, () => ['charge']),
        completedBy: [Done],
        compensation: send(Cmd, () => ['refund']),
        compensatedBy: [Done],
      },
      { name: 'ship', command: send(Cmd, () => ['ship']), completedBy: [Done], nonCompensable: true },
    ],
  });
}

const rulesFor = (d: SagaDefinition<Data>) =>
  new SagaTransitions(d, { timeoutMs: 1_000, retry: { maxAttempts: 2, backoffBaseMs: 100, backoffMaxMs: 400, nonRetryableErrors: [] } });
const rules = rulesFor(order());

function stored(t: Transition<Data> | null): SagaState<Data> {
  if (!t) throw new Error('expected a transition');
  return { ...t.state, version: t.state.version + 1, historySeq: t.state.historySeq + t.history.length };
}

const started = (total = 500, r = rules) => stored(r.start({ id: 's1', correlationId: 'o1', data: { total }, definitionHash: 'h' }, T0));
/** Reserved at 10 ms: the saga now waits at review (total >= 100). */
const waiting = (r = rules) => stored(r.completeStep(started(500, r), 0, at(10)));

describe('SagaTransitions: waits', () => {
  it('when the saga reaches a wait, it waits with an absolute deadline, holds no lease (parked) and sends nothing', () => {
    const t = rules.completeStep(started(), 0, at(10));
    const s = stored(t);
    expect(t?.actions).toEqual([]);
    expect(s.steps[1]).toMatchObject({ status: 'WAITING', waitDeadline: at(10 + 48 * HOUR).toISOString() });
    expect(s.dueAt).toEqual(at(10 + 48 * HOUR));
    expect(isParked(s)).toBe(true);
    // Nothing moves the deadline: a lease lapse, an outage, a restart (no resume of a wait).
    expect(rules.resume(s, 'other', at(20_000), true)).toBeNull();
    expect(rules.deadlinePassedInOutage(s, at(0), at(20_000))).toBeNull();
  });

  it('when the signal comes, the wait ends by its decision: approve goes on to the next step with the folded data', () => {
    const r = rules.signal(waiting(), 'review', { decision: 'approve' }, at(1_000));
    expect(r.outcome).toBe('applied');
    const s = stored(r.transition);
    expect(s.steps[1]).toMatchObject({ status: 'COMPLETED', signalled: true });
    expect(s.steps[1].waitDeadline).toBeUndefined();
    expect(s.data.note).toBe('approved');
    expect(r.transition.actions).toEqual([{ kind: 'execute', stepIndex: 2, attempt: 1 }]);
    expect(isParked(s)).toBe(false);
  });

  it('a rejecting decision compensates what came before, with the reason', () => {
    const s = stored(rules.signal(waiting(), 'review', { decision: 'reject' }, at(1_000)).transition);
    expect(s.status).toBe('COMPENSATING');
    expect(s.failureReason).toBe('review failed: review rejected');
    expect(s.steps[0].status).toBe('COMPENSATING');
  });

  it('a signal that arrives before the saga reaches the wait is kept, and consumed when it gets there', () => {
    const early = rules.signal(started(), 'review', { decision: 'approve' }, at(5));
    expect(early.outcome).toBe('kept');
    const s = stored(early.transition);
    expect(s.steps[1].keptSignal).toEqual({ payload: { decision: 'approve' }, at: at(5).toISOString() });
    expect(s.steps[0].status).toBe('EXECUTING');
    const reached = rules.completeStep(s, 0, at(10));
    expect(stored(reached).steps[1]).toMatchObject({ status: 'COMPLETED', signalled: true });
    expect(reached?.actions).toEqual([{ kind: 'execute', stepIndex: 2, attempt: 1 }]);
  });

  it('a duplicate, late or unknown signal changes nothing but the history, and says why', () => {
    const applied = stored(rules.signal(waiting(), 'review', { decision: 'approve' }, at(1_000)).transition);
    const expectUnchanged = (before: SagaState<Data>, r: ReturnType<typeof rules.signal>, outcome: string) => {
      expect(r.outcome).toBe(outcome);
      expect(r.transition.actions).toEqual([]);
      expect(r.transition.state.steps).toEqual(before.steps);
      expect(r.transition.state.status).toBe(before.status);
      expect(r.transition.history).toEqual([expect.objectContaining({ reason: r.reason })]);
    };
    expectUnchanged(applied, rules.signal(applied, 'review', { decision: 'reject' }, at(2_000)), 'duplicate');
    const kept = stored(rules.signal(started(), 'review', {}, at(5)).transition);
    expectUnchanged(kept, rules.signal(kept, 'review', {}, at(6)), 'duplicate');
    const timedOut = stored(rules.deadlinePassed(waiting(), at(10 + 48 * HOUR)));
    expectUnchanged(timedOut, rules.signal(timedOut, 'review', { decision: 'approve' }, at(10 + 49 * HOUR)), 'late');
    expectUnchanged(applied, rules.signal(applied, 'nope', {}, at(2_000)), 'unknown');
    expect(rules.signal(applied, 'nope', {}, at(2_000)).reason).toBe(
      'signal "nope" unknown: no step of order waits for it; nothing changed',
    );
  });

  it('at the deadline the saga compensates, and its failure reason names the timeout', () => {
    const s = stored(rules.deadlinePassed(waiting(), at(10 + 48 * HOUR)));
    expect(s.status).toBe('COMPENSATING');
    expect(s.failureReason).toBe('review failed: review timed out after 48 h without the signal "review"');
  });

  it('a timeout path goes on at the named step, skipping the steps between', () => {
    const r = rulesFor(order({ onTimeout: { goTo: 'ship' } }));
    const t = r.deadlinePassed(waiting(r), at(10 + 48 * HOUR));
    const s = stored(t);
    expect(s.steps.map((x) => x.status)).toEqual(['COMPLETED', 'FAILED', 'SKIPPED', 'EXECUTING']);
    expect(t?.actions).toEqual([{ kind: 'execute', stepIndex: 3, attempt: 1 }]);
    expect(s.status).toBe('RUNNING');
  });

  it('a reminder goes out once, before the deadline, which it does not move', () => {
    const r = rulesFor(order({ remind: { afterMs: 24 * HOUR, command: send(Cmd, () => ['remind']) } }));
    const w = waiting(r);
    expect(w.dueAt).toEqual(at(10 + 24 * HOUR));
    const reminded = r.deadlinePassed(w, at(10 + 24 * HOUR));
    expect(reminded?.actions).toEqual([{ kind: 'remind', stepIndex: 1, attempt: 1 }]);
    const s = stored(reminded);
    expect(s.dueAt).toEqual(at(10 + 48 * HOUR));
    expect(s.steps[1].remindAt).toBeUndefined();
    expect(stored(r.deadlinePassed(s, at(10 + 48 * HOUR))).status).toBe('COMPENSATING');
  });

  it('a reply event named by the wait step ends it too', () => {
    const s = stored(rules.completeStep(waiting(), 1, at(500)));
    expect(s.steps[1].status).toBe('COMPLETED');
    expect(s.steps[2].status).toBe('EXECUTING');
  });

  it('an abort during a wait compensates what came before, and not the wait', () => {
    const s = stored(rules.abort(waiting(), 'operator', at(500)));
    expect(s.steps.slice(0, 2).map((x) => x.status)).toEqual(['COMPENSATING', 'FAILED']);
  });
});

describe('SagaTransitions: conditions', () => {
  it('a step whose condition does not hold is skipped, the history says so, and it is never compensated', () => {
    const t = rules.completeStep(started(50), 0, at(10));
    const s = stored(t);
    expect(s.steps[1].status).toBe('SKIPPED');
    expect(t?.history).toContainEqual({ step: 'review', from: 'PENDING', to: 'SKIPPED', reason: 'skipped: its condition does not hold' });
    expect(t?.actions).toEqual([{ kind: 'execute', stepIndex: 2, attempt: 1 }]);
    const failed = stored(rules.failStep(s, 2, 'declined', at(20)));
    expect(failed.steps.map((x) => x.status)).toEqual(['COMPENSATING', 'SKIPPED', 'FAILED', 'PENDING']);
  });
});

describe('the boot check on waits', () => {
  it('refuses a wait that sends a command, waits for nothing, has no deadline, reminds late, or jumps backwards', () => {
    const bad = defineSaga<Data>({
      type: 'bad',
      steps: [
        { name: 'first', command: send(Cmd, () => ['x']), completedBy: [Done], nonCompensable: true },
        { name: 'w1', command: send(Cmd, () => ['y']), completedBy: [Done], wait: { signal: 's', timeoutMs: 0 } },
        { name: 'w2', wait: { timeoutMs: 10, onTimeout: { goTo: 'first' }, remind: { afterMs: 20, command: send(Cmd, () => ['r']) } } },
        { name: 'w3', wait: { signal: 's', timeoutMs: 10 } },
      ],
    });
    expect(checkDefinition(bad, new Set([Cmd]))).toEqual([
      'bad / w1: waits, so it sends no command: drop the command or the wait',
      'bad / w1: wait.timeoutMs must be a positive number',
      'bad / w2: waits for nothing: name a signal, or completedBy / failedBy events',
      'bad / w2: wait.remind.afterMs must be positive and before the deadline',
      'bad / w2: wait.onTimeout.goTo "first" must name a later step',
      'bad: more than one step waits for the signal "s"',
    ]);
    expect(checkDefinition(order(), new Set([Cmd]))).toEqual([]);
  });
});
