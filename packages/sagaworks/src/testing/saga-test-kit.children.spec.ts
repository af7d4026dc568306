import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplication, Injectable, Module } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { defineSaga, send } from '../definition/saga-definition.js';
import { childCorrelationId, childSagaStep } from '../runtime/child-sagas.js';
import { SagaOrchestrator } from '../runtime/saga-orchestrator.js';
import { SagaRegistry } from '../runtime/saga-registry.js';
import { MessageAddresses } from './message-addresses.js';
import { SagaModule } from '../saga.module.js';
import { sagaHostImports } from '../spec-support/saga-host-imports.js';
import { SagaEffectLedger } from './saga-effect.js';
import { type ExploreReport, SagaTestKit } from './saga-test-kit.js';

/*
 * The parent/child shape of runtime/child-sagas.spec.ts: a trip reserves a seat, books a hotel through a child
 * saga (hold a room, confirm it) and pays. Parent and child send the SAME command class, so the kit must tell
 * the child's messages from the parent's by their saga.
 */
class Act implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly what: string,
  ) {}
}
class Acted implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly what: string,
  ) {}
}
class Refused implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly reason: string,
  ) {}
}
const act = (what: string) => send(Act, (c: { sagaId: string }) => [c.sagaId, what]);

const hotelSaga = defineSaga<object>({
  type: 'kit-hotel-booking',
  steps: [
    {
      name: 'hold',
      command: act('hold room'),
      completedBy: [Acted],
      failedBy: [Refused],
      compensation: act('release room'),
      compensatedBy: [Acted],
    },
    {
      name: 'confirm',
      command: act('confirm room'),
      completedBy: [Acted],
      failedBy: [Refused],
      compensation: act('cancel room'),
      compensatedBy: [Acted],
    },
  ],
});

const tripSaga = defineSaga<object>({
  type: 'kit-trip-with-child',
  steps: [
    { name: 'seat', command: act('reserve seat'), completedBy: [Acted], compensation: act('release seat'), compensatedBy: [Acted] },
    childSagaStep<object, object>('hotel', { saga: hotelSaga, data: () => ({}) }),
    { name: 'pay', command: act('pay'), completedBy: [Acted], failedBy: [Refused], nonCompensable: true },
  ],
});

/** An effect per saga and action, once however often it is delivered; an undo nets its action to zero. */
const UNDOES: Record<string, string> = { 'release seat': 'reserve seat', 'release room': 'hold room', 'cancel room': 'confirm room' };

@Injectable()
@CommandHandler(Act)
class ActHandler implements ICommandHandler<Act> {
  readonly done = new Set<string>();
  constructor(
    private readonly events: EventBus,
    private readonly ledger: SagaEffectLedger,
  ) {}
  execute({ sagaId, what }: Act): Promise<void> {
    if (!this.done.has(`${sagaId} ${what}`)) {
      const undoes = UNDOES[what];
      // An undo of what never happened (its command was lost) undoes nothing.
      if (undoes && this.done.has(`${sagaId} ${undoes}`))
        this.ledger.record({ sagaId, step: what, compensation: true, key: undoes, amount: -1 });
      else if (!undoes) this.ledger.record({ sagaId, step: what, key: what, amount: 1 });
    }
    this.done.add(`${sagaId} ${what}`);
    this.events.publish(new Acted(sagaId, what));
    return Promise.resolve();
  }
}

describe('SagaTestKit.exploreFailures on a saga with a child saga step, on PGlite', () => {
  let app: INestApplication;
  let sagas: SagaOrchestrator;
  let report: ExploreReport;
  const SCENARIO = 'hotel: its child saga kit-hotel-booking fails';
  const run = (scenario: string) => {
    const found = report.runs.find((r) => r.scenario === scenario);
    if (!found) throw new Error(`no run "${scenario}"`);
    return found;
  };

  beforeAll(async () => {
    @Module({ imports: [SagaModule.forFeature([tripSaga, hotelSaga])], providers: [SagaEffectLedger, ActHandler] })
    class TripModule {}
    const moduleRef = await Test.createTestingModule({ imports: [...sagaHostImports(), TripModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    sagas = app.get(SagaOrchestrator);
    let n = 0;
    report = await SagaTestKit.for(app).exploreFailures(tripSaga, {
      start: async () => (await sagas.start(tripSaga, { correlationId: `trip-${++n}`, data: {} })).id,
    });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it("adds a run where the child saga fails, after the child step's own faults, and every run ends as expected", () => {
    const names = report.runs.map((r) => r.scenario);
    expect(names).toContain(SCENARIO);
    expect(names.indexOf(SCENARIO)).toBe(names.findIndex((s) => s.startsWith('pay')) - 1);
    expect(run(SCENARIO).state.status).toBe('COMPENSATED');
    expect(report.failures).toEqual([]);
  });

  it("fails the child itself: the child compensates, the parent's child step fails and its seat is released", async () => {
    const { sagaId, state, history } = run(SCENARIO);
    const child = await sagas.store.findByCorrelation(hotelSaga.type, childCorrelationId(sagaId, 'hotel'));
    expect(child?.status).toBe('COMPENSATED');
    expect(child?.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['hold:FAILED', 'confirm:PENDING']);
    expect(child?.steps[0].error).toBe('injected failure');
    expect(state.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['seat:COMPENSATED', 'hotel:FAILED', 'pay:PENDING']);
    // The parent's own step was never failed by the kit: its failure came from the child's end.
    expect(history.find((h) => h.step === 'hotel' && h.to === 'FAILED')?.reason).not.toBe('injected failure');
    const ledger = app.get(SagaEffectLedger);
    expect(ledger.effectsOf(sagaId).map((e) => `${e.key} ${e.amount}`)).toEqual(['reserve seat 1', 'reserve seat -1']);
    expect(ledger.effectsOf(child!.id)).toEqual([]);
  });

  it("gives the child's messages no address of the parent's steps, though they share its classes", async () => {
    const { sagaId } = run(SCENARIO);
    const parent = (await sagas.store.load(sagaId))!;
    const child = (await sagas.store.findByCorrelation(hotelSaga.type, childCorrelationId(sagaId, 'hotel')))!;
    const states = new Map([
      [parent.id, parent],
      [child.id, child],
    ]);
    const addresses = new MessageAddresses(app.get(SagaRegistry).require(tripSaga.type), states);
    expect(addresses.ofCommand(new Act(child.id, 'hold room'))).toBeUndefined();
    expect(addresses.ofReply(new Acted(child.id, 'hold room'))).toBeUndefined();
    expect(addresses.ofCommand(new Act(parent.id, 'reserve seat'))).toEqual({ stepIndex: 0, kind: 'execute' });
  });
});
