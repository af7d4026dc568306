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

describe('renderSagaDiagram, parallel stages and child sagas', () => {
  class Booked {
    constructor(public readonly sagaId: string) {}
  }
  class Refused {
    constructor(public readonly sagaId: string) {}
  }
  it('draws a stage as a fork and a join, each branch between them, its failures into the stage undo', () => {
    const branch = (name: string) => ({
      name,
      command: send(Reserve, (c: { sagaId: string }) => [c.sagaId]),
      completedBy: [class extends Booked {}],
      failedBy: [class extends Refused {}],
      compensation: send(Release, (c: { sagaId: string }) => [c.sagaId]),
      compensatedBy: [class extends Done {}],
    });
    const diagram = renderSagaDiagram(
      defineSaga<object>({
        type: 'trip',
        steps: [
          { name: 'book', parallel: [branch('flight'), branch('hotel')] },
          { name: 'ship', command: send(Charge, (c) => [c.sagaId]), completedBy: [Done], nonCompensable: true, childSaga: 'shipment' },
        ],
      }),
    );
    expect(diagram).toContain('state fork_book <<fork>>');
    expect(diagram).toContain('state join_book <<join>>');
    expect(diagram).toContain('[*] --> fork_book');
    expect(diagram).toContain('fork_book --> flight');
    expect(diagram).toMatch(/flight --> join_book: /);
    expect(diagram).toContain('join_book --> ship');
    expect(diagram).toContain('flight --> undo_book: timed out');
    expect(diagram).toContain('undo_book --> Compensated: every completed branch undone');
    expect(diagram).toContain('ship --> undo_book: timed out');
    expect(diagram).toContain('state "ship: child saga shipment" as ship');
  });
});
