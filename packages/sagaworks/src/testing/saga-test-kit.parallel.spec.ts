import { beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplication, Inject, Injectable, Module } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { defineSaga, send } from '../definition/saga-definition.js';
import { SagaOrchestrator } from '../runtime/saga-orchestrator.js';
import { SagaModule } from '../saga.module.js';
import { sagaHostImports } from '../spec-support/saga-host-imports.js';
import { SagaEffectLedger } from './saga-effect.js';
import { type ExploreReport, SagaTestKit } from './saga-test-kit.js';

/*
 * A flight and a hotel booked in parallel, by ONE command class (`Book`, told apart by its kind) and each with
 * its own reply classes. The hotel's cancellation may be written carelessly (it refunds every delivery), a
 * bug the kit's compensation-twice scenario must find.
 */
type Kind = 'flight' | 'hotel';
const KINDS: Kind[] = ['flight', 'hotel'];
class Book implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly kind: Kind,
  ) {}
}
class Cancel implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly kind: Kind,
  ) {}
}
class Reply implements IEvent {
  constructor(public readonly sagaId: string) {}
}
const replies = {
  flight: {
    booked: class FlightBooked extends Reply {},
    refused: class FlightRefused extends Reply {},
    cancelled: class FlightCancelled extends Reply {},
  },
  hotel: {
    booked: class HotelBooked extends Reply {},
    refused: class HotelRefused extends Reply {},
    cancelled: class HotelCancelled extends Reply {},
  },
};

const tripSaga = defineSaga({
  type: 'kit-parallel-trip',
  steps: [
    {
      name: 'book',
      parallel: KINDS.map((kind) => ({
        name: kind,
        command: send(Book, (c) => [c.sagaId, kind]),
        completedBy: [replies[kind].booked],
        failedBy: [replies[kind].refused],
        compensation: send(Cancel, (c) => [c.sagaId, kind]),
        compensatedBy: [replies[kind].cancelled],
      })),
    },
  ],
});

const CARELESS = Symbol('CARELESS');

@Injectable()
class Bookings {
  readonly deliveries: string[] = [];
  private readonly done = new Set<string>();
  constructor(
    private readonly ledger: SagaEffectLedger,
    private readonly events: EventBus,
    @Inject(CARELESS) private readonly careless: boolean,
  ) {}
  book({ sagaId, kind }: Book): Promise<void> {
    this.deliveries.push(`${sagaId} book ${kind}`);
    if (!this.done.has(`${sagaId}:${kind}`)) this.ledger.record({ sagaId, step: kind, key: kind, amount: 1 });
    this.done.add(`${sagaId}:${kind}`);
    this.events.publish(new replies[kind].booked(sagaId));
    return Promise.resolve();
  }
  cancel({ sagaId, kind }: Cancel): Promise<void> {
    this.deliveries.push(`${sagaId} cancel ${kind}`);
    const repeat = this.done.has(`${sagaId}:${kind}:cancelled`) && !(this.careless && kind === 'hotel');
    if (this.done.has(`${sagaId}:${kind}`) && !repeat)
      this.ledger.record({ sagaId, step: kind, compensation: true, key: kind, amount: -1 });
    this.done.add(`${sagaId}:${kind}:cancelled`);
    this.events.publish(new replies[kind].cancelled(sagaId));
    return Promise.resolve();
  }
}
@CommandHandler(Book)
class BookHandler implements ICommandHandler<Book> {
  constructor(@Inject(Bookings) private readonly bookings: Bookings) {}
  execute = (c: Book) => this.bookings.book(c);
}
@CommandHandler(Cancel)
class CancelHandler implements ICommandHandler<Cancel> {
  constructor(@Inject(Bookings) private readonly bookings: Bookings) {}
  execute = (c: Cancel) => this.bookings.cancel(c);
}

async function explore(careless: boolean): Promise<{ report: ExploreReport; deliveries: (sagaId: string) => string[] }> {
  @Module({
    imports: [SagaModule.forFeature([tripSaga])],
    providers: [{ provide: CARELESS, useValue: careless }, SagaEffectLedger, Bookings, BookHandler, CancelHandler],
  })
  class TripModule {}
  const moduleRef = await Test.createTestingModule({ imports: [...sagaHostImports(), TripModule] }).compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  await app.init();
  try {
    const sagas = app.get(SagaOrchestrator);
    const bookings = app.get(Bookings);
    let n = 0;
    const report = await SagaTestKit.for(app).exploreFailures(tripSaga, {
      start: async () => (await sagas.start(tripSaga, { correlationId: `trip-${++n}`, data: {} })).id,
    });
    const deliveries = (sagaId: string) =>
      bookings.deliveries.filter((d) => d.startsWith(`${sagaId} `)).map((d) => d.slice(sagaId.length + 1));
    return { report, deliveries };
  } finally {
    await app.close();
  }
}

const scenariosOf = (report: ExploreReport) => [...new Set(report.failures.map((f) => f.split(': ')[0]))];

describe('SagaTestKit.exploreFailures on a saga with a parallel stage', () => {
  describe('whose branches are idempotent', () => {
    let report: ExploreReport;
    let deliveries: (sagaId: string) => string[];
    const run = (scenario: string) => {
      const found = report.runs.find((r) => r.scenario === scenario);
      if (!found) throw new Error(`no run "${scenario}"`);
      return found;
    };
    /** Where `branch` stands in the run's history: the sequence numbers of its lines reaching `to`. */
    const seq = (scenario: string, branch: string, to: string) => run(scenario).history.find((h) => h.step === branch && h.to === to)?.seq;

    beforeAll(async () => {
      ({ report, deliveries } = await explore(false));
    });

    it('fails each branch before and after the other answers, silences it, and faults its deliveries and compensation', () => {
      expect(report.runs.map((r) => `${r.scenario}: ${r.state.status}`)).toEqual([
        'no fault: COMPLETED',
        ...KINDS.flatMap((b) => [
          `${b} fails after the other branches answer: COMPENSATED`,
          `${b} fails before the other branches answer: COMPENSATED`,
          `${b} never answers: COMPENSATED`,
          `${b}'s reply is lost once: COMPLETED`,
          `${b}'s command delivered twice: COMPLETED`,
          `${b}'s compensation delivered twice: COMPENSATED`,
          `${b}'s compensation reply is lost once: COMPENSATED`,
        ]),
        'every event delivered twice: COMPLETED',
      ]);
      expect(report.failures).toEqual([]);
    });

    it("orders the other branch's reply before or after the failure, as the scenario says", () => {
      const after = 'flight fails after the other branches answer';
      expect(seq(after, 'hotel', 'COMPLETED')).toBeLessThan(seq(after, 'flight', 'FAILED')!);
      const before = 'flight fails before the other branches answer';
      expect(seq(before, 'flight', 'FAILED')).toBeLessThan(seq(before, 'hotel', 'COMPLETED')!);
      expect(run(before).history.map((h) => h.reason)).toContain('completed after its stage failed: it is compensated');
      // Either way the hotel, booked, is cancelled once; the refused flight never is.
      for (const scenario of [after, before]) expect(deliveries(run(scenario).sagaId)).toEqual(['book hotel', 'cancel hotel']);
    });

    it("delivers the branch's own command twice, though both branches send the same class", () => {
      expect(deliveries(run("hotel's command delivered twice").sagaId).sort()).toEqual(['book flight', 'book hotel', 'book hotel']);
      expect(deliveries(run("hotel's compensation delivered twice").sagaId).filter((d) => d.startsWith('cancel'))).toEqual([
        'cancel hotel',
        'cancel hotel',
      ]);
      expect(run("hotel's reply is lost once").state.steps[0].branches?.map((b) => b.attempts)).toEqual([1, 2]);
      expect(run("hotel's compensation reply is lost once").state.steps[0].branches?.map((b) => b.compensationAttempts)).toEqual([0, 2]);
    });
  });

  it('reports a branch compensation that refunds every delivery (planted bug), from its effects alone', async () => {
    const { report } = await explore(true);
    expect(scenariosOf(report)).toEqual(["hotel's compensation delivered twice", "hotel's compensation reply is lost once"]);
    for (const scenario of scenariosOf(report))
      expect(report.failures.filter((f) => f.startsWith(`${scenario}: `))).toEqual([
        `${scenario}: hotel's compensation took effect 2 times on hotel (-1, -1), expected once`,
        `${scenario}: effects on hotel net -1 after compensation, expected 0`,
      ]);
  });
});
