import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { type INestApplication, Module } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { waitUntil } from '../../../../../test/support/wait-for.js';
import { childCorrelationId, childSagaStep, defineSaga, SagaModule, SagaOrchestrator, send } from '../../index.js';
import { sagaHostImports } from '../../spec-support/saga-host-imports.js';
import { SagaInspectorModule } from '../saga-inspector.module.js';

class Act implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly what: string,
  ) {}
}
class Acted implements IEvent {
  constructor(public readonly sagaId: string) {}
}
const act = (what: string) => send(Act, (c: { sagaId: string }) => [c.sagaId, what]);

/** The child holds a room, then waits for a confirmation that never comes: it stays running. */
const hotelSaga = defineSaga<object>({
  type: 'ui-hotel-booking',
  steps: [
    { name: 'hold', command: act('hold room'), completedBy: [Acted], compensation: act('release room'), compensatedBy: [Acted] },
    { name: 'confirm', command: act('confirm room'), completedBy: [Acted], compensation: act('cancel room'), compensatedBy: [Acted] },
  ],
});
const tripSaga = defineSaga<object>({
  type: 'ui-trip-with-child',
  steps: [
    { name: 'seat', command: act('reserve seat'), completedBy: [Acted], compensation: act('release seat'), compensatedBy: [Acted] },
    childSagaStep<object, object>('hotel', { saga: hotelSaga, data: () => ({}) }),
  ],
});

@CommandHandler(Act)
class ActHandler implements ICommandHandler<Act> {
  constructor(private readonly events: EventBus) {}
  execute(c: Act): Promise<void> {
    if (c.what !== 'confirm room') this.events.publish(new Acted(c.sagaId));
    return Promise.resolve();
  }
}

@Module({ imports: [SagaModule.forFeature([tripSaga, hotelSaga])], providers: [ActHandler] })
class TripModule {}

describe('the saga pages of a parent and its child saga, on PGlite', () => {
  let app: INestApplication<Server>;
  let parentId: string;
  let childId: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [...sagaHostImports(), SagaInspectorModule.forRoot({}), TripModule],
    }).compile();
    app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
    await app.init();
    const sagas = app.get(SagaOrchestrator);
    parentId = (await sagas.start(tripSaga, { correlationId: 'trip-1', data: {} })).id;
    await waitUntil(async () => !!(await sagas.store.findByCorrelation(hotelSaga.type, childCorrelationId(parentId, 'hotel'))));
    childId = (await sagas.store.findByCorrelation(hotelSaga.type, childCorrelationId(parentId, 'hotel')))!.id;
  });

  afterAll(async () => {
    await app?.close();
  });

  it("links the parent's child step to the child saga, with its status", async () => {
    const page = (await request(app.getHttpServer()).get(`/ui/sagas/${parentId}`).expect(200)).text;
    expect(page).toContain(
      `<a href="sagas/${childId}" data-child-saga="${childId}">ui-hotel-booking <span class="mono">${childId.slice(0, 8)}</span></a> <span class="badge b-RUNNING">RUNNING</span>`,
    );
    expect(page).not.toContain('data-parent-saga');
  });

  it('links the child back to its parent and step', async () => {
    const page = (await request(app.getHttpServer()).get(`/ui/sagas/${childId}`).expect(200)).text;
    expect(page).toContain(
      `<a href="sagas/${parentId}" data-parent-saga="${parentId}" class="mono">${parentId.slice(0, 8)}</a> (step hotel)`,
    );
    expect(page).not.toContain('data-child-saga');
  });
});
