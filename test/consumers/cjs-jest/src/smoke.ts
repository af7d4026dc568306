/**
 * Boots the app from the compiled CommonJS output with plain `node dist/smoke.js` (no Jest, no transform):
 * a completing order and a declined one, driven by the real timeout job, then exits 0.
 */
import { NestFactory } from '@nestjs/core';
import { SagaOrchestrator } from 'sagaworks';
import { AppModule } from './app.module';
import { Ledger } from './orders/ledger.service';
import { orderSaga } from './orders/order.saga';

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(), { logger: ['error', 'warn'] });
  try {
    const sagas = app.get(SagaOrchestrator);
    const ledger = app.get(Ledger);
    const run = async (correlationId: string, amountCents: number) => {
      const saga = await sagas.start(orderSaga, { correlationId, data: { sku: 'SKU-1', amountCents } });
      const ended = await sagas.waitForEnd(saga.id, 15_000);
      return { id: saga.id, status: ended?.status ?? 'did not end' };
    };
    const paid = await run('smoke-paid', 1_999);
    const declined = await run('smoke-declined', 50_000);
    console.log(`paid order: ${paid.status}; declined order: ${declined.status}, stock released: ${ledger.released.has(declined.id)}`);
    if (paid.status !== 'COMPLETED') throw new Error(`paid order ended ${paid.status}`);
    if (declined.status !== 'COMPENSATED' || !ledger.released.has(declined.id)) throw new Error(`declined order ended ${declined.status}`);
    console.log(`sagaworks loaded from ${require.resolve('sagaworks')}`);
  } finally {
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
