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
