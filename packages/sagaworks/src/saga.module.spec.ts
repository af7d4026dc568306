import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplication, Injectable, Module } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent, Saga } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import type { Observable } from 'rxjs';
import { defineSaga, send } from './definition/saga-definition.js';
import { SagaStatus } from './domain/saga-status.js';
import { SagaOrchestrator } from './runtime/saga-orchestrator.js';
import { SagaRegistry } from './runtime/saga-registry.js';
import { SagaSchemaError } from './persistence/saga-schema-check.js';
import { sagaHostImports } from './spec-support/saga-host-imports.js';
import { SagaModule } from './saga.module.js';

class BookFlightCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class FlightBookedEvent implements IEvent {
  constructor(public readonly sagaId: string) {}
}
class SendInvoiceCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class InvoiceSentEvent implements IEvent {
  constructor(public readonly sagaId: string) {}
}

const flightSaga = defineSaga({
  type: 'flight',
  steps: [{ name: 'book', command: send(BookFlightCommand, (c) => [c.sagaId]), completedBy: [FlightBookedEvent], nonCompensable: true }],
});
const invoiceSaga = defineSaga({
  type: 'invoice',
  steps: [{ name: 'send', command: send(SendInvoiceCommand, (c) => [c.sagaId]), completedBy: [InvoiceSentEvent], nonCompensable: true }],
});

@CommandHandler(BookFlightCommand)
class BookFlightHandler implements ICommandHandler<BookFlightCommand> {
  constructor(private readonly events: EventBus) {}
  execute({ sagaId }: BookFlightCommand): Promise<void> {
    this.events.publish(new FlightBookedEvent(sagaId));
    return Promise.resolve();
  }
}
@CommandHandler(SendInvoiceCommand)
class SendInvoiceHandler implements ICommandHandler<SendInvoiceCommand> {
  constructor(private readonly events: EventBus) {}
  execute({ sagaId }: SendInvoiceCommand): Promise<void> {
    this.events.publish(new InvoiceSentEvent(sagaId));
    return Promise.resolve();
  }
}
@Injectable()
class FlightSagas {
  constructor(private readonly sagas: SagaOrchestrator) {}
  @Saga() replies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.replies(flightSaga));
}
@Injectable()
class InvoiceSagas {
  constructor(private readonly sagas: SagaOrchestrator) {}
  @Saga() replies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.replies(invoiceSaga));
}

// Two feature modules, each registering its own saga, as two teams of one app would.
@Module({ imports: [SagaModule.forFeature([flightSaga])], providers: [BookFlightHandler, FlightSagas] })
class FlightsModule {}
@Module({ imports: [SagaModule.forFeature([invoiceSaga])], providers: [SendInvoiceHandler, InvoiceSagas] })
class InvoicingModule {}

// Nest tells dynamic modules apart by reference unless the app asks for `deep-hash`, which merges two dynamic
// modules whose metadata serialise alike: both strategies must keep both features.
for (const moduleIdGeneratorAlgorithm of ['reference', 'deep-hash'] as const)
  describe(`SagaModule.forFeature in two feature modules (module ids by ${moduleIdGeneratorAlgorithm})`, () => {
    let app: INestApplication;

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule(
        {
          imports: [...sagaHostImports(), FlightsModule, InvoicingModule],
        },
        { moduleIdGeneratorAlgorithm },
      ).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
    });

    afterAll(async () => {
      await app?.close();
    });

    it('registers both definitions', () => {
      expect(
        app
          .get(SagaRegistry)
          .all()
          .map((s) => s.definition.type)
          .sort(),
      ).toEqual(['flight', 'invoice']);
    });

    it('runs a saga of each to completion', async () => {
      const sagas = app.get(SagaOrchestrator);
      const flight = await sagas.start(flightSaga, { correlationId: 'trip-1', data: {} });
      const invoice = await sagas.start(invoiceSaga, { correlationId: 'trip-1', data: {} });
      expect((await sagas.waitForEnd(flight.id, 10_000))?.status).toBe(SagaStatus.COMPLETED);
      expect((await sagas.waitForEnd(invoice.id, 10_000))?.status).toBe(SagaStatus.COMPLETED);
    });
  });

describe('SagaModule at bootstrap, on saga tables made by synchronize alone', () => {
  it('refuses to start, naming what the tables lack', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [...sagaHostImports('synchronize'), FlightsModule],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      const error = await app.init().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SagaSchemaError);
      expect((error as SagaSchemaError).missing).toEqual(['function saga_store_transitions(jsonb)']);
    } finally {
      await app.close().catch(() => undefined);
    }
  });
});
