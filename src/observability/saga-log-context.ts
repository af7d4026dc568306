import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ICommand } from '@nestjs/cqrs';
import { isTerminal, SagaHooks } from 'sagaworks';
import { sagaTraceId } from 'sagaworks/otel';

/** Fields every log line written while a saga's command runs carries. */
export interface SagaLogFields {
  sagaId: string;
  /** The saga's trace (its id as an OpenTelemetry trace id): a log line leads to the saga's one trace. */
  traceId?: string;
  correlationId?: string;
  step?: string;
  command: string;
}

/**
 * One store for the process: pino's `mixin` reads it, and pino's root logger is itself a process-wide singleton
 * in nestjs-pino, so a per-app store could not be reached from it.
 */
const storage = new AsyncLocalStorage<SagaLogFields>();

/** The saga fields of the code running now, for pino's `mixin` (empty outside a saga's work). */
export function currentSagaLogFields(): Partial<SagaLogFields> {
  return storage.getStore() ?? {};
}

/** Sagas remembered for their correlation id and step; the oldest are dropped beyond this. */
const MAX_TRACKED = 10_000;

/**
 * Puts the saga a command belongs to into the async context of its handler, so that every log line the
 * handler writes (and everything it awaits) names `sagaId`, `correlationId` and `step`. Commands are
 * recognised by a string `sagaId` field, the saga module's convention. It is a saga hook around every command
 * the runtime sends, whatever transport brings it here, and no handler changes. Correlation id and step come
 * from the stored transitions, which are reported before the transition's commands leave, so the step is the
 * one the command performs or compensates.
 */
@Injectable()
export class SagaLogContext implements OnModuleInit, OnApplicationShutdown {
  private readonly sagas = new Map<string, { correlationId: string; step?: string }>();
  private unregister?: () => void;

  constructor(private readonly hooks: SagaHooks) {}

  onModuleInit(): void {
    this.unregister = this.hooks.register({
      onTransition: ({ after }) => {
        this.sagas.delete(after.id);
        if (isTerminal(after.status)) return;
        this.sagas.set(after.id, { correlationId: after.correlationId, step: after.steps[after.stepIndex]?.name });
        if (this.sagas.size > MAX_TRACKED) this.sagas.delete(this.sagas.keys().next().value as string);
      },
      aroundCommand: (command, next) => {
        const fields = this.fieldsOf(command);
        return fields ? storage.run(fields, next) : next();
      },
    });
  }

  onApplicationShutdown(): void {
    this.unregister?.();
    this.sagas.clear();
  }

  /** Runs `work` as part of a saga's work (for code that is not a command handler). */
  run<T>(fields: SagaLogFields, work: () => T): T {
    return storage.run(fields, work);
  }

  private fieldsOf(command: ICommand): SagaLogFields | undefined {
    const sagaId = (command as { sagaId?: unknown }).sagaId;
    if (typeof sagaId !== 'string') return undefined;
    const known = this.sagas.get(sagaId);
    return {
      sagaId,
      traceId: sagaTraceId(sagaId),
      ...(known ? { correlationId: known.correlationId, ...(known.step ? { step: known.step } : {}) } : {}),
      command: command.constructor.name,
    };
  }
}
