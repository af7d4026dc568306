import { describe, expect, it } from '@jest/globals';
import { correlate, defineChoreography, type FlowEventType } from '../definition/choreography-definition.js';
import { registerFlow } from '../runtime/flow-registration.js';
import { resolveSagaOptions } from '../runtime/resolve-options.js';
import { alignToDefinition } from '../runtime/saga-reply-rules.js';
import { SagaRegistry } from '../runtime/saga-registry.js';
import type { FlowData } from './flow-transitions.js';
import { isParked } from './saga-parking.js';
import type { SagaState } from './saga-state.js';

class Requested {
  constructor(readonly ref: string) {}
}
class Received {
  constructor(readonly ref: string) {}
}
class Refunded {
  constructor(readonly ref: string) {}
}
class RefundRefused {
  constructor(
    readonly ref: string,
    readonly reason: string,
  ) {}
}
class ReceiptReversed {
  constructor(readonly ref: string) {}
}
class Closed {
  constructor(readonly ref: string) {}
}
class Restocked {
  constructor(readonly ref: string) {}
}

const byRef = (type: FlowEventType<{ ref: string }>) => correlate(type, (e) => e.ref);
const DEADLINE = 1_000;
const flowDefinition = defineChoreography({
  type: 'return',
  deadlineMs: DEADLINE,
  steps: [
    { name: 'requested', participant: 'orders', completedBy: [Requested], compensatedBy: [Closed] },
    { name: 'received', participant: 'shipping', completedBy: [Received], compensatedBy: [ReceiptReversed] },
    { name: 'refunded', participant: 'payment', completedBy: [Refunded], failedBy: [RefundRefused] },
    { name: 'restocked', participant: 'inventory', completedBy: [Restocked] },
  ],
  correlate: [Requested, Received, Refunded, RefundRefused, ReceiptReversed, Closed, Restocked].map(byRef),
});
const flow = registerFlow(flowDefinition, 10_000);
const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

/** Applies events in order the way the runtime does: the first creates the instance, later ones may change nothing. */
function run(events: object[], from?: SagaState<FlowData>): { state: SagaState<FlowData>; stored: number } {
  let state = from;
  let stored = 0;
  events.forEach((event, i) => {
    const { addresses } = flow.events.get(event.constructor as FlowEventType)!;
    const name = { name: event.constructor.name, reason: (event as { reason?: string }).reason };
    const base = state ?? flow.transitions.begin({ id: 'f1', correlationId: 'r1', definitionHash: 'h' }, at(i)).state;
    const t = flow.transitions.observe(base, addresses, name, at(i));
    if (t) {
      state = { ...t.state, version: t.state.version + 1 };
      stored++;
    } else state = base;
  });
  return { state: state!, stored };
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('FlowTransitions', () => {
  it('ends COMPLETED from its milestones in any of their 24 orders, keeping the early ones', () => {
    const events = [new Requested('r1'), new Received('r1'), new Refunded('r1'), new Restocked('r1')];
    for (const order of permutations(events)) {
      const { state, stored } = run(order);
      expect(state.status).toBe('COMPLETED');
      expect(state.steps.map((s) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
      expect(stored).toBe(4);
      expect(state.dueAt).toBeNull();
    }
  });

  it('changes nothing for a duplicate, so a redelivered event costs no write', () => {
    const { state, stored } = run([new Requested('r1'), new Received('r1'), new Received('r1'), new Requested('r1')]);
    expect(stored).toBe(2);
    expect(state.status).toBe('RUNNING');
    expect(state.steps[2]).toMatchObject({ name: 'refunded', status: 'WAITING' });
    expect(flow.transitions.expectations(state).next).toEqual([
      { step: 'refunded', participant: 'payment', kind: 'completed', events: ['Refunded'] },
    ]);
  });

  it('waits for the first missing milestone while later ones came early, and holds no lease meanwhile', () => {
    const { state } = run([new Requested('r1'), new Refunded('r1')]);
    expect(state.status).toBe('RUNNING');
    expect(state.steps.map((s) => s.status)).toEqual(['COMPLETED', 'WAITING', 'COMPLETED', 'PENDING']);
    expect(flow.transitions.expectations(state).missing.map((e) => e.step)).toEqual(['received', 'restocked']);
    expect(state.dueAt).toEqual(at(1 + DEADLINE));
    expect(isParked(state)).toBe(true);
  });

  it('after a failure expects every reached milestone to be undone, latest first, then ends COMPENSATED', () => {
    const failed = run([new Requested('r1'), new Received('r1'), new RefundRefused('r1', 'provider refused')]).state;
    expect(failed.status).toBe('COMPENSATING');
    expect(failed.failureReason).toBe('RefundRefused: provider refused');
    expect(failed.steps.map((s) => s.status)).toEqual(['COMPENSATING', 'COMPENSATING', 'FAILED', 'SKIPPED']);
    expect(flow.transitions.expectations(failed).next.map((e) => [e.step, e.kind])).toEqual([['received', 'compensated']]);
    // The undoings may come in either order, and before the failure itself.
    expect(run([new ReceiptReversed('r1'), new Closed('r1')], failed).state.status).toBe('COMPENSATED');
    const early = run([new Requested('r1'), new Received('r1'), new ReceiptReversed('r1'), new Closed('r1')]).state;
    expect(early.status).toBe('RUNNING');
    expect(run([new RefundRefused('r1', 'no')], early).state.status).toBe('COMPENSATED');
  });

  it('stalls at the deadline, reminds at a doubling wait, and goes on when the event comes', () => {
    const waiting = run([new Requested('r1')]).state;
    expect(flow.transitions.due(waiting, at(DEADLINE - 1))).toBeNull();
    const stalled = flow.transitions.due(waiting, at(DEADLINE))!;
    expect(stalled.state).toMatchObject({ status: 'STALLED', data: { nudges: 1 } });
    expect(stalled.history[0].reason).toBe('no Received (received, shipping) by the deadline');
    expect(stalled.state.dueAt).toEqual(at(DEADLINE + 2 * DEADLINE));
    const reminded = flow.transitions.due(stalled.state, at(3 * DEADLINE))!;
    expect(reminded.state).toMatchObject({ status: 'STALLED', data: { nudges: 2 } });
    expect(reminded.state.dueAt).toEqual(at(3 * DEADLINE + 4 * DEADLINE));
    const resumed = run([new Received('r1')], reminded.state).state;
    expect(resumed).toMatchObject({ status: 'RUNNING', data: { nudges: 2 } });
    expect(resumed.steps[2].status).toBe('WAITING');
  });

  it('lets an operator retry a stalled flow (a nudge and a fresh deadline) or abort it FAILED', () => {
    const stalled = flow.transitions.due(run([new Requested('r1')]).state, at(DEADLINE))!.state;
    expect(flow.transitions.retry(run([new Requested('r1')]).state, 'retry by ops', at(5))).toBeNull();
    const retried = flow.transitions.retry(stalled, 'retry by ops', at(2 * DEADLINE))!;
    expect(retried.state).toMatchObject({ status: 'RUNNING', data: { nudges: 2 } });
    expect(retried.state.dueAt).toEqual(at(3 * DEADLINE));
    const aborted = flow.transitions.abort(stalled, 'aborted by ops', at(2 * DEADLINE))!;
    expect(aborted.state).toMatchObject({ status: 'FAILED', failureReason: 'aborted by ops', dueAt: null });
    expect(flow.transitions.abort(aborted.state, 'again', at(3 * DEADLINE))).toBeNull();
  });

  it('ignores events once the flow ended', () => {
    const done = run([new Requested('r1'), new Received('r1'), new Refunded('r1'), new Restocked('r1')]).state;
    expect(run([new RefundRefused('r1', 'late')], done).stored).toBe(0);
  });
});

describe('a flow whose definition gained a step', () => {
  class Surveyed {
    constructor(readonly ref: string) {}
  }

  it('goes on with the new step tracked, so an instance aligned to it still holds no lease', () => {
    const registry = new SagaRegistry(resolveSagaOptions({}));
    const v2 = defineChoreography({
      ...flowDefinition,
      steps: [...flowDefinition.steps, { name: 'surveyed', participant: 'orders', completedBy: [Surveyed] }],
      correlate: [...flowDefinition.correlate, byRef(Surveyed)],
    });
    registry.registerChoreography(v2);
    const saga = registry.require('return');
    const inFlight = run([new Requested('r1'), new Received('r1'), new Refunded('r1')]).state;
    const aligned = alignToDefinition(saga, inFlight, 'continue') as SagaState<FlowData>;
    expect(aligned.steps.map((s) => [s.name, s.tracked])).toEqual([
      ['requested', true],
      ['received', true],
      ['refunded', true],
      ['restocked', true],
      ['surveyed', true],
    ]);
    const t = saga.flow!.transitions.observe(aligned, saga.flow!.events.get(Restocked)!.addresses, { name: 'Restocked' }, at(9))!;
    expect(t.state.status).toBe('RUNNING');
    expect(t.state.steps[4]).toMatchObject({ name: 'surveyed', status: 'WAITING' });
    expect(isParked(t.state)).toBe(true);
  });
});

describe('registerFlow', () => {
  it('refuses a flow whose events it could not route', () => {
    const base = { type: 'f', steps: [{ name: 'a', completedBy: [Requested] }] };
    expect(() => registerFlow({ ...base, correlate: [] }, 1)).toThrow('Requested has no key: add correlate(Requested');
    expect(() => registerFlow({ ...base, correlate: [byRef(Requested), byRef(Requested)] }, 1)).toThrow('correlates one event class twice');
    expect(() => registerFlow({ ...base, correlate: [byRef(Requested), byRef(Closed)] }, 1)).toThrow(
      'Closed is correlated but no step names it',
    );
    expect(() =>
      registerFlow(
        {
          type: 'f',
          steps: [
            { name: 'a', completedBy: [Requested] },
            { name: 'a', completedBy: [Requested] },
          ],
          correlate: [byRef(Requested)],
        },
        1,
      ),
    ).toThrow('two steps named "a"');
  });
});
