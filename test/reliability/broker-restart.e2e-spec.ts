import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SagaOrchestrator, type SagaState } from 'sagaworks';
import { startBank, startTransfers, transferSaga } from '../../packages/sagaworks/src/spec-support/bank-transfer-fixture';
import type { SagaSpecHost } from '../../packages/sagaworks/src/spec-support/saga-spec-host';
import { BROKER_SETUP_TIMEOUT_MS, brokerNamespace, brokerUrls, lockBroker } from '../support/test-broker';
import { createTestDatabase, postgresKinds, type TestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait-for';
import { sleep } from './support/orders';

const run = promisify(execFile);

/** The broker's own off switch: connections drop, durable queues and persistent messages stay. */
async function rabbit(action: 'stop_app' | 'start_app'): Promise<void> {
  await run('rabbitmqctl', [action], { timeout: 60_000 });
}

const DOWN_MS = 5_000;

/*
 * RabbitMQ stops mid-load (`rabbitmqctl stop_app`) for longer than a step's deadline, then starts again. Both apps
 * live through it and reconnect; the transfers app waits out the sends it could not make, the bank's outbox keeps
 * the replies it could not publish, unacked messages come back and stop at the inbox. At one attempt per step,
 * a single spent attempt would cancel a transfer: every one must complete, and the ledger must hold one debit
 * for each, nothing more.
 */
for (const url of brokerUrls())
  for (const kind of postgresKinds())
    describe(`a broker restart mid-load (two apps over RabbitMQ, ${kind})`, () => {
      const namespace = brokerNamespace(url);
      let transfers: SagaSpecHost;
      let bank: INestApplication;
      let bankDb: TestDatabase;
      let stopped = false;
      let unlock: (() => void) | undefined;

      beforeAll(async () => {
        unlock = await lockBroker();
        bankDb = await createTestDatabase(kind);
        bank = await startBank(bankDb, url, namespace.prefix);
        transfers = await startTransfers(kind, url, namespace.prefix);
      }, BROKER_SETUP_TIMEOUT_MS);

      afterAll(async () => {
        if (stopped) await rabbit('start_app');
        await transfers?.close();
        await bank?.close();
        await bankDb?.drop();
        await namespace.drop(['bank', 'transfers']);
        unlock?.();
      });

      it('completes every transfer once, spends no attempt, and leaves nothing in the outbox', async () => {
        const sagas = transfers.app.get(SagaOrchestrator);
        const ended: SagaState[] = [];
        let placed = 0;
        let finished = false;
        // Eight clients place transfers one after another until the broker has been back for a while.
        const client = async (): Promise<void> => {
          while (!finished) {
            placed++;
            const saga = await sagas.start(transferSaga, { correlationId: randomUUID(), data: { account: `acct-${placed}`, amount: 10 } });
            ended.push((await sagas.waitForEnd(saga.id, 60_000)) ?? saga);
          }
        };
        const load = Promise.all(Array.from({ length: 8 }, () => client()));
        await waitFor(
          () => ended.length,
          (n) => n >= 20,
          30_000,
        );
        await rabbit('stop_app');
        stopped = true;
        const inFlightAtStop = placed - ended.length;
        await sleep(DOWN_MS);
        await rabbit('start_app');
        stopped = false;
        const endedBeforeReturn = ended.length;
        await waitFor(
          () => ended.length - endedBeforeReturn,
          (n) => n >= 20,
          60_000,
        );
        finished = true;
        await load;
        const bankSql = bank.get<DataSource>(getDataSourceToken());
        await waitFor(
          async () => (await bankSql.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM sagaworks_outbox`))[0].n,
          (n) => n === 0,
          20_000,
        );
        const ledger = await bankSql.query<{ entry: string; n: number }[]>(
          `SELECT entry, count(*)::int AS n FROM bank_ledger GROUP BY entry ORDER BY entry`,
        );
        const outcomes = ended.map((s) => `${s.status} ${s.steps.map((st) => `${st.name}:${st.attempts}`).join(',')}`);
        const histories = await Promise.all(ended.map((s) => sagas.store.history(s.id)));
        const waited = histories.flat().filter((h) => /unspent|infrastructure|broker/.test(h.reason ?? ''));
        const waits = waited.length;
        console.log(
          `broker restart: ${ended.length} transfers, ${inFlightAtStop} in flight when it stopped, down ${DOWN_MS} ms, ${waits} infrastructure waits recorded`,
        );
        // The outage met sagas in flight (else this proves nothing), and every one of them completed unspent.
        expect(inFlightAtStop).toBeGreaterThan(0);
        expect(waits).toBeGreaterThan(0);
        expect(waited.some((h) => /the broker (is not reachable|could not be reached|did not confirm)/.test(h.reason ?? ''))).toBe(true);
        expect({ outcomes: [...new Set(outcomes)], ledger }).toEqual({
          outcomes: ['COMPLETED debit:1,notify:1'],
          ledger: [{ entry: 'debit', n: ended.length }],
        });
      }, 120_000);
    });
