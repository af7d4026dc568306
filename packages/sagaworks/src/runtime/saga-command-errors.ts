import type { Logger } from '@nestjs/common';
import type { ICommand } from '@nestjs/cqrs';
import { infrastructureBackoffMs } from '../definition/retry-policy.js';
import type { SagaState } from '../domain/saga-state.js';
import { classifiedReason } from './infrastructure-error.js';
import type { SagaCommandFactory } from './saga-commands.js';
import type { Decide } from './saga-orchestrator.types.js';
import type { RegisteredSaga, SagaRegistry } from './saga-registry.js';
import { commandErrorDecision } from './saga-reply-rules.js';

export interface CommandErrorDeps {
  registry: SagaRegistry;
  logger: Logger;
  commands: SagaCommandFactory;
  isTransient: (error: unknown) => boolean;
  load: (sagaId: string) => Promise<SagaState | null>;
  transition: <TData>(saga: RegisteredSaga<TData>, sagaId: string, decide: Decide<TData>) => Promise<ICommand[]>;
  dispatch: (commands: ICommand[]) => void;
}

/**
 * What happens when a command a saga sent throws: the failure is recorded on the saga (an infrastructure fault
 * waits, a retryable error is retried, another ends the step); and when the database cannot even record it, the
 * command is sent again from memory.
 */
export class SagaCommandErrors {
  /** Commands sent again from memory while the database could not record their failure, with their count. */
  private readonly unrecorded = new WeakMap<ICommand, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private redelivered = 0;

  constructor(private readonly deps: CommandErrorDeps) {}

  /** Commands sent again from memory because the database could not record their failure, since start. */
  get redeliveriesFromMemory(): number {
    return this.redelivered;
  }

  async record(command: ICommand, error: unknown): Promise<void> {
    const sagaId = (command as { sagaId: string }).sagaId;
    const message = (error as Error)?.message ?? String(error);
    try {
      const state = await this.deps.load(sagaId);
      const saga = state && this.deps.registry.get(state.type);
      if (!state || !saga) return;
      // The log keeps the driver's own words; the saga row keeps a classified reason, which may be served.
      const decision = commandErrorDecision(
        saga,
        state,
        command,
        error,
        classifiedReason(error),
        this.deps.isTransient,
        this.deps.commands,
      );
      if (!decision) return;
      this.deps.logger.warn(`saga ${sagaId}: ${decision.log}: ${message}`);
      this.deps.dispatch(await this.deps.transition(saga, sagaId, decision.decide));
    } catch (failure) {
      this.deps.logger.error(`saga ${sagaId}: could not record the failure of ${command.constructor.name}: ${(failure as Error).message}`);
      if (this.deps.isTransient(failure)) this.redeliverLater(command);
    }
  }

  /** Drops the pending redeliveries (shutdown). */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * The database could not even record that a command failed (it is down, or read-only): nothing would happen
   * until the step's deadline, which would then spend the attempt. Send the command again from memory after a
   * capped backoff instead (handlers are idempotent); once the database answers, its reply or its failure is
   * recorded as usual. A crash loses only this shortcut: the lease expiry resumes the step, unspent.
   */
  private redeliverLater(command: ICommand): void {
    const count = (this.unrecorded.get(command) ?? 0) + 1;
    this.unrecorded.set(command, count);
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.redelivered++;
        this.deps.dispatch([command]);
      },
      infrastructureBackoffMs(count, 30_000),
    );
    timer.unref();
    this.timers.add(timer);
  }
}
