import type { SagaDefinition, SagaStepDefinition } from '../definition/saga-definition.js';
import type { SagaState } from '../domain/saga-state.js';
import { SagaStatus, StepStatus } from '../domain/saga-status.js';
import {
  type ExploreScenario,
  type FaultRules,
  type ScenarioContext,
  type SignalChoice,
  type WaitChange,
  sagaIdOf,
} from './fault-rules.js';

/** Per wait (by its signal's name, or its step's): the payload that approves it and, optionally, one that rejects it. */
export type SignalPayloads = Record<string, { approve: unknown; reject?: unknown }>;

/** The payloads given for a wait step, if any. */
export function payloadsOf(step: SagaStepDefinition<unknown>, signals: SignalPayloads | undefined) {
  return signals?.[step.wait?.signal ?? ''] ?? signals?.[step.name];
}

/**
 * How a run that approves the wait may end: completed, unless the kit has no approving payload for a wait that
 * decides on its payload (it sends `{}`, which the decision may refuse).
 */
export function approvedEnds(step: SagaStepDefinition<unknown>, signals: SignalPayloads | undefined): SagaStatus[] {
  return step.wait?.decide && payloadsOf(step, signals) === undefined
    ? [SagaStatus.COMPLETED, SagaStatus.COMPENSATED]
    : [SagaStatus.COMPLETED];
}

/** One run's signals to the wait: the answers they got, checked against what the scenario expects. */
class SignalLog {
  readonly answers: string[] = [];
  constructor(
    private readonly ctx: ScenarioContext,
    private readonly stepIndex: number,
    private readonly step: SagaStepDefinition<unknown>,
  ) {}

  async send(sagaId: string, choice: SignalChoice): Promise<void> {
    this.answers.push(await this.ctx.signal(sagaId, this.stepIndex, choice));
  }

  problems(state: SagaState, expected: string[]): string[] {
    const problems: string[] = [];
    if (state.steps[this.stepIndex]?.status === StepStatus.SKIPPED)
      problems.push(`${this.step.name} was skipped (its condition did not hold): start a saga that reaches it for this scenario`);
    else if (this.answers.join() !== expected.join())
      problems.push(
        `signal "${this.step.wait?.signal}" was answered ${this.answers.join(', ') || 'never'}, expected ${expected.join(', ')}`,
      );
    return problems;
  }
}

type Rules = (log: SignalLog, ctx: ScenarioContext) => FaultRules;

/** The wait at `stepIndex`, and only it: `react` says what the run does when it is reached or times out. */
function atWait(stepIndex: number, react: (change: WaitChange) => void): FaultRules['wait'] {
  return (change) => {
    if (change.stepIndex !== stepIndex) return false;
    react(change);
    return true;
  };
}

/**
 * Per wait step with a signal: signalled early (kept until the saga gets there), twice (the second a
 * duplicate), rejected (when `signals` gives a rejecting payload), never (its deadline: compensate, or its
 * timeout path), and late (after the deadline: refused, the timeout's outcome kept).
 */
export function waitScenarios(definition: SagaDefinition<unknown>, index: number, signals: SignalPayloads | undefined): ExploreScenario[] {
  const step = definition.steps[index];
  const wait = step.wait;
  if (!wait?.signal) return [];
  const approved = approvedEnds(step, signals);
  const timedOut = typeof wait.onTimeout === 'object' ? [SagaStatus.COMPLETED] : [SagaStatus.COMPENSATED];
  const scenario = (name: string, expect: SagaStatus[], answers: string[], rules: Rules): ExploreScenario => ({
    name: `${step.name} ${name}`,
    expect,
    faults: (ctx) => {
      const log = new SignalLog(ctx, index, step);
      return { ...rules(log, ctx), problems: (state) => log.problems(state, answers) };
    },
  });
  const scenarios: ExploreScenario[] = [];
  // Early: while the saga runs a step before the wait, the first such command is held and the signal sent.
  if (definition.steps.slice(0, index).some((s) => s.command || s.parallel))
    scenarios.push(
      scenario('signalled early', approved, ['kept'], (log) => {
        let sent = false;
        return {
          command: (c, address) => {
            const id = sagaIdOf(c);
            if (sent || !id || !address || address.kind !== 'execute' || address.stepIndex >= index) return 'run';
            sent = true;
            // Sent now, stored before the held command runs: the saga is still short of the wait.
            void log.send(id, 'approve');
            return 'hold';
          },
          wait: atWait(index, () => undefined),
        };
      }),
    );
  scenarios.push(
    scenario('signalled twice', approved, ['applied', 'duplicate'], (log, ctx) => ({
      wait: atWait(index, (change) => {
        if (change.to === 'waiting')
          ctx.whenQuiet(async () => (await log.send(change.sagaId, 'approve'), log.send(change.sagaId, 'approve')));
      }),
    })),
  );
  if (payloadsOf(step, signals)?.reject !== undefined)
    scenarios.push(
      scenario('rejected', [SagaStatus.COMPENSATED], ['applied'], (log, ctx) => ({
        wait: atWait(index, (change) => change.to === 'waiting' && ctx.whenQuiet(() => log.send(change.sagaId, 'reject'))),
      })),
    );
  scenarios.push(
    scenario('never signalled', timedOut, [], () => ({ wait: atWait(index, () => undefined) })),
    scenario('signalled late', timedOut, ['late'], (log, ctx) => ({
      wait: atWait(index, (change) => change.to === 'timed out' && ctx.whenQuiet(() => log.send(change.sagaId, 'approve'))),
    })),
  );
  return scenarios;
}
