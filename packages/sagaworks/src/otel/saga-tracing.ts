import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ICommand } from '@nestjs/cqrs';
import { context, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { SagaState } from '../domain/saga-state.js';
import type { StoredTransition } from '../runtime/saga-orchestrator.types.js';
import { currentMessage } from '../transport/message-context.js';
import { type Next, type SagaHook, SagaHooks } from '../transport/saga-hooks.js';
import { sagaIdOf } from '../transport/saga-message.js';
import { fromTraceparent, sagaRootContext, TRACEPARENT, toTraceparent } from './saga-trace-context.js';

/** Open attempt spans kept at most; the oldest are ended beyond this (a saga that never answers). */
const MAX_OPEN = 10_000;

/**
 * OpenTelemetry spans of sagas, as a saga hook: one span per transition, one per step attempt and per
 * compensation (from the transition that sent it to the one that settled it), and one per handler run, in
 * whatever process the handler runs. All of a saga's spans are in one trace whose id is the saga's id, and a
 * command carries its attempt's span in `traceparent`, so a handler elsewhere is that attempt's child. Spans go
 * to the app's registered tracer provider (none registered: nothing is recorded).
 */
@Injectable()
export class SagaTracing implements SagaHook, OnModuleInit, OnModuleDestroy {
  private readonly tracer: Tracer = trace.getTracer('sagaworks');
  /** The attempt span open for each saga's step (`<sagaId> <step>`), latest last. */
  private readonly open = new Map<string, Span>();
  /** Each saga's latest open attempt span: the parent of the commands it sends. */
  private readonly latest = new Map<string, Span>();
  private unregister?: () => void;

  constructor(private readonly hooks: SagaHooks) {}

  onModuleInit(): void {
    this.unregister = this.hooks.register(this);
  }

  onModuleDestroy(): void {
    this.unregister?.();
    for (const span of this.open.values()) span.end();
    this.open.clear();
    this.latest.clear();
  }

  aroundCommand(command: ICommand, next: Next): Promise<unknown> {
    const sagaId = sagaIdOf(command);
    const parent = fromTraceparent(currentMessage()?.headers[TRACEPARENT]) ?? (sagaId ? this.attemptOf(sagaId) : undefined);
    if (!parent) return next();
    const span = this.tracer.startSpan(
      `handle ${command.constructor.name}`,
      { kind: SpanKind.CONSUMER, attributes: { 'saga.id': sagaId ?? '', 'messaging.message.type': command.constructor.name } },
      trace.setSpanContext(context.active(), parent),
    );
    return context.with(trace.setSpan(context.active(), span), async () => {
      try {
        return await next();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  onTransition({ before, after, history, at }: StoredTransition): void {
    const root = trace.setSpanContext(context.active(), sagaRootContext(after.id));
    for (const entry of history) {
      const name = entry.step ? `${entry.step} ${entry.from ?? 'new'} -> ${entry.to}` : `saga ${entry.from ?? 'new'} -> ${entry.to}`;
      this.tracer.startSpan(name, { startTime: at, attributes: this.attributes(after, entry.step, entry.reason) }, root).end(at);
    }
    this.attempts(before, after, at, root);
  }

  outgoingHeaders(message: object): Record<string, string> | undefined {
    const active = trace.getSpanContext(context.active());
    const sagaId = sagaIdOf(message);
    const parent = active ?? (sagaId ? this.attemptOf(sagaId) : undefined);
    return parent ? { [TRACEPARENT]: toTraceparent(parent) } : undefined;
  }

  /** Ends the attempt spans this transition settled and opens those it sent. */
  private attempts(before: SagaState | null, after: SagaState, at: Date, root: ReturnType<typeof context.active>): void {
    after.steps.forEach((step, i) => {
      const was = before?.steps[i];
      const key = `${after.id} ${step.name}`;
      const moved =
        was?.status !== step.status || was?.attempts !== step.attempts || was?.compensationAttempts !== step.compensationAttempts;
      if (!moved) return;
      const open = this.open.get(key);
      if (open) {
        open.setAttribute('saga.step.outcome', step.status);
        if (step.status === 'FAILED') open.setStatus({ code: SpanStatusCode.ERROR, message: step.error ?? 'failed' });
        open.end(at);
        this.forget(key, after.id, open);
      }
      if (step.status !== 'EXECUTING' && step.status !== 'COMPENSATING') return;
      const compensating = step.status === 'COMPENSATING';
      const attempt = compensating ? step.compensationAttempts : step.attempts;
      const span = this.tracer.startSpan(
        `${compensating ? 'compensate' : 'step'} ${step.name} #${attempt}`,
        {
          kind: SpanKind.PRODUCER,
          startTime: at,
          attributes: { ...this.attributes(after, step.name, null), 'saga.step.attempt': attempt },
        },
        root,
      );
      this.open.set(key, span);
      this.latest.set(after.id, span);
      if (this.open.size > MAX_OPEN) {
        const [oldest, stale] = this.open.entries().next().value as [string, Span];
        stale.end();
        this.forget(oldest, oldest.split(' ')[0], stale);
      }
    });
  }

  private forget(key: string, sagaId: string, span: Span): void {
    this.open.delete(key);
    if (this.latest.get(sagaId) === span) this.latest.delete(sagaId);
  }

  /** The attempt span a saga's command belongs to (its latest), else the saga's root. */
  private attemptOf(sagaId: string) {
    return this.latest.get(sagaId)?.spanContext() ?? sagaRootContext(sagaId);
  }

  private attributes(state: SagaState, step: string | null, reason: string | null) {
    return {
      'saga.id': state.id,
      'saga.type': state.type,
      'saga.status': state.status,
      ...(step ? { 'saga.step': step } : {}),
      ...(reason ? { 'saga.reason': reason } : {}),
    };
  }
}
