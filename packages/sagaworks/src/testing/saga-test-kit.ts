import type { INestApplication } from '@nestjs/common';
import type { ICommand } from '@nestjs/cqrs';
import type { SagaDefinition, SagaFailureReply, SagaReply } from '../definition/saga-definition.js';
import type { SagaState } from '../domain/saga-state.js';
import { isTerminal, SagaStatus, StepStatus } from '../domain/saga-status.js';
import type { SagaHistoryRow } from '../persistence/saga-store.js';
import { childCorrelationId } from '../runtime/child-sagas.js';
import { SagaClock } from '../runtime/saga-clock.js';
import { SagaOrchestrator, type StoredTransition } from '../runtime/saga-orchestrator.js';
import { type RegisteredSaga, SagaRegistry } from '../runtime/saga-registry.js';
import { SagaSignals } from '../runtime/saga-signals.js';
import { SagaTimeoutJob } from '../runtime/saga-timeout.job.js';
import { type Next, SagaHooks } from '../transport/saga-hooks.js';
import { effectProblems } from './effect-checks.js';
import { exploreScenarios } from './explore-scenarios.js';
import type { ExploreScenario, FaultRules, ScenarioContext, SignalChoice, StepRef, WaitChange } from './fault-rules.js';
import { historyProblems } from './history-checks.js';
import { MessageAddresses } from './message-addresses.js';
import { type SagaEffect, SagaEffectLedger, type SagaEffectsReader } from './saga-effect.js';
import { payloadsOf, type SignalPayloads } from './wait-scenarios.js';

export type { SignalPayloads } from './wait-scenarios.js';

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
  /**
   * The payloads the kit signals each wait with, by the wait's signal name: `approve` (sent whenever a run
   * reaches the wait, unless its scenario says otherwise) and `reject` (its own scenario, which must end
   * compensated). Without an entry the kit sends `{}`, and a wait that decides on its payload may then end a
   * run either way.
   */
  signals?: SignalPayloads;
  /** Job passes allowed per run before the run is declared stuck. Default 200. */
  maxTicks?: number;
}

export interface ExploreReport {
  runs: ExploreOutcome[];
  /** Empty when every run ended well; otherwise one line per problem, prefixed with its scenario. */
  failures: string[];
}

/** A wait step of `saga` that `before -> after` reached, or ended by its deadline. */
function waitChanges(saga: RegisteredSaga, { before, after }: StoredTransition): WaitChange[] {
  if (after.type !== saga.definition.type) return [];
  return saga.definition.steps.flatMap((def, stepIndex): WaitChange[] => {
    const was = before?.steps[stepIndex]?.status;
    const now = after.steps[stepIndex];
    if (!def.wait || !now) return [];
    if (was !== StepStatus.WAITING && now.status === StepStatus.WAITING) return [{ sagaId: after.id, stepIndex, to: 'waiting' }];
    if (was === StepStatus.WAITING && now.status === StepStatus.FAILED && !now.signalled)
      return [{ sagaId: after.id, stepIndex, to: 'timed out' }];
    return [];
  });
}

/**
 * Drives real sagas in a real Nest app (its real handlers and database) under injected faults, with the saga
 * clock moved instead of sleeping. Hooks into the app's saga machinery (`SagaHooks`) to drop,
 * fail, hold or duplicate messages, telling each one's step (or branch) as the runtime does; nothing is mocked.
 * Run the app with `jobEnabled: false`: the kit drives `SagaTimeoutJob` itself.
 */
export class SagaTestKit {
  private faults: FaultRules = {};
  private inFlight = 0;
  /** Work to do once the app is quiet: redeliveries, held messages, signals, injected failures. */
  private readonly quietWork: (() => unknown)[] = [];
  /** The last stored state of each saga, as the runtime decided it (what tells a message's step). */
  private readonly states = new Map<string, SagaState>();
  /** The saga being explored, while `exploreFailures` runs. */
  private explored?: { saga: RegisteredSaga; addresses: MessageAddresses; signals?: SignalPayloads };
  private readonly orchestrator: SagaOrchestrator;
  private readonly registry: SagaRegistry;
  private readonly signals: SagaSignals;
  private readonly clock: SagaClock;
  private readonly job: SagaTimeoutJob;
  private readonly ledger?: SagaEffectLedger;

  private constructor(app: INestApplication) {
    this.orchestrator = app.get(SagaOrchestrator);
    this.registry = app.get(SagaRegistry);
    this.signals = app.get(SagaSignals);
    this.clock = app.get(SagaClock);
    this.job = app.get(SagaTimeoutJob);
    this.ledger = optionalProvider(app, SagaEffectLedger);
    this.orchestrator.transitions$.subscribe((t) => this.observe(t));
    app.get(SagaHooks).register({
      aroundCommand: (command, next) => this.aroundCommand(command, next),
      aroundReply: (reply, next) => this.aroundReply(reply, next),
    });
  }

  /** What the fault rules do to a command on its way to its handler, counting it while it runs. */
  private aroundCommand(command: ICommand, next: Next): Promise<unknown> {
    const run = () => {
      this.inFlight++;
      return next().finally(() => this.inFlight--);
    };
    const fault = this.faults.command?.(command, this.explored?.addresses.ofCommand(command)) ?? 'run';
    // As a broker's redelivery would: an error goes to the saga (which ignores one of a past action).
    const redeliver = () => run().catch((error: unknown) => this.orchestrator.onCommandError(command, error));
    if (fault === 'drop') return Promise.resolve(undefined);
    if (fault === 'hold') {
      this.whenQuiet(redeliver);
      return Promise.resolve(undefined);
    }
    const running = run();
    // The second delivery waits until the first was handled (succeeded or threw) and the app is quiet again.
    const again = (): void => this.whenQuiet(redeliver);
    if (fault === 'twice') running.then(again, again);
    return running;
  }

  /** What the fault rules do to a reply on its way to its saga. */
  private aroundReply(reply: SagaReply, next: Next): Promise<unknown> {
    const fault = this.faults.event?.(reply, this.explored?.addresses.ofReply(reply)) ?? 'once';
    if (fault === 'drop') return Promise.resolve(undefined);
    if (fault === 'hold') {
      this.whenQuiet(next);
      return Promise.resolve(undefined);
    }
    if (fault === 'twice') void next();
    return next();
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
   * while a run lasts, so start no other sagas meanwhile). Per step: it fails, never answers, loses its reply
   * once and gets its command twice (a forward-only step fails once and misses one deadline, and must still
   * complete); its compensation is delivered twice and loses its reply once. Per branch of a parallel stage, the
   * same, and its failure both before and after the other branches answer. Per wait: signalled early, twice,
   * rejected (with `signals`), never, and late. Last, every event twice. Replies and commands are told apart
   * by the step (or branch) they answer, so a fault for one step never hits another's message of the same
   * class. After each run it checks that the saga ended as expected, that a compensated saga undid every step
   * (and branch) that took effect exactly once and nothing else, the signals' answers, the run's effects
   * (`effects`, or a `SagaEffectLedger`), and your own `check`. The scenarios come from the definition
   * registered under `definition.type` (the one the app runs). Resolves with the report; read `failures` or
   * pass it to `SagaTestKit.assertExplored`.
   */
  async exploreFailures(definition: SagaDefinition<unknown>, options: ExploreOptions): Promise<ExploreReport> {
    const saga = this.registry.require(definition.type);
    this.explored = { saga, addresses: new MessageAddresses(saga, this.states), signals: options.signals };
    const runs: ExploreOutcome[] = [];
    const failures: string[] = [];
    let baseline: SagaEffect[] | undefined;
    try {
      for (const scenario of exploreScenarios(saga.definition, options.signals)) {
        try {
          const { outcome, problems } = await this.explore(saga.definition, scenario, options, baseline);
          runs.push(outcome);
          if (scenario.name === 'no fault' && outcome.state.status === SagaStatus.COMPLETED) baseline = outcome.effects;
          for (const p of problems) failures.push(`${scenario.name}: ${p}`);
        } catch (error) {
          failures.push(`${scenario.name}: ${(error as Error).message}`);
        } finally {
          this.faults = {};
          this.states.clear();
        }
      }
    } finally {
      this.explored = undefined;
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
    const ctx: ScenarioContext = {
      sagaId: () => started.sagaId,
      fail: (id, at) => this.fail(id, at),
      signal: (id, stepIndex, choice) => this.signal(id, stepIndex, choice),
      whenQuiet: (work) => this.whenQuiet(work),
      childOf: (parentId, stepIndex) => this.childOf(definition, parentId, stepIndex),
      failCurrentStep: (id) => this.failCurrentStep(id),
    };
    const rules = (this.faults = scenario.faults(ctx));
    const sagaId = (started.sagaId = await options.start(scenario.name));
    const state = await this.runToEnd(sagaId, options.maxTicks);
    this.faults = {};
    await this.quiesce();
    const history = await this.orchestrator.store.history(sagaId);
    const effects = [...((await options.effects?.(sagaId, state)) ?? []), ...(this.ledger?.effectsOf(sagaId) ?? [])].map(onlyEffect);
    const outcome: ExploreOutcome = { scenario: scenario.name, sagaId, state, history, effects };
    const problems = [
      ...historyProblems(definition, state, history, scenario.expect),
      ...(rules.problems?.(state) ?? []),
      ...effectProblems(state.status, effects, baseline),
    ];
    if (options.check) {
      try {
        await options.check(outcome);
      } catch (error) {
        problems.push(`check failed: ${(error as Error).message}`);
      }
    }
    return { outcome, problems };
  }

  /** Keeps the last state of each saga, and lets the scenario (or the kit's default approval) meet its waits. */
  private observe(transition: StoredTransition): void {
    if (!this.explored) return;
    this.states.set(transition.after.id, transition.after);
    for (const change of waitChanges(this.explored.saga, transition)) {
      const handled = this.faults.wait?.(change) === true;
      if (!handled && change.to === 'waiting') this.whenQuiet(() => this.signal(change.sagaId, change.stepIndex, 'approve'));
    }
  }

  /** Fails a step as its failure reply would; a branch by a reply of its own failure class, applied directly. */
  private fail(sagaId: string, at: StepRef): void {
    const saga = this.explored?.saga;
    const step = saga?.definition.steps[at.stepIndex];
    if (!saga || !step) return;
    if (at.branch === undefined) {
      this.track(() => this.orchestrator.reportStepFailure(sagaId, step.name, 'injected failure'));
      return;
    }
    const type = step.parallel?.[at.branch]?.failedBy?.[0];
    if (!type) return;
    // Built without its constructor (its other fields are the app's): the runtime reads its class, saga and reason.
    const reply = Object.assign(Object.create(type.prototype as object) as SagaFailureReply, { sagaId, reason: 'injected failure' });
    this.track(async () => this.orchestrator.dispatch(await this.orchestrator.onReply(saga.definition, reply)));
  }

  /** A child saga the kit saw stored, by the correlation id its parent's step gives it. */
  private childOf(definition: SagaDefinition<unknown>, parentId: string, stepIndex: number): string | undefined {
    const step = definition.steps[stepIndex];
    if (!step?.childSaga) return undefined;
    const correlationId = childCorrelationId(parentId, step.name);
    for (const state of this.states.values()) if (state.type === step.childSaga && state.correlationId === correlationId) return state.id;
    return undefined;
  }

  /** Fails the step another saga (a child) is at, by the orchestrator's failure report. */
  private failCurrentStep(sagaId: string): void {
    this.track(async () => {
      const state = await this.orchestrator.store.load(sagaId);
      const step = state && !isTerminal(state.status) ? state.steps[state.stepIndex] : undefined;
      if (step) await this.orchestrator.reportStepFailure(sagaId, step.name, 'injected failure');
    });
  }

  private async signal(sagaId: string, stepIndex: number, choice: SignalChoice) {
    const step = this.explored?.saga.definition.steps[stepIndex];
    if (!step?.wait?.signal) return 'unknown' as const;
    const payload = (payloadsOf(step, this.explored?.signals) ?? { approve: {} })[choice] ?? {};
    this.inFlight++;
    try {
      return (await this.signals.signal(sagaId, step.wait.signal, payload)).outcome;
    } finally {
      this.inFlight--;
    }
  }

  private whenQuiet(work: () => unknown): void {
    this.quietWork.push(work);
  }

  /** Runs `work`, counted as in flight until it settles (its errors are the run's to show, not the kit's). */
  private track(work: () => unknown): void {
    this.inFlight++;
    void Promise.resolve()
      .then(work)
      .catch(() => undefined)
      .finally(() => this.inFlight--);
  }

  /**
   * Waits until no command is executing, no reply or error is being applied to a saga, and the event loop has
   * drained the work it queued. Commands alone are not enough: a reply whose transition is still being stored
   * (a slow database) would otherwise see the clock jump past its step's deadline, and the step retried. Once
   * quiet, it does the queued work (redeliveries, held messages, signals) and waits again, so a duplicate meets
   * a saga that moved on.
   */
  private async quiesce(): Promise<void> {
    for (let calm = 0; calm < 3;) {
      await new Promise((r) => setTimeout(r, 5));
      calm = this.inFlight === 0 && this.orchestrator.inProgress === 0 ? calm + 1 : 0;
      if (calm === 3 && this.quietWork.length > 0) {
        calm = 0;
        for (const work of this.quietWork.splice(0)) this.track(work);
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
