import type { INestApplication } from '@nestjs/common';
import { CommandBus, EventBus, type ICommand, type IEvent } from '@nestjs/cqrs';
import type { SagaDefinition } from '../definition/saga-definition.js';
import type { SagaState } from '../domain/saga-state.js';
import { isTerminal, SagaStatus } from '../domain/saga-status.js';
import type { SagaHistoryRow } from '../persistence/saga-store.js';
import { SagaClock } from '../runtime/saga-clock.js';
import { SagaOrchestrator } from '../runtime/saga-orchestrator.js';
import { SagaTimeoutJob } from '../runtime/saga-timeout.job.js';
import { effectProblems } from './effect-checks.js';
import { exploreScenarios, type ExploreScenario, type FaultRules } from './explore-scenarios.js';
import { historyProblems } from './history-checks.js';
import { type SagaEffect, SagaEffectLedger, type SagaEffectsReader } from './saga-effect.js';

/** One run of `exploreFailures`: the fault injected and how the saga ended. */
export interface ExploreOutcome {
  scenario: string;
  sagaId: string;
  state: SagaState;
  history: SagaHistoryRow[];
  /** The run's effects, from the `effects` reader and the `SagaEffectLedger` (empty when neither is used). */
  effects: SagaEffect[];
}

export interface ExploreOptions {
  /** Starts one instance of the saga under test (over HTTP, a command, or `SagaOrchestrator.start`); returns its id. */
  start: (scenario: string) => Promise<string>;
  /** Your own invariants after each run (stock conserved, money conserved, ...); throw to fail the run. */
  check?: (outcome: ExploreOutcome) => Promise<void> | void;
  /**
   * Reads the saga's effects from your app's tables after each run (see `SagaEffect`); the kit then checks that
   * none applied twice, that a compensated saga netted each key to zero, and that a completed one took effect
   * as the fault-free run did. Effects handlers record in a `SagaEffectLedger` provider are checked alike.
   */
  effects?: SagaEffectsReader;
  /** Job passes allowed per run before the run is declared stuck. Default 200. */
  maxTicks?: number;
}

export interface ExploreReport {
  runs: ExploreOutcome[];
  /** Empty when every run ended well; otherwise one line per problem, prefixed with its scenario. */
  failures: string[];
}

/**
 * Drives real sagas in a real Nest app (its real handlers and database) under injected faults, with the saga
 * clock moved instead of sleeping. Intercepts the app's `CommandBus.execute` and `EventBus.publish` to drop,
 * fail or duplicate messages; nothing is mocked. Run the app with `jobEnabled: false`: the kit drives
 * `SagaTimeoutJob` itself.
 */
export class SagaTestKit {
  private faults: FaultRules = {};
  private inFlight = 0;
  /** Commands to deliver a second time once the app is quiet, as a broker redelivers an unacknowledged one. */
  private readonly redeliveries: ICommand[] = [];
  private readonly orchestrator: SagaOrchestrator;
  private readonly clock: SagaClock;
  private readonly job: SagaTimeoutJob;
  private readonly ledger?: SagaEffectLedger;
  private readonly execute: (command: ICommand) => Promise<unknown>;

  private constructor(app: INestApplication) {
    this.orchestrator = app.get(SagaOrchestrator);
    this.clock = app.get(SagaClock);
    this.job = app.get(SagaTimeoutJob);
    this.ledger = optionalProvider(app, SagaEffectLedger);
    const commandBus = app.get(CommandBus);
    const eventBus = app.get(EventBus);
    const execute = commandBus.execute.bind(commandBus);
    const publish = eventBus.publish.bind(eventBus);
    this.execute = (command) => {
      this.inFlight++;
      return execute(command).finally(() => this.inFlight--);
    };
    commandBus.execute = (command: ICommand) => {
      const fault = this.faults.command?.(command) ?? 'run';
      if (fault === 'drop') return Promise.resolve(undefined);
      const running = this.execute(command);
      // The second delivery waits until the first was handled (succeeded or threw) and the app is quiet again.
      const again = (): void => void this.redeliveries.push(command);
      if (fault === 'twice') running.then(again, again);
      return running;
    };
    eventBus.publish = ((event: IEvent): unknown => {
      const fault = this.faults.event?.(event) ?? 'once';
      if (fault === 'drop') return undefined;
      if (fault === 'twice') publish(event);
      return publish(event);
    }) as typeof eventBus.publish;
  }

  /** Attaches a kit to an initialised app (once per app). */
  static for(app: INestApplication): SagaTestKit {
    return new SagaTestKit(app);
  }

  /**
   * Throws an Error listing every failure of the report (for `await` in a Jest or Vitest test); does nothing
   * when the report has none.
   */
  static assertExplored(report: ExploreReport): void {
    if (report.failures.length === 0) return;
    const scenarios = new Set(report.failures.map((f) => f.split(': ')[0])).size;
    throw new Error(
      `exploreFailures: ${scenarios} of ${report.runs.length} runs went wrong\n${report.failures.map((f) => `  - ${f}`).join('\n')}`,
    );
  }

  /** Moves the saga clock forward and lets the timeout job act, without sleeping. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.job.runOnce();
    await this.quiesce();
  }

  /** Runs a saga to a terminal state: waits for in-flight work, then jumps the clock to its next deadline. */
  async runToEnd(sagaId: string, maxTicks = 200): Promise<SagaState> {
    for (let tick = 0; tick < maxTicks; tick++) {
      await this.quiesce();
      const state = await this.orchestrator.store.load(sagaId);
      if (!state) throw new Error(`saga ${sagaId} does not exist`);
      if (isTerminal(state.status)) return state;
      const wait = state.dueAt ? Math.max(0, state.dueAt.getTime() - this.clock.now().getTime()) + 1 : 1;
      this.clock.advance(wait);
      await this.job.runOnce();
    }
    throw new Error(`saga ${sagaId} did not end within ${maxTicks} timeout-job passes`);
  }

  /**
   * Runs the saga once without faults, then once per fault (one saga at a time: faults apply to every message
   * while a run lasts, so start no other sagas meanwhile): each step failing, never answering, its reply lost
   * once and its command delivered twice; each compensation delivered twice and its reply lost once; every
   * event delivered twice. A forward-only step instead fails once and misses its first attempt's deadline once,
   * and must still complete. After each run it checks that the saga ended as expected, that a compensated saga
   * undid every step that took effect exactly once and nothing else, the run's effects (`effects`, or a
   * `SagaEffectLedger`), and your own `check`. Resolves with the report; read `failures` or pass it to
   * `SagaTestKit.assertExplored`.
   */
  async exploreFailures(definition: SagaDefinition<unknown>, options: ExploreOptions): Promise<ExploreReport> {
    const runs: ExploreOutcome[] = [];
    const failures: string[] = [];
    let baseline: SagaEffect[] | undefined;
    for (const scenario of exploreScenarios(definition)) {
      try {
        const { outcome, problems } = await this.explore(definition, scenario, options, baseline);
        runs.push(outcome);
        if (scenario.name === 'no fault' && outcome.state.status === SagaStatus.COMPLETED) baseline = outcome.effects;
        for (const p of problems) failures.push(`${scenario.name}: ${p}`);
      } catch (error) {
        failures.push(`${scenario.name}: ${(error as Error).message}`);
      } finally {
        this.faults = {};
      }
    }
    return { runs, failures };
  }

  private async explore(
    definition: SagaDefinition<unknown>,
    scenario: ExploreScenario,
    options: ExploreOptions,
    baseline: SagaEffect[] | undefined,
  ): Promise<{ outcome: ExploreOutcome; problems: string[] }> {
    const started: { sagaId?: string } = {};
    this.faults = scenario.faults({
      sagaId: () => started.sagaId,
      failStep: (id, step) => void this.orchestrator.reportStepFailure(id, step, 'injected failure').catch(() => undefined),
    });
    const sagaId = (started.sagaId = await options.start(scenario.name));
    const state = await this.runToEnd(sagaId, options.maxTicks);
    this.faults = {};
    await this.quiesce();
    const history = await this.orchestrator.store.history(sagaId);
    const effects = [...((await options.effects?.(sagaId, state)) ?? []), ...(this.ledger?.effectsOf(sagaId) ?? [])].map(onlyEffect);
    const outcome: ExploreOutcome = { scenario: scenario.name, sagaId, state, history, effects };
    const problems = [...historyProblems(definition, state, history, scenario.expect), ...effectProblems(state.status, effects, baseline)];
    if (options.check) {
      try {
        await options.check(outcome);
      } catch (error) {
        problems.push(`check failed: ${(error as Error).message}`);
      }
    }
    return { outcome, problems };
  }

  /**
   * Waits until no command is executing, no reply or error is being applied to a saga, and the event loop has
   * drained the work it queued. Commands alone are not enough: a reply whose transition is still being stored
   * (a slow database) would otherwise see the clock jump past its step's deadline, and the step retried. Once
   * quiet, it delivers the queued redeliveries and waits again, so a duplicate meets a saga that moved on.
   */
  private async quiesce(): Promise<void> {
    for (let calm = 0; calm < 3;) {
      await new Promise((r) => setTimeout(r, 5));
      calm = this.inFlight === 0 && this.orchestrator.inProgress === 0 ? calm + 1 : 0;
      if (calm === 3 && this.redeliveries.length > 0) {
        calm = 0;
        for (const command of this.redeliveries.splice(0)) {
          // As a broker's redelivery would, an error goes to the saga (which ignores one of a past action).
          this.execute(command).catch((error: unknown) => this.orchestrator.onCommandError(command, error));
        }
      }
    }
  }
}

/** A reader may return its rows as they are: the report keeps what an effect is made of. */
function onlyEffect({ step, compensation, key, amount }: SagaEffect): SagaEffect {
  return compensation ? { step, compensation, key, amount } : { step, key, amount };
}

/** A provider the app may or may not register (`app.get` throws for an unknown one). */
function optionalProvider<T>(app: INestApplication, type: new (...args: never[]) => T): T | undefined {
  try {
    return app.get(type, { strict: false });
  } catch {
    return undefined;
  }
}
