import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { CqrsModule, type ICommand } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { TransportUnavailableError } from '../transport/transport-errors.js';
import { RabbitMqSagaTransport, SagaRabbitMqModule } from './index.js';

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
