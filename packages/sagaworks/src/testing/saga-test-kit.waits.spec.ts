import { beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplication, Inject, Injectable, Module } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { defineSaga, type SagaStepDefinition, send } from '../definition/saga-definition.js';
import { SagaOrchestrator } from '../runtime/saga-orchestrator.js';
import { SagaModule } from '../saga.module.js';
import { sagaHostImports } from '../spec-support/saga-host-imports.js';
import { SagaEffectLedger } from './saga-effect.js';
import { type ExploreReport, SagaTestKit } from './saga-test-kit.js';

/*
 * Reserve stock, wait for a reviewer's decision, then settle. One event class, `LedgerMoved`, answers the
 * reservation, its undoing and the settlement: the kit must tell them apart by the step each answers. The
 * review's decision may be written carelessly (it ignores the payload: every review approves), a bug the
 * kit's 'rejected' scenario must find.
 */
class ReserveCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class UnreserveCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class SettleCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class LedgerMoved implements IEvent {
  constructor(public readonly sagaId: string) {}
}

type Decide = NonNullable<NonNullable<SagaStepDefinition<{ skipReview?: boolean }>['wait']>['decide']>;
const byPayload: Decide = (payload) =>
  (payload as { decision?: string }).decision === 'approve' ? { outcome: 'complete' } : { outcome: 'fail', reason: 'rejected in review' };
const alwaysApproves: Decide = () => ({ outcome: 'complete' });

const reviewedSaga = (decide: Decide) =>
  defineSaga<{ skipReview?: boolean }>({
    type: 'kit-reviewed',
    steps: [
      {
        name: 'reserve',
        command: send(ReserveCommand, (c) => [c.sagaId]),
        completedBy: [LedgerMoved],
        compensation: send(UnreserveCommand, (c) => [c.sagaId]),
        compensatedBy: [LedgerMoved],
      },
      { name: 'review', when: (c) => !c.data.skipReview, wait: { signal: 'review', timeoutMs: 60_000, decide } },
      { name: 'settle', command: send(SettleCommand, (c) => [c.sagaId]), completedBy: [LedgerMoved], nonCompensable: true },
    ],
  });

/** Idempotent handlers: each step moves the ledger once per saga, however often its command comes. */
@Injectable()
class Ledger {
  private readonly done = new Set<string>();
  constructor(
    private readonly ledger: SagaEffectLedger,
    private readonly events: EventBus,
  ) {}
  move(sagaId: string, step: string, compensation: boolean, key: string, amount: number): Promise<void> {
    const id = `${sagaId}:${step}:${compensation}`;
    if (!this.done.has(id) && (!compensation || this.done.has(`${sagaId}:${step}:false`))) {
      this.done.add(id);
      this.ledger.record({ sagaId, step, key, amount, ...(compensation ? { compensation } : {}) });
    }
    this.events.publish(new LedgerMoved(sagaId));
    return Promise.resolve();
  }
}
@CommandHandler(ReserveCommand)
class ReserveHandler implements ICommandHandler<ReserveCommand> {
  constructor(@Inject(Ledger) private readonly ledger: Ledger) {}
  execute = (c: ReserveCommand) => this.ledger.move(c.sagaId, 'reserve', false, 'stock', 1);
}
@CommandHandler(UnreserveCommand)
class UnreserveHandler implements ICommandHandler<UnreserveCommand> {
  constructor(@Inject(Ledger) private readonly ledger: Ledger) {}
  execute = (c: UnreserveCommand) => this.ledger.move(c.sagaId, 'reserve', true, 'stock', -1);
}
@CommandHandler(SettleCommand)
class SettleHandler implements ICommandHandler<SettleCommand> {
  constructor(@Inject(Ledger) private readonly ledger: Ledger) {}
  execute = (c: SettleCommand) => this.ledger.move(c.sagaId, 'settle', false, 'settled', 1);
}

const signals = { review: { approve: { decision: 'approve' }, reject: { decision: 'reject' } } };

async function explore(decide: Decide, data: { skipReview?: boolean } = {}): Promise<ExploreReport> {
  const saga = reviewedSaga(decide);
  @Module({
    imports: [SagaModule.forFeature([saga])],
    providers: [SagaEffectLedger, Ledger, ReserveHandler, UnreserveHandler, SettleHandler],
  })
  class ReviewedModule {}
  const moduleRef = await Test.createTestingModule({ imports: [...sagaHostImports(), ReviewedModule] }).compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  await app.init();
  try {
    const sagas = app.get(SagaOrchestrator);
    let n = 0;
    return await SagaTestKit.for(app).exploreFailures(saga, {
      start: async () => (await sagas.start(saga, { correlationId: `reviewed-${++n}`, data })).id,
      signals,
    });
  } finally {
    await app.close();
  }
}

const scenariosOf = (report: ExploreReport) => [...new Set(report.failures.map((f) => f.split(': ')[0]))];
const run = (report: ExploreReport, scenario: string) => {
  const found = report.runs.find((r) => r.scenario === scenario);
  if (!found) throw new Error(`no run "${scenario}"`);
  return found;
};
const reasons = (report: ExploreReport, scenario: string) => run(report, scenario).history.map((h) => h.reason ?? '');

describe('SagaTestKit.exploreFailures on a saga that waits for a signal', () => {
  describe('whose review decides on the payload', () => {
    let report: ExploreReport;
    beforeAll(async () => {
      report = await explore(byPayload);
    });

    it('signals the wait early, twice, with a rejection, never and late, and reports nothing', () => {
      expect(report.runs.map((r) => `${r.scenario}: ${r.state.status}`)).toEqual([
        'no fault: COMPLETED',
        'reserve fails: COMPENSATED',
        'reserve never answers: COMPENSATED',
        "reserve's reply is lost once: COMPLETED",
        "reserve's command delivered twice: COMPLETED",
        "reserve's compensation delivered twice: COMPENSATED",
        "reserve's compensation reply is lost once: COMPENSATED",
        'review signalled early: COMPLETED',
        'review signalled twice: COMPLETED',
        'review rejected: COMPENSATED',
        'review never signalled: COMPENSATED',
        'review signalled late: COMPENSATED',
        'settle fails: COMPENSATED',
        'settle never answers: COMPENSATED',
        "settle's reply is lost once: COMPLETED",
        "settle's command delivered twice: COMPLETED",
        'every event delivered twice: COMPLETED',
      ]);
      expect(report.failures).toEqual([]);
    });

    it('sends each signal through SagaSignals: kept when early, refused when a duplicate or late', () => {
      expect(reasons(report, 'review signalled early')).toEqual(
        expect.arrayContaining(['signal "review" kept until the saga reaches review', 'signalled (the signal kept for it)']),
      );
      expect(reasons(report, 'review signalled twice')).toEqual(
        expect.arrayContaining(['signalled (signal)', 'signal "review" duplicate: the wait already has its signal; nothing changed']),
      );
      expect(reasons(report, 'review signalled late').filter((r) => r.startsWith('signal "review" late'))).toHaveLength(1);
      expect(run(report, 'review rejected').state.failureReason).toBe('review failed: rejected in review');
      expect(run(report, 'review never signalled').state.failureReason).toBe(
        'review failed: review timed out after 1 min without the signal "review"',
      );
    });

    it("loses one step's reply, never another's of the same class", () => {
      // LedgerMoved answers reserve, its undoing and settle: the lost one is the scenario's, so only that one is retried.
      const attempts = (scenario: string) => run(report, scenario).state.steps.map((s) => [s.attempts, s.compensationAttempts]);
      expect(attempts("settle's reply is lost once")).toEqual([
        [1, 0],
        [0, 0],
        [2, 0],
      ]);
      expect(attempts("reserve's compensation reply is lost once")[0]).toEqual([1, 2]);
      expect(attempts("reserve's reply is lost once")[0]).toEqual([2, 0]);
    });
  });

  it('reports a review that approves whatever the payload says (planted bug), in the rejection run only', async () => {
    const report = await explore(alwaysApproves);
    expect(scenariosOf(report)).toEqual(['review rejected']);
    expect(report.failures).toEqual(['review rejected: ended COMPLETED (no reason), expected COMPENSATED']);
  });

  it('reports the wait scenarios of a saga that skips the wait: they tested nothing', async () => {
    const report = await explore(byPayload, { skipReview: true });
    expect(scenariosOf(report)).toEqual([
      'review signalled early',
      'review signalled twice',
      'review rejected',
      'review never signalled',
      'review signalled late',
    ]);
    expect(report.failures).toContain(
      'review signalled twice: review was skipped (its condition did not hold): start a saga that reaches it for this scenario',
    );
  });
});
