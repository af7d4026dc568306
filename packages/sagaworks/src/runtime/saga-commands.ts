import type { ICommand } from '@nestjs/cqrs';
import type { SagaStepDefinition } from '../definition/saga-definition.js';
import type { SagaAction, SagaState, Transition } from '../domain/saga-state.js';
import type { RegisteredSaga } from './saga-registry.js';

/**
 * Builds the commands a transition's actions ask for, and remembers what each was built for: a command that
 * fails is then told from its siblings (two branches may send commands of one class).
 */
export class SagaCommandFactory {
  private readonly sentFor = new WeakMap<ICommand, SagaAction>();

  build<TData>(saga: RegisteredSaga<TData>, t: Transition<TData>): ICommand[] {
    const s = t.state;
    return t.actions.map((action) => {
      const stage = saga.definition.steps[action.stepIndex];
      const step = action.branch !== undefined && stage.parallel ? stage.parallel[action.branch] : stage;
      const spec = action.kind === 'execute' ? step.command : action.kind === 'remind' ? step.wait?.remind?.command : step.compensation;
      if (!spec) {
        const what = action.kind === 'compensate' ? 'compensation' : action.kind === 'remind' ? 'reminder' : 'command';
        throw new Error(`saga ${s.type}: step ${step.name} has no ${what}`);
      }
      const command = spec.create({
        sagaId: s.id,
        correlationId: s.correlationId,
        data: s.data,
        attempt: action.attempt,
        failureReason: s.failureReason ?? undefined,
      });
      this.sentFor.set(command, action);
      return command;
    });
  }

  /** The actions in flight at a saga's current step (its command, its compensation, or its branches'). */
  currentActions(state: SagaState): SagaAction[] {
    const stepIndex = state.stepIndex;
    const step = state.steps[stepIndex];
    if (!step || step.awaitingRetry) return [];
    if (step.branches) {
      return step.branches.flatMap((b, branch): SagaAction[] => {
        if (b.awaitingRetry || (b.status !== 'EXECUTING' && b.status !== 'COMPENSATING')) return [];
        const executing = b.status === 'EXECUTING';
        return [
          { kind: executing ? 'execute' : 'compensate', stepIndex, branch, attempt: executing ? b.attempts : b.compensationAttempts },
        ];
      });
    }
    if (step.status === 'EXECUTING') return [{ kind: 'execute', stepIndex, attempt: step.attempts }];
    if (step.status === 'COMPENSATING') return [{ kind: 'compensate', stepIndex, attempt: step.compensationAttempts }];
    return [];
  }

  /**
   * The branch of a parallel stage a failed command was sent for: the one this instance built it for, else the
   * first branch in flight whose command (or compensation) is of its class.
   */
  branchOf(
    command: ICommand,
    state: SagaState,
    branches: readonly SagaStepDefinition<unknown>[],
  ): { index: number; compensating: boolean } | null {
    const sent = this.sentFor.get(command);
    if (sent?.branch !== undefined) return { index: sent.branch, compensating: sent.kind === 'compensate' };
    const live = state.steps[state.stepIndex]?.branches ?? [];
    for (const [index, def] of branches.entries()) {
      const b = live[index];
      if (b?.status === 'EXECUTING' && def.command?.type === command.constructor) return { index, compensating: false };
      if (b?.status === 'COMPENSATING' && def.compensation?.type === command.constructor) return { index, compensating: true };
    }
    return null;
  }
}
