import type { Logger } from '@nestjs/common';
import type { ICommand } from '@nestjs/cqrs';
import type { SagaState } from '../domain/saga-state.js';
import { isTerminal } from '../domain/saga-status.js';
import type { SagaStore } from '../persistence/saga-store.js';
import type { SagaClock } from './saga-clock.js';
import type { AbortPlan, Decide, OperatorActionResult } from './saga-orchestrator.types.js';
import type { RegisteredSaga, SagaRegistry } from './saga-registry.js';
import { asFlowState } from '../domain/flow-transitions.js';
import type { SignalResult, SignalTarget } from './saga-signal.js';

export interface OperatorActionDeps {
  store: SagaStore;
  registry: SagaRegistry;
  clock: SagaClock;
  logger: Logger;
  onDefinitionChange: 'continue' | 'hold';
  transition: <TData>(saga: RegisteredSaga<TData>, sagaId: string, decide: Decide<TData>) => Promise<ICommand[]>;
  dispatch: (commands: ICommand[]) => void;
  /** Drops what this instance remembers of a saga, so the action decides on the stored row. */
  forget: (sagaId: string) => void;
}

/**
 * What operators, signals and parent sagas do to a saga: retry, abort, undo a completed one, skip a
 * compensation, adopt a new definition, signal. Each is one conditional transition; one that does not apply changes nothing and says why.
 */
export class SagaOperatorActions {
  constructor(private readonly deps: OperatorActionDeps) {}

  /**
   * A `FAILED` saga resumes the compensation that exhausted its attempts (with a fresh budget); a saga held
   * after a definition change is adopted by the current definition.
   */
  retry(sagaId: string, actor: string, reason?: string): Promise<OperatorActionResult> {
    return this.act(sagaId, async (saga, state) => {
      if (state.definitionHash !== saga.hash && !isTerminal(state.status) && (await this.adoptCurrentDefinition(sagaId))) return [];
      const why = `retry by ${actor}${reason ? `: ${reason}` : ''}`;
      const flow = saga.flow?.transitions;
      return this.deps.transition(saga, sagaId, (s, now) =>
        flow ? flow.retry(asFlowState(s), why, now) : saga.transitions.retryCompensation(s, why, now),
      );
    });
  }

  abort(sagaId: string, actor: string, reason?: string): Promise<OperatorActionResult> {
    const why = `aborted by ${actor}${reason ? `: ${reason}` : ''}`;
    return this.act(sagaId, (saga) => {
      const flow = saga.flow?.transitions;
      return this.deps.transition(saga, sagaId, (s, now) =>
        flow ? flow.abort(asFlowState(s), why, now) : saga.transitions.abort(s, why, now),
      );
    });
  }

  undoCompleted(sagaId: string, reason: string): Promise<OperatorActionResult> {
    return this.act(sagaId, (saga) => this.deps.transition(saga, sagaId, (s, now) => saga.transitions.undoCompleted(s, reason, now)));
  }

  skipCompensation(sagaId: string, stepName: string, actor: string, reason: string): Promise<OperatorActionResult> {
    return this.act(sagaId, (saga) => {
      const index = saga.definition.steps.findIndex((s) => s.name === stepName);
      return this.deps.transition(saga, sagaId, (s, now) =>
        index < 0 ? null : saga.transitions.skipCompensation(s, index, `skipped by ${actor}: ${reason}`, now),
      );
    });
  }

  /** Fails `stepName` as if its failure reply had arrived (a no-op unless it is executing). */
  async failStep(sagaId: string, stepName: string, reason: string, cached?: SagaState): Promise<ICommand[]> {
    const state = cached ?? (await this.deps.store.load(sagaId));
    if (!state) return [];
    const saga = this.deps.registry.require(state.type);
    const index = saga.definition.steps.findIndex((s) => s.name === stepName);
    const commands = await this.deps.transition(saga, sagaId, (s, now) => saga.transitions.failStep(s, index, reason, now));
    this.deps.dispatch(commands);
    return commands;
  }

  /** Sends the signal `name` to a saga (see `SagaOrchestrator.signal`). */
  async signal(target: SignalTarget, name: string, payload: unknown): Promise<SignalResult> {
    const found =
      typeof target === 'string'
        ? await this.deps.store.load(target)
        : await this.deps.store.findByCorrelation(target.type, target.correlationId);
    const saga = found && this.deps.registry.get(found.type);
    if (!found || !saga) return { outcome: 'not-found', reason: 'no such saga' };
    let result: SignalResult = { outcome: 'unknown', reason: '' };
    const commands = await this.deps.transition(saga, found.id, (state, now) => {
      const decided = saga.transitions.signal(state, name, payload, now);
      result = { outcome: decided.outcome, reason: decided.reason, sagaId: found.id };
      return decided.transition;
    });
    this.deps.dispatch(commands);
    return result;
  }

  async planAbort(sagaId: string): Promise<AbortPlan | null> {
    const state = await this.deps.store.load(sagaId);
    if (!state) return null;
    const saga = this.deps.registry.require(state.type);
    return {
      sagaId,
      status: state.status,
      // A choreographed flow's abort undoes nothing itself: its participants own their undoing.
      compensations: (saga.flow ? [] : saga.transitions.compensationPlan(state)).map((i) => ({
        step: saga.definition.steps[i].name,
        command: saga.definition.steps[i].compensation?.type.name ?? '',
      })),
    };
  }

  async adoptCurrentDefinition(sagaId: string): Promise<boolean> {
    const state = await this.deps.store.load(sagaId);
    if (!state || isTerminal(state.status)) return false;
    const saga = this.deps.registry.require(state.type);
    if (!saga.definition.steps.some((s) => s.name === state.steps[state.stepIndex]?.name)) return false;
    this.deps.forget(sagaId);
    return this.deps.store.restamp(sagaId, saga.hash, this.deps.clock.now());
  }

  async reportDefinitionChanges(): Promise<{ type: string; definitionHash: string; count: number }[]> {
    const stale = (await this.deps.store.activeByDefinition()).filter((r) => {
      const saga = this.deps.registry.get(r.type);
      return saga && saga.hash !== r.definitionHash;
    });
    const mode = this.deps.onDefinitionChange;
    for (const r of stale) {
      const saga = this.deps.registry.require(r.type);
      this.deps.logger.warn(
        `${r.count} "${r.type}" saga(s) in flight started under definition ${r.definitionHash}, now ${saga.hash}: ${mode === 'hold' ? 'held for an operator' : 'continuing, steps matched by name'}`,
      );
      if (mode === 'hold') await this.deps.store.hold(r.type, r.definitionHash);
    }
    return stale;
  }

  private async act(
    sagaId: string,
    action: (saga: RegisteredSaga, state: SagaState) => Promise<ICommand[]>,
  ): Promise<OperatorActionResult> {
    this.deps.forget(sagaId);
    const state = await this.deps.store.load(sagaId);
    if (!state) return { ok: false, reason: 'not-found', message: `saga ${sagaId} not found` };
    const saga = this.deps.registry.require(state.type);
    const commands = await action(saga, state);
    this.deps.dispatch(commands);
    const after = (await this.deps.store.load(sagaId)) as SagaState;
    if (after.version === state.version) {
      const step = state.steps[state.stepIndex];
      return {
        ok: false,
        reason: 'not-applicable',
        message: `saga ${sagaId} is ${state.status} (step ${step?.name} ${step?.status}); the action does not apply`,
      };
    }
    return { ok: true, saga: after };
  }
}
