import { Module } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { defineSaga, SagaModule, send } from 'sagaworks';

const HOUR = 3_600_000;

export class HoldFundsCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
export class ReleaseHoldCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
export class PayOutCommand implements ICommand {
  constructor(public readonly sagaId: string) {}
}
export class FundsMoved implements IEvent {
  constructor(public readonly sagaId: string) {}
}

export interface PayoutData {
  amountCents: number;
  approvedBy?: string;
}

/**
 * A payout held for a person's approval: hold the funds, wait up to 48 h for the signal `approval`, pay out.
 * Its decision follows the inspector's payload convention, `{ decision, reason, by }`.
 */
export const payoutSaga = defineSaga<PayoutData>({
  type: 'ui-payout',
  steps: [
    {
      name: 'holdFunds',
      command: send(HoldFundsCommand, (c) => [c.sagaId]),
      completedBy: [FundsMoved],
      compensation: send(ReleaseHoldCommand, (c) => [c.sagaId]),
      compensatedBy: [FundsMoved],
    },
    {
      name: 'approval',
      wait: {
        signal: 'approval',
        timeoutMs: 48 * HOUR,
        decide: (payload, data) => {
          const { decision, reason, by } = payload as { decision?: string; reason?: string; by?: string };
          return decision === 'approve'
            ? { outcome: 'complete', data: { ...data, approvedBy: by } }
            : { outcome: 'fail', reason: `rejected by ${by ?? 'someone'}${reason ? `: ${reason}` : ''}` };
        },
      },
    },
    { name: 'payOut', command: send(PayOutCommand, (c) => [c.sagaId]), completedBy: [FundsMoved], nonCompensable: true },
  ],
});

@CommandHandler(HoldFundsCommand)
class HoldFundsHandler implements ICommandHandler<HoldFundsCommand> {
  constructor(private readonly events: EventBus) {}
  execute(c: HoldFundsCommand): Promise<void> {
    this.events.publish(new FundsMoved(c.sagaId));
    return Promise.resolve();
  }
}

@CommandHandler(ReleaseHoldCommand)
class ReleaseHoldHandler implements ICommandHandler<ReleaseHoldCommand> {
  constructor(private readonly events: EventBus) {}
  execute(c: ReleaseHoldCommand): Promise<void> {
    this.events.publish(new FundsMoved(c.sagaId));
    return Promise.resolve();
  }
}

@CommandHandler(PayOutCommand)
class PayOutHandler implements ICommandHandler<PayOutCommand> {
  constructor(private readonly events: EventBus) {}
  execute(c: PayOutCommand): Promise<void> {
    this.events.publish(new FundsMoved(c.sagaId));
    return Promise.resolve();
  }
}

/** Hosted beside the monolith in the browser test, so a saga waits for a person whatever the order saga does. */
@Module({ imports: [SagaModule.forFeature([payoutSaga])], providers: [HoldFundsHandler, ReleaseHoldHandler, PayOutHandler] })
export class WaitingSagaModule {}
