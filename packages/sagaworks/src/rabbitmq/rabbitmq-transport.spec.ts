import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import amqplib from 'amqplib';
import type { DataSource } from 'typeorm';
import { BROKER_SETUP_TIMEOUT_MS, brokerNamespace, brokerUrls, lockBroker } from '../../../../test/support/test-broker.js';
import { createTestDatabase, databaseKinds, type DatabaseKind, type TestDatabase } from '../../../../test/support/test-database.js';
import { waitFor } from '../../../../test/support/wait-for.js';
import { SagaOrchestrator } from '../index.js';
import { sagaTraceId } from '../otel/index.js';
import {
  bankCounters,
  faultsLeft,
  STEP_TIMEOUT_MS,
  startBank,
  startTransfers,
  transferSaga,
  unreachable,
} from '../spec-support/bank-transfer-fixture.js';
import type { SagaSpecHost } from '../spec-support/saga-spec-host.js';

/* The bank-transfer fixture's two apps, in one Jest process, joined only by a real RabbitMQ. */

for (const url of brokerUrls())
  describe.each(databaseKinds())('sagas across processes over RabbitMQ, on %s', (kind: DatabaseKind) => {
    const namespace = brokerNamespace(url);
    let transfers: SagaSpecHost;
    let bank: INestApplication;
    let bankDb: TestDatabase;
    let sagas: SagaOrchestrator;
    const bankSql = () => bank.get<DataSource>(getDataSourceToken());
    const transfer = async (account: string, amount: number) => {
      const saga = await sagas.start(transferSaga, { correlationId: randomUUID(), data: { account, amount } });
      return (await sagas.waitForEnd(saga.id, 20_000))!;
    };
    const ledgerOf = (sagaId: string) =>
      bankSql().query<{ entry: string; amount: number }[]>(`SELECT entry, amount FROM bank_ledger WHERE saga_id = $1 ORDER BY entry DESC`, [
        sagaId,
      ]);
    const countOf = async (sql: string) => (await bankSql().query<{ n: number }[]>(sql))[0].n;

    // One tracer provider for the process, as an app registers it; its spans are kept in memory to be read.
    const spans = new InMemorySpanExporter();
    const tracing = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });

    let unlock: (() => void) | undefined;

    beforeAll(async () => {
      unlock = await lockBroker();
      tracing.register();
      bankDb = await createTestDatabase(kind);
      bank = await startBank(bankDb, url, namespace.prefix);
      transfers = await startTransfers(kind, url, namespace.prefix);
      sagas = transfers.app.get(SagaOrchestrator);
    }, BROKER_SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await transfers?.close();
      await bank?.close();
      await bankDb?.drop();
      await namespace.drop(['bank', 'transfers']);
      unlock?.();
      await tracing.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    });

    it('runs a step in the other app and one here; the event leaves the outbox once the broker has it', async () => {
      const saga = await transfer('alice', 40);
      expect(saga.status).toBe('COMPLETED');
      expect(saga.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
        ['debit', 'COMPLETED', 1],
        ['notify', 'COMPLETED', 1],
      ]);
      expect(await ledgerOf(saga.id)).toEqual([{ entry: 'debit', amount: 40 }]);
      await waitFor(
        () => countOf(`SELECT count(*)::int AS n FROM sagaworks_outbox`),
        (n) => n === 0,
      );
      expect(await countOf(`SELECT count(*)::int AS n FROM sagaworks_inbox`)).toBeGreaterThanOrEqual(1);
    });

    it('compensates in the other app: a refusal there, or a failure here after it took effect', async () => {
      const refused = await transfer('bob', 500);
      expect(refused.status).toBe('COMPENSATED');
      expect(refused.failureReason).toMatch(/insufficient funds/);
      expect(await ledgerOf(refused.id)).toEqual([]);

      unreachable.add('carol');
      const undone = await transfer('carol', 30);
      expect(undone.status).toBe('COMPENSATED');
      expect(await ledgerOf(undone.id)).toEqual([
        { entry: 'debit', amount: 30 },
        { entry: 'credit', amount: -30 },
      ]);
    });

    it("brings a handler's error back from the other app: a business error fails the step with its words, an infrastructure fault waits, unspent", async () => {
      const broken = await transfer('broken', 10);
      expect(broken.status).toBe('COMPENSATED');
      expect(broken.steps[0].attempts).toBe(1);
      expect(broken.failureReason).toMatch(/the ledger refuses this account/);
      expect(await ledgerOf(broken.id)).toEqual([]);

      faultsLeft.set('dave', 2);
      const waited = await transfer('dave', 20);
      // At one attempt per step, only a fault that spends nothing lets this complete.
      expect(waited.status).toBe('COMPLETED');
      expect(waited.steps[0]).toMatchObject({ status: 'COMPLETED', attempts: 1 });
      const history = await sagas.store.history(waited.id);
      expect(history.filter((h) => /infrastructure/.test(h.reason ?? '')).length).toBeGreaterThanOrEqual(2);
      expect(await ledgerOf(waited.id)).toEqual([{ entry: 'debit', amount: 20 }]);
    });

    it('is one trace across both apps: the handler over there is the child of the attempt span that sent it', async () => {
      spans.reset();
      const saga = await transfer('frank', 15);
      expect(saga.status).toBe('COMPLETED');
      const mine = () => spans.getFinishedSpans().filter((s) => s.spanContext().traceId === sagaTraceId(saga.id));
      await waitFor(() => mine().some((s) => s.name === 'handle NotifyCommand'), Boolean);
      const names = mine().map((s) => s.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'step debit #1',
          'handle DebitCommand',
          'step notify #1',
          'handle NotifyCommand',
          'saga RUNNING -> COMPLETED',
        ]),
      );
      // Every span of the process this saga touched is in its trace, none elsewhere.
      expect(spans.getFinishedSpans().filter((s) => s.attributes['saga.id'] === saga.id).length).toBe(mine().length);
      const attempt = mine().find((s) => s.name === 'step debit #1')!;
      const handled = mine().find((s) => s.name === 'handle DebitCommand')!;
      expect(handled.parentSpanContext?.spanId).toBe(attempt.spanContext().spanId);
      expect(attempt.attributes).toMatchObject({ 'saga.step.attempt': 1, 'saga.step.outcome': 'COMPLETED' });
    });

    it("waits out a service that is down longer than the step's deadline: time in its queue spends no attempt", async () => {
      await bank.close();
      const saga = await sagas.start(transferSaga, { correlationId: randomUUID(), data: { account: 'gina', amount: 25 } });
      // Two deadlines pass while the debit waits in the bank's queue; at one attempt per step, either would
      // have cancelled the transfer if it counted.
      await new Promise((resolve) => setTimeout(resolve, 2.5 * STEP_TIMEOUT_MS));
      expect((await sagas.store.load(saga.id))?.status).toBe('RUNNING');
      bank = await startBank(bankDb, url, namespace.prefix);
      const ended = (await sagas.waitForEnd(saga.id, 20_000))!;
      expect(ended.status).toBe('COMPLETED');
      expect(ended.steps[0]).toMatchObject({ status: 'COMPLETED', attempts: 1 });
      const history = await sagas.store.history(saga.id);
      expect(history.filter((h) => /still waiting in the queue/.test(h.reason ?? '')).length).toBeGreaterThanOrEqual(1);
      expect(await ledgerOf(saga.id)).toEqual([{ entry: 'debit', amount: 25 }]);
    }, 40_000);

    it('handles a command the broker delivers twice (one message id) once: the inbox stops the second', async () => {
      const sagaId = randomUUID();
      const connection = await amqplib.connect(url);
      connection.on('error', () => undefined);
      const channel = await connection.createConfirmChannel();
      const message = { sagaId, account: 'erin', amount: 7 };
      const before = bankCounters.debitsDone;
      for (let i = 0; i < 2; i++)
        channel.publish(`${namespace.prefix}.commands`, 'bank', Buffer.from(JSON.stringify(message)), {
          type: 'DebitCommand',
          messageId: 'the-same-message',
          persistent: true,
          headers: { 'x-sagaworks-origin': 'transfers' },
        });
      await channel.waitForConfirms();
      await connection.close();
      await waitFor(
        () => bankCounters.debitsDone - before,
        (n) => n === 2,
      );
      await waitFor(
        () => countOf(`SELECT count(*)::int AS n FROM sagaworks_outbox`),
        (n) => n === 0,
      );
      expect(await ledgerOf(sagaId)).toEqual([{ entry: 'debit', amount: 7 }]);
      expect(await countOf(`SELECT count(*)::int AS n FROM sagaworks_inbox WHERE message_id = 'the-same-message'`)).toBe(1);
    });

    it('keeps a message it cannot read in the dead letters instead of looping on it', async () => {
      const connection = await amqplib.connect(url);
      connection.on('error', () => undefined);
      const channel = await connection.createConfirmChannel();
      channel.publish(`${namespace.prefix}.commands`, 'bank', Buffer.from('{"sagaId":'), { type: 'DebitCommand', persistent: true });
      channel.publish(`${namespace.prefix}.commands`, 'bank', Buffer.from('{}'), { type: 'NoSuchCommand', persistent: true });
      await channel.waitForConfirms();
      const dead = await waitFor(
        async () => (await channel.checkQueue(`${namespace.prefix}.dead-letters`)).messageCount,
        (n) => n >= 2,
      );
      expect(dead).toBe(2);
      await connection.close();
    });
  });
