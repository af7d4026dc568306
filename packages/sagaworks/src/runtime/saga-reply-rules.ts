import type { ICommand } from '@nestjs/cqrs';
import { isRetryable } from '../definition/retry-policy.js';
import type { SagaFailureReply, SagaReply } from '../definition/saga-definition.js';
import type { SagaState, Transition } from '../domain/saga-state.js';
import { initialStepState } from '../domain/saga-parallel-transitions.js';
import type { SagaCommandFactory } from './saga-commands.js';
import type { Decide } from './saga-orchestrator.types.js';
import { asFlowState } from '../domain/flow-transitions.js';
import type { RegisteredSaga, ReplyAddress } from './saga-registry.js';

/**
 * What a reply event does to its saga. An event class may answer several steps (or a step and its compensation):
 * it goes to the step it names (`event.step`), else the one in progress, the compensation while undoing.
 */
export function replyDecision<TData>(saga: RegisteredSaga<TData>, candidates: readonly ReplyAddress[], event: SagaReply): Decide<TData> {
  return (state, now) => {
    const undoing = state.status === 'COMPENSATING';
    const named = (event as { step?: unknown }).step;
    const reply =
      candidates.find((r) => saga.definition.steps[r.stepIndex]?.name === named && (r.kind === 'compensated') === undoing) ??
      candidates.find((r) => r.stepIndex === state.stepIndex && (r.kind === 'compensated') === undoing) ??
      candidates.find((r) => r.stepIndex === state.stepIndex) ??
      candidates[0];
    const { stepIndex, branch } = reply;
    const reason = (event as SagaFailureReply).reason ?? event.constructor.name;
    const owner = branch !== undefined ? saga.definition.steps[stepIndex].parallel?.[branch] : saga.definition.steps[stepIndex];
    const fold = owner?.onCompleted ? (d: TData) => (owner.onCompleted as (data: TData, e: SagaReply) => TData)(d, event) : undefined;
    if (branch !== undefined) {
      if (reply.kind === 'compensated') return saga.transitions.completeBranchCompensation(state, stepIndex, branch, now);
      if (reply.kind === 'failed') return saga.transitions.failBranch(state, stepIndex, branch, reason, now);
      return saga.transitions.completeBranch(state, stepIndex, branch, now, fold);
    }
    if (reply.kind === 'compensated') return saga.transitions.completeCompensation(state, stepIndex, now);
    if (reply.kind === 'failed') return saga.transitions.failStep(state, stepIndex, reason, now);
    return saga.transitions.completeStep(state, stepIndex, now, fold);
  };
}

/** How a command's error is recorded: a log line and the transition, or `null` when it is not the current action's. */
export interface CommandErrorDecision<TData> {
  log: string;
  decide: Decide<TData>;
}

/**
 * A command of a saga's current action threw: an infrastructure fault waits (unspent), a retryable error is
 * retried after the backoff, a non-retryable one ends the step. Errors of commands that are not the current
 * action (late, duplicate) are ignored (`null`).
 */
export function commandErrorDecision<TData>(
  saga: RegisteredSaga<TData>,
  state: SagaState<TData>,
  command: ICommand,
  error: unknown,
  reason: string,
  isTransient: (error: unknown) => boolean,
  commands: SagaCommandFactory,
): CommandErrorDecision<TData> | null {
  const index = state.stepIndex;
  const step = saga.definition.steps[index];
  const compensating = state.status === 'COMPENSATING';
  const fault = isTransient(error);
  const name = command.constructor.name;
  if (step?.parallel) {
    const branch = commands.branchOf(command, state, step.parallel);
    if (!branch) return null;
    const retryable = !fault && isRetryable({ ...saga.transitions.retryPolicy(index), ...step.parallel[branch.index].retry }, error);
    return {
      log: `${name} ${fault ? 'met an infrastructure fault (waits, attempt unspent)' : 'threw'}`,
      decide: (s, now) => saga.transitions.branchAttemptFailed(s, index, branch.index, branch.compensating, reason, retryable, fault, now),
    };
  }
  const spec = compensating ? step?.compensation : step?.command;
  if (!spec || command.constructor !== spec.type) return null;
  if (fault) {
    return {
      log: `${name} met an infrastructure fault (waits, attempt unspent)`,
      decide: (s, now) => saga.transitions.infrastructureFault(s, index, compensating, reason, now),
    };
  }
  const retryable = isRetryable(saga.transitions.retryPolicy(index), error);
  return {
    log: `${name} threw (${retryable ? 'will retry' : 'not retryable'})`,
    decide: (s, now) => saga.transitions.attemptFailed(s, index, compensating, reason, retryable, now),
  };
}

/**
 * An instance started under another version of its definition: held (`null`) under `hold`, or when its current
 * step no longer exists; otherwise its steps are matched to the current definition by name.
 */
export function alignToDefinition<TData>(
  saga: RegisteredSaga<TData>,
  state: SagaState<TData>,
  mode: 'continue' | 'hold',
): SagaState<TData> | null {
  if (state.definitionHash === saga.hash) return state;
  const current = state.steps[state.stepIndex]?.name;
  const stepIndex = saga.definition.steps.findIndex((s) => s.name === current);
  if (mode === 'hold' || stepIndex < 0) return null;
  const byName = new Map(state.steps.map((s) => [s.name, s]));
  const steps = saga.definition.steps.map((d) => byName.get(d.name) ?? initialStepState(d as Parameters<typeof initialStepState>[0]));
  return { ...state, steps, stepIndex, definitionHash: saga.hash };
}

/**
 * What the timeout job does with a claimed saga: before its deadline, its lease lapsed (resume). A deadline
 * missed while no instance held the lease, while this instance could not reach the database (`outageSince`),
 * or for a reason its transport gives (`excuse`: the command waited in a queue, the broker was down) says nothing
 * about the step: resume or resend, unspent. Otherwise the deadline counts.
 */
export function dueDecision<TData>(
  saga: RegisteredSaga<TData>,
  leaseLapsed: boolean,
  owner: string,
  outageSince?: Date,
  excuse?: (dueAt: Date) => string | undefined,
): Decide<TData> {
  // A choreographed flow has nothing in flight to resume or resend: its deadline passing stalls it.
  const flow = saga.flow?.transitions;
  if (flow) return (s, at) => flow.due(asFlowState(s), at) as Transition<TData> | null;
  return (s, at) => {
    if (!s.dueAt || s.dueAt.getTime() > at.getTime()) return saga.transitions.resume(s, owner, at);
    const why = excuse?.(s.dueAt);
    return (
      (leaseLapsed ? saga.transitions.resume(s, owner, at, true) : null) ??
      (outageSince ? saga.transitions.deadlinePassedInOutage(s, outageSince, at) : null) ??
      (why ? saga.transitions.deadlinePassedUnspent(s, why, at) : null) ??
      saga.transitions.deadlinePassed(s, at)
    );
  };
}
