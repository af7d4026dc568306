import { beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplication, Inject, Injectable, Module, Optional } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent, Saga } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import type { Observable } from 'rxjs';
import { defineSaga, send } from '../definition/saga-definition.js';
import { SagaOrchestrator } from '../runtime/saga-orchestrator.js';
import { sagaHostImports } from '../spec-support/saga-host-imports.js';
import { SagaModule } from '../saga.module.js';
import { type SagaEffect, SagaEffectLedger } from './saga-effect.js';
import { type ExploreReport, SagaTestKit } from './saga-test-kit.js';

/*
 * A two-step checkout: charge a card, then ship (the saga undoes the charge with a refund when shipping fails).
 * The account lives in memory; its handlers can be written carelessly (applying every delivery) to plant the
 * bugs the kit must find on its own, with no `check` of the test's.
 */
class ChargeCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class ChargedEvent implements IEvent {
  constructor(public readonly sagaId: string) {}
}
class RefundCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class RefundedEvent implements IEvent {
  constructor(public readonly sagaId: string) {}
}
class ShipCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class ShippedEvent implements IEvent {
  constructor(public readonly sagaId: string) {}
}

const checkoutSaga = defineSaga({
  type: 'kit-checkout',
  steps: [
    {
      name: 'charge',
      command: send(ChargeCommand, (c) => [c.sagaId]),
      completedBy: [ChargedEvent],
      compensation: send(RefundCommand, (c) => [c.sagaId]),
      compensatedBy: [RefundedEvent],
    },
    { name: 'ship', command: send(ShipCommand, (c) => [c.sagaId]), completedBy: [ShippedEvent], nonCompensable: true },
  ],
});

const PRICE = 100;

interface Planted {
  charge: 'idempotent' | 'charges every delivery';
  refund: 'idempotent' | 'credits every delivery of a charge';
  /** Where the effects are read from: the account's journal (the `effects` option), the ledger, or nowhere. */
  effects: 'journal' | 'ledger' | 'none';
}
const PLANTED = Symbol('PLANTED');

/** The customer's account: one journal line per movement of money, as a payments table would hold. */
@Injectable()
class Account {
  readonly journal: (SagaEffect & { sagaId: string })[] = [];
  constructor(@Optional() private readonly ledger?: SagaEffectLedger) {}

  has(sagaId: string, step: string, compensation: boolean): boolean {
    return this.journal.some((l) => l.sagaId === sagaId && l.step === step && !!l.compensation === compensation);
  }

  move(sagaId: string, step: string, compensation: boolean, amount: number): void {
    const line = { sagaId, step, key: 'account-1', amount, ...(compensation ? { compensation } : {}) };
    this.journal.push(line);
    this.ledger?.record(line);
  }
}

@CommandHandler(ChargeCommand)
class ChargeHandler implements ICommandHandler<ChargeCommand> {
  constructor(
    private readonly account: Account,
    private readonly events: EventBus,
    @Inject(PLANTED) private readonly planted: Planted,
  ) {}
  execute({ sagaId }: ChargeCommand): Promise<void> {
    if (this.planted.charge !== 'idempotent' || !this.account.has(sagaId, 'charge', false))
      this.account.move(sagaId, 'charge', false, PRICE);
    this.events.publish(new ChargedEvent(sagaId));
    return Promise.resolve();
  }
}

@CommandHandler(RefundCommand)
class RefundHandler implements ICommandHandler<RefundCommand> {
  constructor(
    private readonly account: Account,
    private readonly events: EventBus,
    @Inject(PLANTED) private readonly planted: Planted,
  ) {}
  execute({ sagaId }: RefundCommand): Promise<void> {
    // The careless refund does look for the charge; it only forgets to look for a refund already made.
    const refunded = this.planted.refund === 'idempotent' && this.account.has(sagaId, 'charge', true);
    if (this.account.has(sagaId, 'charge', false) && !refunded) this.account.move(sagaId, 'charge', true, -PRICE);
    this.events.publish(new RefundedEvent(sagaId));
    return Promise.resolve();
  }
}

@CommandHandler(ShipCommand)
class ShipHandler implements ICommandHandler<ShipCommand> {
  constructor(private readonly events: EventBus) {}
  execute({ sagaId }: ShipCommand): Promise<void> {
    this.events.publish(new ShippedEvent(sagaId));
    return Promise.resolve();
  }
}

@Injectable()
class CheckoutSagas {
  constructor(private readonly sagas: SagaOrchestrator) {}
  @Saga() replies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.replies(checkoutSaga));
}

async function explore(planted: Planted): Promise<ExploreReport> {
  @Module({
    imports: [SagaModule.forFeature([checkoutSaga])],
    providers: [
      { provide: PLANTED, useValue: planted },
      ...(planted.effects === 'ledger' ? [SagaEffectLedger] : []),
      Account,
      ChargeHandler,
      RefundHandler,
      ShipHandler,
      CheckoutSagas,
    ],
  })
  class CheckoutModule {}
  const moduleRef = await Test.createTestingModule({ imports: [...sagaHostImports(), CheckoutModule] }).compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  await app.init();
  try {
    const sagas = app.get(SagaOrchestrator);
    const account = app.get(Account);
    let n = 0;
    return await SagaTestKit.for(app).exploreFailures(checkoutSaga, {
      start: async () => (await sagas.start(checkoutSaga, { correlationId: `checkout-${++n}`, data: {} })).id,
      ...(planted.effects === 'journal' ? { effects: (sagaId: string) => account.journal.filter((l) => l.sagaId === sagaId) } : {}),
    });
  } finally {
    await app.close();
  }
}

const scenariosOf = (report: ExploreReport) => [...new Set(report.failures.map((f) => f.split(': ')[0]))];

describe('SagaTestKit.exploreFailures', () => {
  describe('on a saga whose handlers are idempotent', () => {
    let byJournal: ExploreReport;
    let byLedger: ExploreReport;

    beforeAll(async () => {
      byJournal = await explore({ charge: 'idempotent', refund: 'idempotent', effects: 'journal' });
      byLedger = await explore({ charge: 'idempotent', refund: 'idempotent', effects: 'ledger' });
    });

    it('runs every fault, the compensation delivered twice and its reply lost once among them', () => {
      expect(byJournal.runs.map((r) => `${r.scenario}: ${r.state.status}`)).toEqual([
        'no fault: COMPLETED',
        'charge fails: COMPENSATED',
        'charge never answers: COMPENSATED',
        "charge's reply is lost once: COMPLETED",
        "charge's command delivered twice: COMPLETED",
        "charge's compensation delivered twice: COMPENSATED",
        "charge's compensation reply is lost once: COMPENSATED",
        'ship fails: COMPENSATED',
        'ship never answers: COMPENSATED',
        "ship's reply is lost once: COMPLETED",
        "ship's command delivered twice: COMPLETED",
        'every event delivered twice: COMPLETED',
      ]);
    });

    it('delivers the compensation a second time, and retries it when its reply is lost', () => {
      const run = (name: string) => byJournal.runs.find((r) => r.scenario === name);
      // Delivered twice by the kit, not by the saga: one compensation attempt; a lost reply costs a second one.
      expect(run("charge's compensation delivered twice")?.state.steps[0]).toMatchObject({
        status: 'COMPENSATED',
        compensationAttempts: 1,
      });
      expect(run("charge's compensation reply is lost once")?.state.steps[0]).toMatchObject({
        status: 'COMPENSATED',
        compensationAttempts: 2,
      });
      expect(run("charge's compensation delivered twice")?.effects).toEqual([
        { step: 'charge', key: 'account-1', amount: 100 },
        { step: 'charge', compensation: true, key: 'account-1', amount: -100 },
      ]);
    });

    it('reports nothing, whether the effects are read back or recorded in the ledger', () => {
      expect(byJournal.failures).toEqual([]);
      expect(byLedger.failures).toEqual([]);
      expect(byLedger.runs.map((r) => r.effects)).toEqual(byJournal.runs.map((r) => r.effects));
      expect(() => SagaTestKit.assertExplored(byLedger)).not.toThrow();
    });
  });

  describe('on a saga whose refund credits every delivery (planted bug)', () => {
    it('reports the double credit with no check of the test, from the effects it reads back', async () => {
      const report = await explore({ charge: 'idempotent', refund: 'credits every delivery of a charge', effects: 'journal' });
      expect(scenariosOf(report)).toEqual(["charge's compensation delivered twice", "charge's compensation reply is lost once"]);
      expect(report.failures).toEqual([
        "charge's compensation delivered twice: charge's compensation took effect 2 times on account-1 (-100, -100), expected once",
        "charge's compensation delivered twice: effects on account-1 net -100 after compensation, expected 0",
        "charge's compensation reply is lost once: charge's compensation took effect 2 times on account-1 (-100, -100), expected once",
        "charge's compensation reply is lost once: effects on account-1 net -100 after compensation, expected 0",
      ]);
      expect(() => SagaTestKit.assertExplored(report)).toThrow(
        /^exploreFailures: 2 of 12 runs went wrong\n {2}- charge's compensation delivered twice: charge's compensation took effect 2 times/,
      );
    });

    it('which the saga history alone does not show', async () => {
      const report = await explore({ charge: 'idempotent', refund: 'credits every delivery of a charge', effects: 'none' });
      expect(report.failures).toEqual([]);
    });
  });

  describe('on a saga whose charge applies every delivery (planted bug)', () => {
    it('reports the double charge with no check of the test, from the effects its handlers record in the ledger', async () => {
      const report = await explore({ charge: 'charges every delivery', refund: 'idempotent', effects: 'ledger' });
      expect(scenariosOf(report)).toEqual(["charge's reply is lost once", "charge's command delivered twice"]);
      for (const scenario of scenariosOf(report))
        expect(report.failures.filter((f) => f.startsWith(`${scenario}: `))).toEqual([
          `${scenario}: charge took effect 2 times on account-1 (+100, +100), expected once`,
          `${scenario}: charge made 2 effect(s) totalling +200, the fault-free run 1 totalling +100`,
        ]);
    });
  });
});
