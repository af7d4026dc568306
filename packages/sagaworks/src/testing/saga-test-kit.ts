import type { INestApplication } from '@nestjs/common';
import { CommandBus, EventBus, type ICommand, type IEvent } from '@nestjs/cqrs';
import type { SagaDefinition, SagaStepDefinition } from '../definition/saga-definition.js';
import type { SagaState } from '../domain/saga-state.js';
import { isTerminal, SagaStatus } from '../domain/saga-status.js';
import type { SagaHistoryRow } from '../persistence/saga-store.js';
import { SagaClock } from '../runtime/saga-clock.js';
import { SagaOrchestrator } from '../runtime/saga-orchestrator.js';
import { SagaTimeoutJob } from '../runtime/saga-timeout.job.js';

type CommandRule = (command: ICommand) => 'run' | 'drop';
type EventRule = (event: IEvent) => 'once' | 'drop' | 'twice';

/** One run of `exploreFailures`: the fault injected and how the saga ended. */
export interface ExploreOutcome {
  scenario: string;
  sagaId: string;
  state: SagaState;
  history: SagaHistoryRow[];
}

export interface ExploreOptions {
  /** Starts one instance of the saga under test (over HTTP, a command, or `SagaOrchestrator.start`); returns its id. */
  start: (scenario: string) => Promise<string>;
  /** Your own invariants after each run (stock conserved, money conserved, ...); throw to fail the run. */
  check?: (outcome: ExploreOutcome) => Promise<void> | void;
  /** Job passes allowed per run before the run is declared stuck. Default 200. */
  maxTicks?: number;
}

export interface ExploreReport {
  runs: ExploreOutcome[];
  /** Empty when every run ended well; otherwise one line per broken run. */
  failures: string[];
}

const sagaIdOf = (message: object): string | undefined => (message as { sagaId?: unknown }).sagaId as string | undefined;

/**
 * Drives real sagas in a real Nest app (its real handlers and database) under injected faults, with the saga
 * clock moved instead of sleeping. Intercepts the app's `CommandBus.execute` and `EventBus.publish` to drop,
 * fail or duplicate messages; nothing is mocked. Run the app with `jobEnabled: false`: the kit drives
 * `SagaTimeoutJob` itself.
 */
export class SagaTestKit {
  private commandRule: CommandRule = () => 'run';
  private eventRule: EventRule = () => 'once';
  private inFlight = 0;
  private readonly orchestrator: SagaOrchestrator;
  private readonly clock: SagaClock;
  private readonly job: SagaTimeoutJob;

  private constructor(app: INestApplication) {
    this.orchestrator = app.get(SagaOrchestrator);
    this.clock = app.get(SagaClock);
    this.job = app.get(SagaTimeoutJob);
    const commandBus = app.get(CommandBus);
    const eventBus = app.get(EventBus);
    const execute = commandBus.execute.bind(commandBus);
    const publish = eventBus.publish.bind(eventBus);
    commandBus.execute = ((command: ICommand) => {
      if (this.commandRule(command) === 'drop') return Promise.resolve(undefined);
      this.inFlight++;
      return execute(command).finally(() => this.inFlight--);
    }) as typeof commandBus.execute;
    eventBus.publish = ((event: IEvent): unknown => {
      const rule = this.eventRule(event);
      if (rule === 'drop') return undefined;
      if (rule === 'twice') publish(event);
      return publish(event);
    }) as typeof eventBus.publish;
  }

  /** Attaches a kit to an initialised app (once per app). */
  static for(app: INestApplication): SagaTestKit {
    return new SagaTestKit(app);
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
   * while a run lasts, so start no other sagas meanwhile): each step failing, each step never answering,
   * each step's reply lost once, every event delivered twice. A forward-only step instead fails once and misses
   * its first attempt's deadline once, and must still complete. After each run it checks that the saga ended
   * (`COMPLETED` or `COMPENSATED`), that a compensated saga undid every step that took effect exactly once
   * and nothing else, and your own `check`. Resolves with the report; read `failures`.
   */
  async exploreFailures(definition: SagaDefinition<unknown>, options: ExploreOptions): Promise<ExploreReport> {
    const runs: ExploreOutcome[] = [];
    const failures: string[] = [];
    const scenarios: { name: string; expect: SagaStatus[]; setup: (sagaId: () => string | undefined) => void }[] = [
      { name: 'no fault', expect: [SagaStatus.COMPLETED], setup: () => undefined },
    ];
    definition.steps.forEach((step, index) => {
      if (!step.command) return;
      const isStepCommand = this.stepCommandMatcher(definition, index);
      if (step.forwardOnly) {
        // Past the point of no return a step is retried until it succeeds: a fault delays it, never undoes it.
        let failed = false;
        scenarios.push({
          name: `${step.name} fails once`,
          expect: [SagaStatus.COMPLETED],
          setup: (current) => {
            failed = false;
            this.commandRule = (c) => {
              const id = sagaIdOf(c) ?? current();
              if (failed || !isStepCommand(c) || !id) return 'run';
              failed = true;
              this.orchestrator.reportStepFailure(id, step.name, 'injected failure').catch(() => undefined);
              return 'drop';
            };
          },
        });
        let dropped = false;
        scenarios.push({
          name: `${step.name} does not answer its first attempt`,
          expect: [SagaStatus.COMPLETED],
          setup: () => {
            dropped = false;
            this.commandRule = (c) => {
              if (dropped || !isStepCommand(c)) return 'run';
              dropped = true;
              return 'drop';
            };
          },
        });
      } else {
        scenarios.push({
          name: `${step.name} fails`,
          expect: [SagaStatus.COMPENSATED],
          setup: (current) => {
            this.commandRule = (c) => {
              const id = sagaIdOf(c) ?? current();
              if (!isStepCommand(c) || !id) return 'run';
              this.orchestrator.reportStepFailure(id, step.name, 'injected failure').catch(() => undefined);
              return 'drop';
            };
          },
        });
        scenarios.push({
          name: `${step.name} never answers`,
          expect: [SagaStatus.COMPENSATED],
          setup: () => {
            this.commandRule = (c) => (isStepCommand(c) ? 'drop' : 'run');
          },
        });
      }
      let lost = false;
      scenarios.push({
        name: `${step.name}'s reply is lost once`,
        expect: [SagaStatus.COMPLETED],
        setup: () => {
          lost = false;
          this.eventRule = (e) => {
            if (lost || !this.isReplyOf(step, e)) return 'once';
            lost = true;
            return 'drop';
          };
        },
      });
    });
    scenarios.push({
      name: 'every event delivered twice',
      expect: [SagaStatus.COMPLETED],
      setup: () => {
        this.eventRule = () => 'twice';
      },
    });

    for (const scenario of scenarios) {
      let sagaId: string | undefined;
      scenario.setup(() => sagaId);
      try {
        const pending = options.start(scenario.name);
        sagaId = await pending;
        const state = await this.runToEnd(sagaId, options.maxTicks);
        this.reset();
        await this.quiesce();
        const history = await this.orchestrator.store.history(sagaId);
        const outcome: ExploreOutcome = { scenario: scenario.name, sagaId, state, history };
        runs.push(outcome);
        const problems = this.verify(definition, outcome, scenario.expect);
        if (options.check) {
          try {
            await options.check(outcome);
          } catch (error) {
            problems.push(`check failed: ${(error as Error).message}`);
          }
        }
        for (const p of problems) failures.push(`${scenario.name}: ${p}`);
      } catch (error) {
        failures.push(`${scenario.name}: ${(error as Error).message}`);
      } finally {
        this.reset();
      }
    }
    return { runs, failures };
  }

  private reset(): void {
    this.commandRule = () => 'run';
    this.eventRule = () => 'once';
  }

  /**
   * Waits until no command is executing, no reply or error is being applied to a saga, and the event loop has
   * drained the work it queued. Commands alone are not enough: a reply whose transition is still being stored
   * (a slow database) would otherwise see the clock jump past its step's deadline, and the step retried.
   */
  private async quiesce(): Promise<void> {
    for (let calm = 0; calm < 3;) {
      await new Promise((r) => setTimeout(r, 5));
      calm = this.inFlight === 0 && this.orchestrator.inProgress === 0 ? calm + 1 : 0;
    }
  }

  private stepCommandMatcher(definition: SagaDefinition<unknown>, index: number): (c: ICommand) => boolean {
    const type = definition.steps[index].command?.type;
    return (c) => c.constructor === type;
  }

  private isReplyOf(step: SagaStepDefinition<unknown>, event: IEvent): boolean {
    return [...(step.completedBy ?? []), ...(step.failedBy ?? [])].some((t) => event.constructor === t);
  }

  private verify(definition: SagaDefinition<unknown>, outcome: ExploreOutcome, expected: SagaStatus[]): string[] {
    const problems: string[] = [];
    const { state, history } = outcome;
    if (!expected.includes(state.status))
      problems.push(`ended ${state.status} (${state.failureReason ?? 'no reason'}), expected ${expected.join(' or ')}`);
    const reachedCount = (step: string, to: string) => history.filter((h) => h.step === step && h.to === to).length;
    definition.steps.forEach((stepDef, i) => {
      const name = stepDef.name;
      const tookEffect = reachedCount(name, 'COMPLETED') > 0 || state.steps[i].outcomeUnknown === true;
      const compensations = reachedCount(name, 'COMPENSATED');
      if (state.status === SagaStatus.COMPENSATED && tookEffect && stepDef.compensation && !stepDef.nonCompensable && compensations !== 1) {
        problems.push(`step ${name} took effect and was compensated ${compensations} times, expected once`);
      }
      if (!tookEffect && compensations > 0) problems.push(`step ${name} never took effect but was compensated`);
      if (state.status === SagaStatus.COMPLETED && state.steps[i].status !== 'COMPLETED')
        problems.push(`step ${name} is ${state.steps[i].status} in a completed saga`);
    });
    return problems;
  }
}
