import { describe, expect, it } from '@jest/globals';
import { defineSaga, send } from './saga-definition.js';
import { renderSagaDiagram } from './saga-diagram.js';

class Reserve {
  constructor(public readonly sagaId: string) {}
}
class Release {
  constructor(public readonly sagaId: string) {}
}
class Charge {
  constructor(public readonly sagaId: string) {}
}
class Done {
  constructor(public readonly sagaId: string) {}
}

describe('renderSagaDiagram, waits and conditions', () => {
  it('draws a wait with its signal and deadline, the skip of a conditional step, and a timeout path', () => {
    const diagram = renderSagaDiagram(
      defineSaga<{ total: number }>({
        type: 'order',
        steps: [
          {
            name: 'reserve',
            command: send(Reserve, (c) => [c.sagaId]),
            completedBy: [Done],
            compensation: send(Release, (c) => [c.sagaId]),
            compensatedBy: [Done],
          },
          {
            name: 'review',
            when: (c) => c.data.total > 100,
            wait: { signal: 'review', timeoutMs: 48 * 3_600_000, decide: () => ({ outcome: 'complete' }) },
          },
          { name: 'approve', wait: { signal: 'approve', timeoutMs: 60_000, onTimeout: { goTo: 'charge' } } },
          { name: 'charge', command: send(Charge, (c) => [c.sagaId]), completedBy: [Done], nonCompensable: true },
        ],
      }),
    );
    expect(diagram).toContain('state "review: waits for signal review (48 h)" as review');
    expect(diagram).toContain('review --> approve: signal review');
    expect(diagram).toContain('reserve --> approve: review skipped (condition)');
    expect(diagram).toContain('review --> undo_reserve: signal says fail');
    expect(diagram).toContain('review --> undo_reserve: deadline passed');
    expect(diagram).toContain('approve --> charge: deadline passed');
  });
});
