import { Injectable, Module } from '@nestjs/common';
import { CommandHandler, CqrsModule, EventBus, type ICommand, type ICommandHandler, type IEvent, Saga } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Observable } from 'rxjs';
import { defineSaga, SagaModule, SagaOrchestrator, sagaMigrations, send } from 'sagaworks';

// 1. Messages. Commands carry the saga id; reply events echo it.
export class ChargeCardCommand {
  constructor(
    public readonly sagaId: string,
    public readonly amountCents: number,
  ) {}
}
export class RefundCardCommand {
  constructor(public readonly sagaId: string) {}
}
export class SendReceiptCommand {
  constructor(public readonly sagaId: string) {}
}
export class CardChargedEvent {
  constructor(public readonly sagaId: string) {}
}
export class CardDeclinedEvent {
  constructor(
    public readonly sagaId: string,
    public readonly reason: string,
  ) {}
}
export class CardRefundedEvent {
  constructor(public readonly sagaId: string) {}
}
export class ReceiptSentEvent {
  constructor(public readonly sagaId: string) {}
}

// 2. Handlers do the work (idempotently, keyed by saga id, in real life) and publish the outcome.
@CommandHandler(ChargeCardCommand)
export class ChargeCardHandler implements ICommandHandler<ChargeCardCommand> {
  constructor(private readonly events: EventBus) {}
  execute({ sagaId, amountCents }: ChargeCardCommand): Promise<void> {
    this.events.publish(amountCents <= 10_000 ? new CardChargedEvent(sagaId) : new CardDeclinedEvent(sagaId, 'over the limit'));
    return Promise.resolve();
  }
}
@CommandHandler(RefundCardCommand)
export class RefundCardHandler implements ICommandHandler<RefundCardCommand> {
  constructor(private readonly events: EventBus) {}
  execute({ sagaId }: RefundCardCommand): Promise<void> {
    this.events.publish(new CardRefundedEvent(sagaId));
    return Promise.resolve();
  }
}
@CommandHandler(SendReceiptCommand)
export class SendReceiptHandler implements ICommandHandler<SendReceiptCommand> {
  constructor(private readonly events: EventBus) {}
  execute({ sagaId }: SendReceiptCommand): Promise<void> {
    this.events.publish(new ReceiptSentEvent(sagaId));
    return Promise.resolve();
  }
}

// 3. The saga, declared once: steps in order, the replies that answer them, and how each is undone.
export const checkoutSaga = defineSaga<{ amountCents: number }>({
  type: 'checkout',
  steps: [
    {
      name: 'charge',
      command: send(ChargeCardCommand, (c) => [c.sagaId, c.data.amountCents]),
      completedBy: [CardChargedEvent],
      failedBy: [CardDeclinedEvent],
      compensation: send(RefundCardCommand, (c) => [c.sagaId]),
      compensatedBy: [CardRefundedEvent],
      timeoutMs: 5_000,
    },
    { name: 'receipt', command: send(SendReceiptCommand, (c) => [c.sagaId]), completedBy: [ReceiptSentEvent], nonCompensable: true },
  ],
});

// 4. One @Saga() stream turns every reply into the next command, or into compensation.
@Injectable()
export class CheckoutSagas {
  constructor(private readonly sagas: SagaOrchestrator) {}

  @Saga()
  replies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.replies(checkoutSaga));
}

// 5. The app: CQRS, the scheduler, a TypeORM connection with the saga migrations, and the saga module.
@Module({
  imports: [
    CqrsModule.forRoot(),
    ScheduleModule.forRoot(),
    TypeOrmModule.forRootAsync({
      useFactory: () => ({
        type: 'postgres',
        url: process.env.DATABASE_URL,
        migrations: sagaMigrations,
        migrationsRun: true,
        autoLoadEntities: true,
      }),
    }),
    SagaModule.forRoot({ defaultStepTimeoutMs: 10_000, retry: { maxAttempts: 3 } }),
    SagaModule.forFeature([checkoutSaga]),
  ],
  providers: [ChargeCardHandler, RefundCardHandler, SendReceiptHandler, CheckoutSagas],
})
export class CheckoutModule {}

// 6. Start a saga, and (optionally) wait for its end:
//    const sagas = app.get(SagaOrchestrator);
//    const saga = await sagas.start(checkoutSaga, { correlationId: 'cart-42', data: { amountCents: 1_999 } });
//    const ended = await sagas.waitForEnd(saga.id, 5_000); // ended.status === 'COMPLETED'
