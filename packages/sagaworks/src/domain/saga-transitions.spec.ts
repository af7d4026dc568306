import { describe, expect, it } from '@jest/globals';
import type { ICommand } from '@nestjs/cqrs';
import { defineSaga, send } from '../definition/saga-definition.js';
import { SagaTransitions } from './saga-transitions.js';
import type { SagaState, Transition } from './saga-state.js';

class Cmd implements ICommand {
  constructor(public readonly name: string) {}
}

interface Data {
  n: number;
}

const definition = defineSaga<Data>({
  type: 'test',
  steps: [
    { name: 'open', compensation: send(Cmd, () => ['close']) },
    { name: 'a', command: send(Cmd, () => ['a']), compensation: send(Cmd, () => ['undo-a']) },
    { name: 'b', command: send(Cmd, () => ['b']), compensation: send(Cmd, () => ['undo-b']), timeoutMs: 2_000 },
    { name: 'pivot', command: send(Cmd, () => ['pivot']), nonCompensable: true },
    { name: 'c', command: send(Cmd, () => ['c']), compensation: send(Cmd, () => ['undo-c']) },
  ],
});

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const rules = new SagaTransitions(definition, {
  timeoutMs: 1_000,
  retry: { maxAttempts: 3, backoffBaseMs: 100, backoffMaxMs: 150, nonRetryableErrors: [] },
});

/** Applies a transition as the store would: the version moves on. */
function stored(t: Transition<Data> | null): SagaState<Data> {
  if (!t) throw new Error('expected a transition');
  return { ...t.state, version: t.state.version + 1, historySeq: t.state.historySeq + t.history.length };
}

function started(): SagaState<Data> {
  return stored(rules.start({ id: 's1', correlationId: 'o1', data: { n: 0 }, definitionHash: 'h' }, T0));
}

const statuses = (s: SagaState<Data>) => s.steps.map((x) => `${x.name}:${x.status}`);

describe('SagaTransitions', () => {
  describe('when a saga starts', () => {
    it('completes the leading step without a command and dispatches the first real step with a deadline', () => {
      const t = rules.start({ id: 's1', correlationId: 'o1', data: { n: 0 }, definitionHash: 'h' }, T0);
      expect(t.state.status).toBe('RUNNING');
      expect(statuses(t.state)).toEqual(['open:COMPLETED', 'a:EXECUTING', 'b:PENDING', 'pivot:PENDING', 'c:PENDING']);
      expect(t.actions).toEqual([{ kind: 'execute', stepIndex: 1, attempt: 1 }]);
      expect(t.state.dueAt).toEqual(at(1_000));
      expect(t.history.map((h) => `${h.step ?? 'saga'}:${h.from}->${h.to}`)).toEqual([
        'saga:null->STARTED',
        'saga:STARTED->RUNNING',
        'open:PENDING->COMPLETED',
        'a:PENDING->EXECUTING',
      ]);
    });
  });

  describe('when every step completes', () => {
    it('walks the steps in order and ends COMPLETED with no deadline', () => {
      let s = started();
      for (const index of [1, 2, 3, 4]) s = stored(rules.completeStep(s, index, at(10), (d) => ({ n: d.n + 1 })));
      expect(s.status).toBe('COMPLETED');
      expect(s.dueAt).toBeNull();
      expect(s.data).toEqual({ n: 4 });
      expect(s.steps.every((x) => x.status === 'COMPLETED')).toBe(true);
    });

    it('uses the step timeout when the step sets one', () => {
      const t = rules.completeStep(started(), 1, at(10));
      expect(t?.state.dueAt).toEqual(at(2_010));
    });
  });

  describe('when a reply is a duplicate or late', () => {
    it('ignores a second completion of the same step', () => {
      const s = stored(rules.completeStep(started(), 1, at(10)));
      expect(rules.completeStep(s, 1, at(20))).toBeNull();
    });

    it('ignores a reply for a step that is not the current one', () => {
      expect(rules.completeStep(started(), 2, at(10))).toBeNull();
      expect(rules.failStep(started(), 3, 'no', at(10))).toBeNull();
    });

    it('ignores a compensation reply for a step that is not compensating', () => {
      expect(rules.completeCompensation(started(), 1, at(10))).toBeNull();
    });
  });

  describe('when a step fails', () => {
    it('compensates the completed steps one at a time in reverse, skipping the non-compensable one', () => {
      let s = started();
      s = stored(rules.completeStep(s, 1, at(1)));
      s = stored(rules.completeStep(s, 2, at(2)));
      s = stored(rules.completeStep(s, 3, at(3)));
      const failed = rules.failStep(s, 4, 'declined', at(4));
      expect(failed?.state.status).toBe('COMPENSATING');
      expect(failed?.state.failureReason).toBe('c failed: declined');
      // c failed with a definite answer: it took no effect, so it is not compensated; pivot cannot be.
      expect(failed?.actions).toEqual([{ kind: 'compensate', stepIndex: 2, attempt: 1 }]);
      s = stored(failed);
      const order: number[] = [];
      while (s.status === 'COMPENSATING') {
        order.push(s.stepIndex);
        s = stored(rules.completeCompensation(s, s.stepIndex, at(5)));
      }
      expect(order).toEqual([2, 1, 0]);
      expect(s.status).toBe('COMPENSATED');
      expect(statuses(s)).toEqual(['open:COMPENSATED', 'a:COMPENSATED', 'b:COMPENSATED', 'pivot:COMPLETED', 'c:FAILED']);
      expect(s.dueAt).toBeNull();
    });

    it('compensates only the leading step when the first real step fails', () => {
      const t = rules.failStep(started(), 1, 'out of stock', at(1));
      expect(t?.actions).toEqual([{ kind: 'compensate', stepIndex: 0, attempt: 1 }]);
    });
  });

  describe('when a deadline passes', () => {
    it('does nothing before the deadline', () => {
      expect(rules.deadlinePassed(started(), at(999))).toBeNull();
    });

    it('waits an exponential, capped backoff between attempts, then gives up and compensates the step too', () => {
      let s = started();
      const t1 = rules.deadlinePassed(s, at(1_000));
      expect(t1?.actions).toEqual([]);
      expect(t1?.state.steps[1].awaitingRetry).toBe(true);
      expect(t1?.state.dueAt).toEqual(at(1_100));
      s = stored(t1);
      const t2 = rules.deadlinePassed(s, at(1_100));
      expect(t2?.actions).toEqual([{ kind: 'execute', stepIndex: 1, attempt: 2 }]);
      s = stored(t2);
      s = stored(rules.deadlinePassed(s, at(2_100)));
      expect(s.dueAt).toEqual(at(2_250)); // 100 * 2 = 200, capped at 150
      s = stored(rules.deadlinePassed(s, at(2_250)));
      expect(s.steps[1].attempts).toBe(3);
      const gaveUp = rules.deadlinePassed(s, at(3_250));
      expect(gaveUp?.state.status).toBe('COMPENSATING');
      expect(gaveUp?.state.failureReason).toBe('a failed: a timed out after 3 attempts');
      // the timed-out step may have taken effect: it is undone first
      expect(gaveUp?.actions).toEqual([{ kind: 'compensate', stepIndex: 1, attempt: 1 }]);
      expect(gaveUp?.state.steps[1]).toMatchObject({ status: 'COMPENSATING', outcomeUnknown: true });
    });

    it('a late success during the backoff still completes the step', () => {
      const s = stored(rules.deadlinePassed(started(), at(1_000)));
      const t = rules.completeStep(s, 1, at(1_050));
      expect(t?.state.steps[1].status).toBe('COMPLETED');
      expect(t?.state.steps[1].awaitingRetry).toBeUndefined();
      expect(t?.actions).toEqual([{ kind: 'execute', stepIndex: 2, attempt: 1 }]);
    });

    it('retries at once when the backoff is zero', () => {
      const eager = new SagaTransitions(definition, {
        timeoutMs: 1_000,
        retry: { maxAttempts: 2, backoffBaseMs: 0, backoffMaxMs: 0, nonRetryableErrors: [] },
      });
      const s = stored(eager.start({ id: 's', correlationId: 'o', data: { n: 0 }, definitionHash: 'h' }, T0));
      expect(eager.deadlinePassed(s, at(1_000))?.actions).toEqual([{ kind: 'execute', stepIndex: 1, attempt: 2 }]);
    });

    it('leaves the saga FAILED for an operator when a compensation exhausts its attempts', () => {
      let s = stored(rules.failStep(started(), 1, 'out of stock', at(0)));
      let now = 0;
      while (s.status === 'COMPENSATING') {
        now += 2_000;
        s = stored(rules.deadlinePassed(s, at(now)));
      }
      expect(s.status).toBe('FAILED');
      expect(s.dueAt).toBeNull();
      expect(s.steps[0].compensationAttempts).toBe(3);
      expect(s.failureReason).toContain('open compensation timed out after 3 attempts');
    });
  });

  describe("when a step's handler throws", () => {
    it('retries a retryable error after the backoff, without waiting for the deadline', () => {
      const t = rules.attemptFailed(started(), 1, false, 'connection reset', true, at(10));
      expect(t?.state.steps[1]).toMatchObject({
        status: 'EXECUTING',
        awaitingRetry: true,
        error: 'attempt 1 failed: connection reset; retry in 100 ms',
      });
      expect(t?.state.dueAt).toEqual(at(110));
      expect(t?.actions).toEqual([]);
    });

    it('fails the step at once on a non-retryable error, and compensates it in case it took effect', () => {
      const t = rules.attemptFailed(started(), 1, false, 'card number invalid', false, at(10));
      expect(t?.state.status).toBe('COMPENSATING');
      expect(t?.state.failureReason).toBe('a failed: card number invalid (not retryable)');
      expect(t?.actions).toEqual([{ kind: 'compensate', stepIndex: 1, attempt: 1 }]);
    });

    it('ignores an error from a step that is not the current action', () => {
      expect(rules.attemptFailed(started(), 2, false, 'late', true, at(10))).toBeNull();
      expect(rules.attemptFailed(started(), 1, true, 'late', true, at(10))).toBeNull();
    });
  });

  describe('when the owner of a saga died', () => {
    it('resumes the current action without spending an attempt', () => {
      const t = rules.resume(started(), 'node-2', at(10));
      expect(t?.actions).toEqual([{ kind: 'execute', stepIndex: 1, attempt: 1 }]);
      expect(t?.state.steps[1].attempts).toBe(1);
      expect(t?.history[0].reason).toBe('resumed by node-2 after lease expiry');
    });

    it('gives the resumed action a fresh deadline, since it runs again from the start', () => {
      const t = rules.resume(started(), 'node-2', at(900));
      expect(t?.state.dueAt).toEqual(at(1_900));
      expect(t?.state.steps[1].resumes).toBe(1);
    });

    it('resumes without spending an attempt even when the deadline passed while no instance held the lease', () => {
      const t = rules.resume(started(), 'node-2', at(5_000), true);
      expect(t?.actions).toEqual([{ kind: 'execute', stepIndex: 1, attempt: 1 }]);
      expect(t?.state.dueAt).toEqual(at(6_000));
      expect(t?.history[0].reason).toBe(
        'resumed by node-2 after lease expiry; its deadline passed while no instance held the lease, so the attempt is not spent',
      );
    });

    it('resumes a step at most maxAttempts times, then lets its deadline count (a command that kills its instance)', () => {
      let s = started();
      for (let i = 1; i <= 3; i++) s = stored(rules.resume(s, 'node-2', at(i * 2_000), true));
      expect(s.steps[1]).toMatchObject({ attempts: 1, resumes: 3 });
      expect(rules.resume(s, 'node-2', at(8_000), true)).toBeNull();
      const timedOut = rules.deadlinePassed(s, at(8_000));
      expect(timedOut?.state.steps[1]).toMatchObject({ awaitingRetry: true, error: 'attempt 1 timed out after 1000 ms; retry in 100 ms' });
    });

    it('resumes a compensation as the same compensation attempt', () => {
      const s = stored(rules.failStep(stored(rules.completeStep(started(), 1, at(1))), 2, 'no', at(2)));
      expect(s.status).toBe('COMPENSATING');
      const t = rules.resume(s, 'node-2', at(3_000), true);
      expect(t?.actions).toEqual([{ kind: 'compensate', stepIndex: 1, attempt: 1 }]);
    });

    it('an operator retry gives a failed compensation a fresh budget of resumes as well as attempts', () => {
      let s = stored(rules.failStep(stored(rules.completeStep(started(), 1, at(1))), 2, 'no', at(2)));
      s = stored(rules.resume(s, 'node-2', at(3_000), true));
      while (s.status !== 'FAILED') s = stored(rules.deadlinePassed(s, s.dueAt as Date));
      expect(s.steps[1]).toMatchObject({ compensationAttempts: 3, resumes: 1 });
      const retried = rules.retryCompensation(s, 'operator retry', at(60_000));
      expect(retried?.state.steps[1].compensationAttempts).toBe(1);
      expect(retried?.state.steps[1].resumes).toBeUndefined();
    });

    it('does not resume an action waiting out its retry backoff (the deadline dispatches it)', () => {
      const s = stored(rules.deadlinePassed(started(), at(1_000)));
      expect(s.steps[1].awaitingRetry).toBe(true);
      expect(rules.resume(s, 'node-2', at(1_200), true)).toBeNull();
    });

    it('does not resume a terminal saga', () => {
      let s = started();
      for (const index of [1, 2, 3, 4]) s = stored(rules.completeStep(s, index, at(10)));
      expect(rules.resume(s, 'node-2', at(20))).toBeNull();
    });
  });

  describe('when an operator aborts', () => {
    it('fails the executing step as possibly done and compensates it first', () => {
      const s = stored(rules.completeStep(started(), 1, at(1)));
      const t = rules.abort(s, 'aborted by operator', at(2));
      expect(t?.state.status).toBe('COMPENSATING');
      expect(t?.actions).toEqual([{ kind: 'compensate', stepIndex: 2, attempt: 1 }]);
    });
  });
});
