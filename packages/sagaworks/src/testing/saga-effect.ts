import { Injectable } from '@nestjs/common';
import type { SagaState } from '../domain/saga-state.js';

/**
 * One business effect of a saga's step: money charged, stock reserved, a booking made. The kit nets effects per
 * `key`, so a forward effect and its undo carry opposite signs (`+100` charged, `-100` refunded).
 */
export interface SagaEffect {
  /** The step whose command (or, with `compensation`, whose compensation) caused the effect. */
  step: string;
  /** True when the step's compensation caused it. */
  compensation?: boolean;
  /** What it changes (`'account-1'`, `'SKU-001'`): effects are netted per key. */
  key: string;
  /** The signed change. One step makes at most one effect per key, however often its command is delivered. */
  amount: number;
}

/** A recorded effect names its saga, since one ledger serves every saga of the app. */
export interface RecordedSagaEffect extends SagaEffect {
  sagaId: string;
}

/**
 * Reads a saga's effects from the app's own tables after a run (no change to the handlers):
 * `effects: async (sagaId, state) => (await payments(state.correlationId)).map(...)`.
 */
export type SagaEffectsReader = (sagaId: string, state: SagaState) => Promise<SagaEffect[]> | SagaEffect[];

/**
 * A ledger the app's handlers report their effects to, for handlers with no table to read them back from. Add
 * it to the providers of your test module; the kit finds it and checks what each run recorded. Record when the
 * effect is applied, not when the command arrives: an idempotent handler records once, however often it runs.
 */
@Injectable()
export class SagaEffectLedger {
  private readonly bySaga = new Map<string, SagaEffect[]>();

  record({ sagaId, ...effect }: RecordedSagaEffect): void {
    const effects = this.bySaga.get(sagaId) ?? [];
    effects.push(effect);
    this.bySaga.set(sagaId, effects);
  }

  /** What was recorded for one saga, in order. */
  effectsOf(sagaId: string): SagaEffect[] {
    return [...(this.bySaga.get(sagaId) ?? [])];
  }
}
