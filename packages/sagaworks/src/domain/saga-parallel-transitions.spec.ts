import { describe, expect, it } from '@jest/globals';
import type { ICommand } from '@nestjs/cqrs';
import { defineSaga, send, type SagaStepDefinition } from '../definition/saga-definition.js';
import type { SagaState, Transition } from './saga-state.js';
import { checkDefinition } from '../runtime/saga-contract-check.js';
import { SagaTransitions } from './saga-transitions.js';

class Cmd implements ICommand {
  constructor(public readonly name: string) {}
}
class Done {
  constructor(public readonly sagaId: string) {}
}

/** Each branch has reply classes of its own, so a reply says which branch it answers. */
const branch = (name: string, extra: Partial<SagaStepDefinition<object>> = {}): SagaStepDefinition<object> => {
  const Replied = class extends Done {};
  const Undone = class extends Done {};
  return {
    name,
    command: send(Cmd, () => [name]),
    completedBy: [Replied],
    compensation: send(Cmd, () => [`undo ${name}`]),
    compensatedBy: [Undone],
    ...extra,
  };
};

/** quote -> book { flight, hotel, car } in parallel -> pay. */
const trip = defineSaga<object>({
  type: 'trip',
  steps: [
    branch('quote'),
    { name: 'book', parallel: [branch('flight'), branch('hotel', { timeoutMs: 3_000 }), branch('car')] },
    { name: 'pay', command: send(Cmd, () => ['pay']), completedBy: [Done], nonCompensable: true },
  ],
});

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const rules = new SagaTransitions(trip, {
  timeoutMs: 1_000,
  retry: { maxAttempts: 2, backoffBaseMs: 100, backoffMaxMs: 400, nonRetryableErrors: [] },
});

function stored(t: Transition<object> | null): SagaState<object> {
  if (!t) throw new Error('expected a transition');
  return { ...t.state, version: t.state.version + 1, historySeq: t.state.historySeq + t.history.length };
}
const FLIGHT = 0;
const HOTEL = 1;
const CAR = 2;
const branches = (s: SagaState<object>) => (s.steps[1].branches ?? []).map((b) => `${b.name}:${b.status}`);

/** Quoted at 10 ms: the three bookings are out. */
function booking(): { s: SagaState<object>; t: Transition<object> } {
  const s0 = stored(rules.start({ id: 's1', correlationId: 't1', data: {}, definitionHash: 'h' }, T0));
  const t = rules.completeStep(s0, 0, at(10)) as Transition<object>;
  return { s: stored(t), t };
}

describe('SagaTransitions: parallel stages', () => {
  it('starts every branch together, each with its own deadline; the saga is due at the earliest', () => {
    const { s, t } = booking();
    expect(t.actions).toEqual([
      { kind: 'execute', stepIndex: 1, branch: FLIGHT, attempt: 1 },
      { kind: 'execute', stepIndex: 1, branch: HOTEL, attempt: 1 },
      { kind: 'execute', stepIndex: 1, branch: CAR, attempt: 1 },
    ]);
    expect(branches(s)).toEqual(['flight:EXECUTING', 'hotel:EXECUTING', 'car:EXECUTING']);
    expect(s.steps[1].branches?.[HOTEL].dueAt).toBe(at(3_010).toISOString());
    expect(s.dueAt).toEqual(at(1_010));
  });

  it('joins when every branch has completed, in any order, then goes on', () => {
    let { s } = booking();
    s = stored(rules.completeBranch(s, 1, CAR, at(20)));
    s = stored(rules.completeBranch(s, 1, FLIGHT, at(30)));
    expect(s.steps[1].status).toBe('EXECUTING');
    expect(rules.completeBranch(s, 1, CAR, at(31))).toBeNull(); // a duplicate reply changes nothing
    const joined = rules.completeBranch(s, 1, HOTEL, at(40));
    expect(stored(joined).steps[1].status).toBe('COMPLETED');
    expect(joined?.actions).toEqual([{ kind: 'execute', stepIndex: 2, attempt: 1 }]);
  });

  it('when a branch fails, the completed ones are compensated in reverse order of completion, then the steps before', () => {
    let { s } = booking();
    s = stored(rules.completeBranch(s, 1, CAR, at(20)));
    s = stored(rules.completeBranch(s, 1, FLIGHT, at(30)));
    const failed = rules.failBranch(s, 1, HOTEL, 'no rooms', at(40));
    s = stored(failed);
    expect(s.status).toBe('COMPENSATING');
    expect(s.failureReason).toBe('hotel failed: no rooms');
    // flight completed last: undone first
    expect(failed?.actions).toEqual([{ kind: 'compensate', stepIndex: 1, branch: FLIGHT, attempt: 1 }]);
    const second = rules.completeBranchCompensation(s, 1, FLIGHT, at(50));
    expect(second?.actions).toEqual([{ kind: 'compensate', stepIndex: 1, branch: CAR, attempt: 1 }]);
    const last = rules.completeBranchCompensation(stored(second), 1, CAR, at(60));
    expect(last?.actions).toEqual([{ kind: 'compensate', stepIndex: 0, attempt: 1 }]);
    s = stored(rules.completeCompensation(stored(last), 0, at(70)));
    expect(s.status).toBe('COMPENSATED');
    expect(branches(s)).toEqual(['flight:COMPENSATED', 'hotel:FAILED', 'car:COMPENSATED']);
  });

  it('a branch still running when its stage fails is compensated when its reply comes', () => {
    let { s } = booking();
    s = stored(rules.failBranch(s, 1, HOTEL, 'no rooms', at(20)));
    // flight and car still run: the stage waits for them before the steps before it are undone
    expect(s.steps[1].status).toBe('COMPENSATING');
    const lateFlight = rules.completeBranch(s, 1, FLIGHT, at(30));
    expect(lateFlight?.actions).toEqual([{ kind: 'compensate', stepIndex: 1, branch: FLIGHT, attempt: 1 }]);
    s = stored(rules.completeBranchCompensation(stored(lateFlight), 1, FLIGHT, at(40)));
    // the car refused: it took no effect
    const carRefused = rules.failBranch(s, 1, CAR, 'sold out', at(50));
    expect(carRefused?.actions).toEqual([{ kind: 'compensate', stepIndex: 0, attempt: 1 }]);
  });

  it('... or at its deadline, as possibly done', () => {
    let { s } = booking();
    s = stored(rules.failBranch(s, 1, FLIGHT, 'no seats', at(20)));
    s = stored(rules.failBranch(s, 1, CAR, 'sold out', at(25)));
    // the hotel never answers; at its deadline it counts as possibly done and is compensated
    const due = rules.deadlinePassed(s, at(3_010));
    expect(due?.actions).toEqual([{ kind: 'compensate', stepIndex: 1, branch: HOTEL, attempt: 1 }]);
    expect(stored(due).steps[1].branches?.[HOTEL]).toMatchObject({ status: 'COMPENSATING', outcomeUnknown: true });
  });

  it('each branch retries on its own deadline; exhausting its attempts fails the stage', () => {
    let { s } = booking();
    s = stored(rules.completeBranch(s, 1, HOTEL, at(20)));
    s = stored(rules.deadlinePassed(s, at(1_010))); // flight and car time out: backoff
    expect(s.steps[1].branches?.[FLIGHT]).toMatchObject({ status: 'EXECUTING', awaitingRetry: true, attempts: 1 });
    const retry = rules.deadlinePassed(s, s.dueAt!);
    expect(retry?.actions).toEqual([
      { kind: 'execute', stepIndex: 1, branch: FLIGHT, attempt: 2 },
      { kind: 'execute', stepIndex: 1, branch: CAR, attempt: 2 },
    ]);
    s = stored(rules.completeBranch(stored(retry), 1, CAR, at(1_200)));
    const exhausted = rules.deadlinePassed(s, s.dueAt!);
    s = stored(exhausted);
    expect(s.failureReason).toBe('flight failed: flight timed out after 2 attempts');
    // the flight may have gone through (it timed out, the latest to settle): undone first, then the car
    expect(exhausted?.actions).toEqual([{ kind: 'compensate', stepIndex: 1, branch: FLIGHT, attempt: 1 }]);
    s = stored(rules.completeBranchCompensation(s, 1, FLIGHT, at(3_000)));
    expect(s.steps[1].branches?.map((b) => b.status)).toEqual(['COMPENSATED', 'COMPLETED', 'COMPENSATING']);
  });

  it('a branch handler error is retried; an infrastructure fault spends nothing; a lapsed lease resends what is in flight', () => {
    const { s } = booking();
    const threw = stored(rules.branchAttemptFailed(s, 1, CAR, false, 'boom', true, false, at(20)));
    expect(threw.steps[1].branches?.[CAR]).toMatchObject({ awaitingRetry: true, attempts: 1 });
    const fault = stored(rules.branchAttemptFailed(s, 1, FLIGHT, false, 'the database is read-only (25006)', true, true, at(20)));
    expect(fault.steps[1].branches?.[FLIGHT]).toMatchObject({ awaitingInfrastructure: true, attempts: 1, infrastructureWaits: 1 });
    const resumed = rules.resume(s, 'node-b', at(500), true);
    expect(resumed?.actions.map((a) => a.branch)).toEqual([FLIGHT, HOTEL, CAR]);
    expect(resumed?.actions.every((a) => a.attempt === 1)).toBe(true);
  });

  it('an abort stops the stage: running branches are compensated when they answer', () => {
    const { s } = booking();
    const aborted = stored(rules.abort(s, 'customer asked', at(20)));
    expect(aborted.status).toBe('COMPENSATING');
    expect(aborted.steps[1].status).toBe('COMPENSATING');
    expect(rules.completeBranch(aborted, 1, HOTEL, at(30))?.actions).toEqual([
      { kind: 'compensate', stepIndex: 1, branch: HOTEL, attempt: 1 },
    ]);
  });

  it('a later step failing undoes the stage after it, branch by branch', () => {
    let { s } = booking();
    for (const b of [HOTEL, FLIGHT, CAR]) s = stored(rules.completeBranch(s, 1, b, at(20 + b)));
    const payFailed = rules.failStep(s, 2, 'card declined', at(100));
    // the car completed last
    expect(payFailed?.actions).toEqual([{ kind: 'compensate', stepIndex: 1, branch: CAR, attempt: 1 }]);
  });
});

describe('the boot check on parallel stages', () => {
  class Booked {
    constructor(public readonly sagaId: string) {}
  }
  it('refuses a stage with a command of its own, a branch without one, and branches that share a reply class', () => {
    const bad = defineSaga<object>({
      type: 'bad',
      steps: [
        {
          name: 'book',
          command: send(Cmd, () => ['x']),
          completedBy: [Done],
          nonCompensable: true,
          parallel: [
            { name: 'flight', command: send(Cmd, () => ['f']), completedBy: [Booked], nonCompensable: true },
            { name: 'hotel', command: send(Cmd, () => ['h']), completedBy: [Booked], nonCompensable: true },
            { name: 'car', completedBy: [Done], nonCompensable: true },
          ],
        },
      ],
    });
    expect(checkDefinition(bad, new Set([Cmd]))).toEqual([
      'bad / book: is parallel: its branches send the commands and take the replies, the stage itself none',
      'bad / book: branch car sends no command',
      'bad / book: branches flight and hotel both take Booked: give each branch its own reply classes',
      'bad / car: has neither a command nor a compensation',
    ]);
    expect(checkDefinition(trip, new Set([Cmd]))).toEqual([]);
  });
});
