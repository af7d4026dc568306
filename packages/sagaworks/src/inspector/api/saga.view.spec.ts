import { describe, expect, it } from '@jest/globals';
import { toStepViews } from './saga.view.js';

describe('toStepViews', () => {
  it('says when a step waits on infrastructure, and how many times in a row, and says nothing otherwise', () => {
    const views = toStepViews([
      {
        name: 'pay',
        status: 'EXECUTING',
        attempts: 1,
        compensationAttempts: 0,
        awaitingRetry: true,
        awaitingInfrastructure: true,
        infrastructureWaits: 3,
      },
      { name: 'ship', status: 'PENDING', attempts: 0, compensationAttempts: 0 },
    ]);
    expect(views[0]).toMatchObject({ name: 'pay', waitingOnInfrastructure: true, infrastructureWaits: 3 });
    expect(views[1]).not.toHaveProperty('waitingOnInfrastructure');
    expect(views[1]).not.toHaveProperty('infrastructureWaits');
  });
});

describe('toStepViews for waits', () => {
  it('shows a waiting step with its deadline and reminder, a kept signal without its payload, and a signalled wait', () => {
    const [waiting, ahead, done, plain] = toStepViews([
      {
        name: 'approval',
        status: 'WAITING',
        attempts: 0,
        compensationAttempts: 0,
        waitDeadline: '2026-01-03T10:00:00.000Z',
        remindAt: '2026-01-02T10:00:00.000Z',
      },
      {
        name: 'review',
        status: 'PENDING',
        attempts: 0,
        compensationAttempts: 0,
        keptSignal: { payload: { by: 'alice', note: 'secret' }, at: '2026-01-01T10:00:00.000Z' },
      },
      { name: 'approved', status: 'COMPLETED', attempts: 0, compensationAttempts: 0, signalled: true },
      { name: 'ship', status: 'PENDING', attempts: 0, compensationAttempts: 0 },
    ]);
    expect(waiting).toMatchObject({ status: 'WAITING', waitDeadline: '2026-01-03T10:00:00.000Z', remindAt: '2026-01-02T10:00:00.000Z' });
    expect(ahead).toMatchObject({ signalKept: true });
    expect(JSON.stringify(ahead)).not.toContain('secret');
    expect(done).toMatchObject({ signalled: true });
    for (const key of ['waitDeadline', 'remindAt', 'signalKept', 'signalled']) expect(plain).not.toHaveProperty(key);
  });

  it("shows a parallel stage's branches, each with its own status, deadline and place among the completions", () => {
    const [stage] = toStepViews([
      {
        name: 'book',
        status: 'EXECUTING',
        attempts: 1,
        compensationAttempts: 0,
        branches: [
          { name: 'flight', status: 'COMPLETED', attempts: 1, compensationAttempts: 0, completedOrder: 1 },
          { name: 'hotel', status: 'EXECUTING', attempts: 2, compensationAttempts: 0, dueAt: '2026-01-01T00:00:05.000Z' },
        ],
      },
    ]);
    expect(stage.branches).toEqual([
      { name: 'flight', status: 'COMPLETED', attempts: 1, compensationAttempts: 0, completedOrder: 1 },
      { name: 'hotel', status: 'EXECUTING', attempts: 2, compensationAttempts: 0, deadline: '2026-01-01T00:00:05.000Z' },
    ]);
  });
});
