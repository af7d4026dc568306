import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { CqrsModule, type ICommand } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import amqplib from 'amqplib';
import { BROKER_SETUP_TIMEOUT_MS, brokerNamespace, brokerUrls, lockBroker } from '../../../../test/support/test-broker.js';
import { waitFor } from '../../../../test/support/wait-for.js';
import type { SagaState } from '../domain/saga-state.js';
import { SagaHooks } from '../transport/saga-hooks.js';
import { TransportUnavailableError } from '../transport/transport-errors.js';
import { COMMAND_RECEIVED, ORIGIN_HEADER, RabbitMqSagaTransport, SagaRabbitMqModule, topologyNames } from './index.js';

class ChargeCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}

describe('RabbitMqSagaTransport without a broker', () => {
  let app: INestApplicationContext | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('does not wait for the receipt of a command it could not send, so the saga deadline counts again', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CqrsModule.forRoot(),
        // Nothing listens on port 1: every publish fails at once.
        SagaRabbitMqModule.forRoot({
          url: 'amqp://127.0.0.1:1',
          service: 'orders',
          commands: { payment: [ChargeCommand] },
          connectWaitMs: 50,
        }),
      ],
    }).compile();
    app = await moduleRef.init();
    const transport = app.get(RabbitMqSagaTransport);
    const sagaId = '4b7f3c1e-0000-4000-8000-000000000001';

    await expect(transport.send(new ChargeCommand(sagaId))).rejects.toBeInstanceOf(TransportUnavailableError);
    expect(transport.connected).toBe(false);
    expect(transport.excuseForDeadline(sagaId, new Date())).toBeUndefined();
  });
});

for (const url of brokerUrls())
  describe('RabbitMqSagaTransport receipts, on a real broker', () => {
    let app: INestApplicationContext | undefined;
    let unlock: () => void = () => undefined;
    const ns = brokerNamespace(url);

    beforeAll(async () => {
      unlock = await lockBroker();
    }, BROKER_SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await app?.close();
      await ns.drop(['orders', 'payment']).catch(() => undefined);
      unlock();
    });

    it('lets a resend supersede a send whose receipt was lost: the receipt of the latest ends the excuse', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          CqrsModule.forRoot(),
          SagaRabbitMqModule.forRoot({ url, service: 'orders', prefix: ns.prefix, commands: { payment: [ChargeCommand] } }),
        ],
      }).compile();
      app = await moduleRef.init();
      const transport = app.get(RabbitMqSagaTransport);
      const sagaId = '4b7f3c1e-0000-4000-8000-000000000002';
      // Nobody consumes the payment queue: the commands wait there, and the test reads their ids from it.
      await transport.send(new ChargeCommand(sagaId));
      await transport.send(new ChargeCommand(sagaId));
      expect(transport.excuseForDeadline(sagaId, new Date())).toMatch(/waiting in the queue/);

      const connection = await amqplib.connect(url);
      try {
        const channel = await connection.createChannel();
        const names = topologyNames(ns.prefix);
        const ids: string[] = [];
        for (let i = 0; i < 2; i++) {
          const message = await waitFor(
            () => channel.get(names.commandQueue('payment'), { noAck: true }),
            (m) => m !== false,
            5_000,
            50,
          );
          if (message) ids.push(message.properties.messageId as string);
        }
        // Only the second send's receipt arrives; the first one's was lost with the broker, say.
        channel.publish(names.events, names.receiptKey('orders'), Buffer.from(JSON.stringify({ sagaId, messageId: ids[1] })), {
          type: COMMAND_RECEIVED,
          headers: { [ORIGIN_HEADER]: 'payment' },
        });
        await waitFor(
          () => transport.excuseForDeadline(sagaId, new Date()),
          (excuse) => excuse === undefined,
          5_000,
          25,
        );
      } finally {
        await connection.close();
      }
    });

    it('forgets the lost receipts of a step once its saga moved on to the next', async () => {
      const transport = (app as INestApplicationContext).get(RabbitMqSagaTransport);
      const hooks = (app as INestApplicationContext).get(SagaHooks);
      const sagaId = '4b7f3c1e-0000-4000-8000-000000000003';
      await transport.send(new ChargeCommand(sagaId));
      expect(transport.excuseForDeadline(sagaId, new Date())).toMatch(/waiting in the queue/);
      const state = (stepIndex: number) => ({ id: sagaId, status: 'RUNNING', stepIndex, steps: [] }) as unknown as SagaState;
      // Another transition within the same step keeps the excuse; the next step drops it.
      hooks.transitioned({ before: state(1), after: state(1), history: [], at: new Date() });
      expect(transport.excuseForDeadline(sagaId, new Date())).toMatch(/waiting in the queue/);
      hooks.transitioned({ before: state(1), after: state(2), history: [], at: new Date() });
      expect(transport.excuseForDeadline(sagaId, new Date())).toBeUndefined();
    });
  });
