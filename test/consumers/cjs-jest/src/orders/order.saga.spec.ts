import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SagaOrchestrator } from 'sagaworks';
import { SagaInspectorModule } from 'sagaworks/inspector';
import { type ExploreOutcome, SagaTestKit } from 'sagaworks/testing';
import { AppModule } from '../app.module';
import { Ledger } from './ledger.service';
import { orderSaga } from './order.saga';

describe('the order saga, run from the installed sagaworks package', () => {
  let app: INestApplication;
  let kit: SagaTestKit;
  let sagas: SagaOrchestrator;
  let ledger: Ledger;
  let orders = 0;

  const startOrder = async (amountCents: number): Promise<string> => {
    const saga = await sagas.start(orderSaga, {
      correlationId: `order-${++orders}`,
      data: { sku: 'SKU-1', amountCents },
    });
    return saga.id;
  };

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ jobEnabled: false })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    kit = SagaTestKit.for(app);
    sagas = app.get(SagaOrchestrator);
    ledger = app.get(Ledger);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('loads the CommonJS build of sagaworks from node_modules, untransformed', () => {
    const resolved = require.resolve('sagaworks/package.json');
    expect(resolved).toMatch(/[\\/]node_modules[\\/]sagaworks[\\/]package\.json$/);
    // jest.config.js transforms only node_modules/@nestjs: sagaworks' `require` build loads as it ships.
    expect(require.resolve('sagaworks')).toMatch(/[\\/]node_modules[\\/]sagaworks[\\/]dist[\\/]cjs[\\/]/);
    expect(typeof SagaInspectorModule).toBe('function');
  });

  it('when every step answers, it completes and keeps the stock and the money', async () => {
    const id = await startOrder(1_999);
    const state = await kit.runToEnd(id);
    expect(state.status).toBe('COMPLETED');
    expect(state.steps.map((s) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(ledger.holdsStock(id)).toBe(true);
    expect(ledger.holdsMoney(id)).toBe(true);
    expect(ledger.notified.has(id)).toBe(true);
  });

  it('when the charge is declined, it releases the reserved stock and ends compensated', async () => {
    const id = await startOrder(50_000);
    const state = await kit.runToEnd(id);
    expect(state.status).toBe('COMPENSATED');
    expect(ledger.reserved.has(id)).toBe(true);
    expect(ledger.released.has(id)).toBe(true);
    expect(ledger.charged.has(id)).toBe(false);
    expect(ledger.notified.has(id)).toBe(false);
  });

  it('when the test kit injects every fault, each run ends completed or compensated with nothing left half done', async () => {
    const check = ({ sagaId, state }: ExploreOutcome): void => {
      const completed = state.status === 'COMPLETED';
      if (ledger.holdsStock(sagaId) !== completed) throw new Error(`stock held: ${ledger.holdsStock(sagaId)} for a ${state.status} saga`);
      if (ledger.holdsMoney(sagaId) !== completed) throw new Error(`money held: ${ledger.holdsMoney(sagaId)} for a ${state.status} saga`);
      if (ledger.notified.has(sagaId) !== completed) throw new Error(`customer notified: ${ledger.notified.has(sagaId)} for a ${state.status} saga`);
    };
    const report = await kit.exploreFailures(orderSaga, { start: () => startOrder(1_999), check });
    expect(report.failures).toEqual([]);
    expect(report.runs.map((r) => `${r.scenario}: ${r.state.status}`)).toEqual([
      'no fault: COMPLETED',
      'reserve fails: COMPENSATED',
      'reserve never answers: COMPENSATED',
      "reserve's reply is lost once: COMPLETED",
      "reserve's command delivered twice: COMPLETED",
      "reserve's compensation delivered twice: COMPENSATED",
      "reserve's compensation reply is lost once: COMPENSATED",
      'charge fails: COMPENSATED',
      'charge never answers: COMPENSATED',
      "charge's reply is lost once: COMPLETED",
      "charge's command delivered twice: COMPLETED",
      "charge's compensation delivered twice: COMPENSATED",
      "charge's compensation reply is lost once: COMPENSATED",
      'notify fails: COMPENSATED',
      'notify never answers: COMPENSATED',
      "notify's reply is lost once: COMPLETED",
      "notify's command delivered twice: COMPLETED",
      'every event delivered twice: COMPLETED',
    ]);
  });
});
