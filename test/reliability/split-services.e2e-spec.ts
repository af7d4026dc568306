import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BROKER_SETUP_TIMEOUT_MS, brokerNamespace, brokerUrls, lockBroker } from '../support/test-broker';
import { postgresKinds } from '../support/test-database';
import { OrderClient } from './support/client';
import { countActive, report } from './support/harness';
import { checkInvariants, waitSettled } from './support/invariants';
import { orderMix, rng, runPool, sleep } from './support/orders';
import { checkReturns, refusingEveryFourth, ReturnClient, returnModes } from './support/returns';
import { SERVICES, type Service, type SplitSystem, startSplitSystem } from './support/split-system';
import { startCollector } from '../support/otlp-collector';
import { waitFor } from '../support/wait-for';

const run = promisify(execFile);
const rabbit = (action: 'stop_app' | 'start_app') => run('rabbitmqctl', [action], { timeout: 60_000 });

const SEED_STOCK = 600;

/*
 * Issue 16: the four services as four processes, each on its own PostgreSQL database, joined only by a real
 * RabbitMQ. Under load, each service is killed with -9 in turn, then two at once, then the broker stops for a few
 * seconds; clients retry by Idempotency-Key. Afterwards every invariant of DESIGN.md section 3 is checked across
 * the four databases (through postgres_fdw, with the monolith's own checks), every outbox is empty, and no card
 * token is left anywhere.
 */
for (const kind of postgresKinds())
  for (const url of brokerUrls())
    describe(`services in four processes over RabbitMQ (built app, ${kind})`, () => {
      let unlock: () => void = () => undefined;
      let brokerStopped = false;
      const systems: SplitSystem[] = [];
      const namespaces: ReturnType<typeof brokerNamespace>[] = [];

      beforeAll(async () => {
        // This suite stops the broker: no other broker suite may run meanwhile.
        unlock = await lockBroker();
      }, BROKER_SETUP_TIMEOUT_MS);

      afterAll(async () => {
        if (brokerStopped) await rabbit('start_app');
        await Promise.all(systems.map((s) => s.close()));
        for (const ns of namespaces) await ns.drop([...SERVICES]).catch(() => undefined);
        unlock();
      }, 120_000);

      const system = async (name: string, env: Record<string, string>) => {
        const ns = brokerNamespace(url);
        namespaces.push(ns);
        const started = await startSplitSystem({ name, brokerUrl: url, prefix: ns.prefix, env });
        systems.push(started);
        return started;
      };

      it('places 200 orders of every mode while each service is killed -9, two at once, and the broker restarts: every invariant holds', async () => {
        const sys = await system('split', { SEED_STOCK: String(SEED_STOCK) });
        const orders = orderMix(200, { prefix: 'split', seed: 7, overstockQuantity: 1000 });
        const client = new OrderClient(() => [sys.procs.orders.url]);
        const random = rng(16);
        const faults: { fault: string; accepted: number; activeSagas: number; back?: unknown }[] = [];
        // By time, while the load runs (about 10 orders a second for 20 s), so each fault lands mid-flight. A restart
        // takes 5-10 s, so the plan drifts late; the last orders wait for the last fault to begin, so it still comes
        // before the last order is taken.
        const plan: { atMs: number; fault: readonly Service[] | 'broker' }[] = [
          { atMs: 1_500, fault: ['inventory'] },
          { atMs: 4_500, fault: ['payment'] },
          { atMs: 7_500, fault: ['shipping'] },
          { atMs: 10_500, fault: ['orders'] },
          { atMs: 13_500, fault: ['payment', 'shipping'] },
          { atMs: 17_000, fault: 'broker' },
        ];
        const heldBack = orders.length - 10;
        let releaseTail: () => void = () => undefined;
        const lastFaultBegun = new Promise<void>((resolve) => (releaseTail = resolve));
        const started = Date.now();
        const injector = (async () => {
          for (const { atMs, fault } of plan) {
            await sleep(Math.max(0, started + atMs + random() * 300 - Date.now()));
            const at = { accepted: client.acceptedCount, activeSagas: await countActive(sys.sql.orders) };
            if (fault === 'broker') {
              brokerStopped = true;
              await rabbit('stop_app');
              releaseTail();
              await sleep(3_000);
              await rabbit('start_app');
              brokerStopped = false;
              faults.push({ fault: 'broker stopped 3 s', ...at });
            } else {
              const back = await sys.crash(fault);
              faults.push({ fault: `kill -9 ${fault.join(' + ')}`, ...at, back });
            }
          }
        })().finally(() => releaseTail());
        const paced = async (o: (typeof orders)[number], index: number) => {
          if (index >= heldBack) await lastFaultBegun;
          await client.place(o);
          await sleep(300 + random() * 200);
        };
        await Promise.all([runPool(orders, 4, paced), injector]);
        const loadMs = Date.now() - started;
        const settleMs = await waitSettled(sys.sql.orders, 120_000);

        const placed = [...client.placed.values()];
        const invariants = await checkInvariants(sys.audit, { seedStock: SEED_STOCK, orders: placed, outcomeByMode: true });
        // The outbox relay may still be confirming its last rows when the sagas end.
        let outboxes = await sys.outboxes();
        for (let i = 0; i < 50 && Object.values(outboxes).some((n) => n > 0); i++) {
          await sleep(100);
          outboxes = await sys.outboxes();
        }
        const [tokens] = await sys.audit<{ kept: number; received: number }>(
          `SELECT (SELECT count(*)::int FROM payment_methods) AS kept, (SELECT count(*)::int FROM payment_method_receipts) AS received`,
        );
        report('four processes under kill -9 and a broker restart', {
          orders: orders.length,
          faults,
          loadMs,
          settleMs,
          requests: client.statuses,
          retried: placed.filter((p) => p.attempts > 1).length,
          outcomes: invariants.summary,
          outboxes,
          tokens,
        });

        expect(faults).toHaveLength(plan.length);
        // Each fault hit sagas in flight, and came before the last order was taken.
        for (const f of faults) {
          expect(f.activeSagas).toBeGreaterThan(0);
          expect(f.accepted).toBeLessThan(orders.length);
        }
        expect(client.problems).toEqual([]);
        expect(invariants.violations).toEqual([]);
        expect(outboxes).toEqual({ orders: 0, inventory: 0, payment: 0, shipping: 0 });
        // Every order is settled: each token was used for its charge or withdrawn with its cancellation.
        expect(tokens.kept).toBe(0);
        expect(tokens.received).toBeGreaterThan(0);
        for (const service of SERVICES) expect(sys.procs[service].alive()).toBe(true);
      }, 300_000);

      it('a payment service down longer than the step deadline spends no attempt, and the orders are then returned across the four processes with payment killed -9 mid-flow', async () => {
        const STEP_TIMEOUT_MS = 2_000;
        const sys = await system('split-down', {
          SEED_STOCK: String(SEED_STOCK),
          SAGA_MAX_ATTEMPTS: '1',
          SAGA_STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS),
        });
        const orders = orderMix(40, {
          prefix: 'split-down',
          seed: 3,
          overstockQuantity: 1000,
          weights: { visa: 1, declined: 0, timeout: 0, aq: 0, overstock: 0 },
        });
        // Those returns are undone by events, across the processes too.
        refusingEveryFourth(orders);
        // Each process serves its own service: the catalog from inventory, not from orders; health everywhere.
        expect((await fetch(`${sys.procs.inventory.url}/products`)).status).toBe(200);
        expect((await fetch(`${sys.procs.orders.url}/products`)).status).toBe(404);
        for (const service of SERVICES) {
          const res = await fetch(`${sys.procs[service].url}/health/ready`);
          expect(res.status).toBe(200);
          expect(((await res.json()) as { info: Record<string, unknown> }).info).toHaveProperty('broker.status', 'up');
        }
        const client = new OrderClient(() => [sys.procs.orders.url]);
        await sys.procs.payment.kill('SIGKILL');
        await runPool(orders, 8, async (o) => void (await client.place(o)));
        // Every saga reaches the charge and waits there, well past its deadline, while payment is down.
        await sleep(STEP_TIMEOUT_MS * 3);
        const [waiting] = await sys.sql.orders<{ n: number }>(
          `SELECT count(*)::int AS n FROM saga_instance WHERE current_step = 'processPayment' AND status = 'RUNNING'`,
        );
        const back = await sys.crash(['payment']);
        const settleMs = await waitSettled(sys.sql.orders, 60_000);
        const invariants = await checkInvariants(sys.audit, {
          seedStock: SEED_STOCK,
          orders: [...client.placed.values()],
          outcomeByMode: true,
        });
        report('payment down past the deadline, one attempt per step', {
          orders: orders.length,
          waiting: waiting.n,
          back,
          settleMs,
          outcomes: invariants.summary,
        });

        expect(waiting.n).toBe(orders.length);
        expect(client.problems).toEqual([]);
        expect(invariants.violations).toEqual([]);
        expect(invariants.summary.confirmed).toBe(orders.length);

        // The order-return choreography over the broker: each service reacts to the one before's event, orders
        // tracks the flow, and payment is killed -9 while the returns run.
        const placed = [...client.placed.values()];
        const returner = new ReturnClient(() => sys.procs.orders.url);
        const killer = (async () => {
          while (returner.accepted < placed.length / 2) await sleep(5);
          return sys.crash(['payment']);
        })();
        await returner.returnAll(placed);
        const paymentBack = await killer;
        const returnsSettleMs = await waitSettled(sys.sql.orders, 60_000);
        const returns = await checkReturns(sys.audit, returnModes(orders, placed));
        const after = await checkInvariants(sys.audit, { seedStock: SEED_STOCK, orders: placed });
        report('returns across four processes, payment killed -9', { returns: placed.length, paymentBack, returnsSettleMs });
        expect(returner.problems).toEqual([]);
        expect(returns).toEqual([]);
        expect(after.violations).toEqual([]);
        // Everything the services put in their outboxes was published.
        await waitFor(
          () => sys.outboxes(),
          (o) => Object.values(o).every((n) => n === 0),
          10_000,
        );
      }, 240_000);

      it('is one trace per saga across the four processes and a restart: the trace id is the saga id', async () => {
        const collector = await startCollector();
        try {
          const sys = await system('split-trace', { SEED_STOCK: String(SEED_STOCK), OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
          // Payment is down when the order is placed, and comes back (a new process) while its saga waits there.
          await sys.procs.payment.kill('SIGKILL');
          const client = new OrderClient(() => [sys.procs.orders.url]);
          const [order] = orderMix(1, {
            prefix: 'split-trace',
            seed: 5,
            overstockQuantity: 1000,
            weights: { visa: 1, declined: 0, timeout: 0, aq: 0, overstock: 0 },
          });
          const placed = await client.place(order);
          const [saga] = await sys.sql.orders<{ id: string }>(`SELECT saga_id AS id FROM orders WHERE id = $1`, [placed.orderId]);
          await waitFor(
            async () =>
              (await sys.sql.orders<{ step: string }>(`SELECT current_step AS step FROM saga_instance WHERE id = $1`, [saga.id]))[0].step,
            (step) => step === 'processPayment',
            20_000,
            50,
          );
          await sys.crash(['payment']);
          await waitSettled(sys.sql.orders, 30_000, [saga.id]);
          const traceId = saga.id.replace(/-/g, '');
          // Each process's batch processor sends every 5 s.
          const spans = await waitFor(
            () => collector.spans.filter((s) => s.traceId === traceId),
            (found) =>
              ['orders', 'inventory', 'payment', 'shipping'].every((service) => found.some((s) => s.service === `sagaworks-${service}`)),
            30_000,
            200,
          );
          const where = (name: string) => spans.filter((s) => s.name === name).map((s) => s.service);
          expect(where('step reserveInventory #1')).toEqual(['sagaworks-orders']);
          expect(where('handle ReserveInventoryCommand')).toEqual(['sagaworks-inventory']);
          expect(where('handle ProcessPaymentCommand')).toContain('sagaworks-payment');
          expect(where('handle CreateShipmentCommand')).toEqual(['sagaworks-shipping']);
          expect(new Set(collector.spans.filter((s) => s.service !== undefined).map((s) => s.traceId))).toEqual(new Set([traceId]));
        } finally {
          await new Promise((resolve) => collector.server.close(resolve));
        }
      }, 180_000);
    });
