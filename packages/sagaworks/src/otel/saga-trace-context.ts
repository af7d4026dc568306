import { createHash } from 'node:crypto';
import { type SpanContext, TraceFlags } from '@opentelemetry/api';

/** The W3C header that carries trace context between processes. */
export const TRACEPARENT = 'traceparent';

/**
 * The trace of a saga: its id is the saga's id (a UUID is 128 bits, as a trace id is). Any process, at any
 * time, after any restart, puts its spans of a saga in that saga's one trace without having to be told it.
 */
export function sagaTraceId(sagaId: string): string {
  return sagaId.replace(/-/g, '').toLowerCase();
}

/** The saga's root, as a remote parent every span of the saga hangs from when no nearer parent is known. */
export function sagaRootContext(sagaId: string): SpanContext {
  return {
    traceId: sagaTraceId(sagaId),
    spanId: createHash('sha1').update(`saga:${sagaId}`).digest('hex').slice(0, 16),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  };
}

export function toTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-0${(context.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** A `traceparent` header's context, or undefined when it is not one. */
export function fromTraceparent(header: string | undefined): SpanContext | undefined {
  const m = header ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header) : null;
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return undefined;
  return { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16), isRemote: true };
}
