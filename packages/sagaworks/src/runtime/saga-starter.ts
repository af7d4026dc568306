import { randomUUID } from 'node:crypto';
import type { SagaDefinition } from '../definition/saga-definition.js';
import type { SagaState, Transition } from '../domain/saga-state.js';
import type { CompanionWrite, Lease, SagaStore } from '../persistence/saga-store.js';
import type { SagaClock } from './saga-clock.js';
import type { StartSagaInput, StartSagaOptions } from './saga-orchestrator.types.js';
import type { RegisteredSaga, SagaRegistry } from './saga-registry.js';

export interface StarterDeps {
  registry: SagaRegistry;
  clock: SagaClock;
  store: SagaStore;
  lease: (now: Date) => Lease;
  /** A new instance is stored: the runtime remembers and reports it, and dispatches its first command if `dispatch`. */
  started: <TData>(saga: RegisteredSaga<TData>, t: Transition<TData>, now: Date, dispatch: boolean) => void;
}

/** Starts saga instances: alone (idempotent by type and correlation id), or in one statement with a caller's write. */
export class SagaStarter {
  constructor(private readonly deps: StarterDeps) {}

  async start<TData>(
    definition: SagaDefinition<TData> | string,
    input: StartSagaInput<TData>,
    options: StartSagaOptions,
  ): Promise<SagaState<TData>> {
    const { saga, t, now } = this.newInstance(definition, input);
    const inserted = await this.deps.store.insert(t, this.deps.lease(now), options.manager);
    if (!inserted) {
      const existing = await this.deps.store.findByCorrelation(saga.definition.type, input.correlationId, options.manager);
      if (!existing) throw new Error(`Saga ${t.state.id} could not be stored and has no twin`);
      return existing as SagaState<TData>;
    }
    this.deps.started(saga, t, now, !options.manager);
    return t.state;
  }

  async startWith<TData, R>(
    definition: SagaDefinition<TData> | string,
    input: StartSagaInput<TData>,
    companion: CompanionWrite,
    dispatch: boolean,
  ): Promise<{ saga: SagaState<TData> | null; rows: R[] }> {
    const { saga, t, now } = this.newInstance(definition, input);
    const rows = await this.deps.store.insertWith<R>(t, this.deps.lease(now), companion);
    if (rows.length === 0) return { saga: null, rows };
    this.deps.started(saga, t, now, dispatch);
    return { saga: t.state, rows };
  }

  /** The first transition of a new instance of `definition`, not yet stored. */
  private newInstance<TData>(definition: SagaDefinition<TData> | string, input: StartSagaInput<TData>) {
    const saga = this.deps.registry.require<TData>(typeof definition === 'string' ? definition : definition.type);
    const now = this.deps.clock.now();
    const init = { id: input.id ?? randomUUID(), correlationId: input.correlationId, data: input.data, definitionHash: saga.hash };
    return { saga, t: saga.transitions.start(init, now), now };
  }
}
