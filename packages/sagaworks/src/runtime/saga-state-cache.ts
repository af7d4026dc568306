import type { SagaState } from '../domain/saga-state.js';

/**
 * The last stored state of recently active sagas, so a reply costs one conditional UPDATE instead of a SELECT and
 * an UPDATE. It may be stale (another instance moved the saga on): the version check then fails and the runtime
 * reloads. Bounded; terminal sagas leave it.
 */
export class SagaStateCache {
  private readonly entries = new Map<string, SagaState>();

  constructor(private readonly capacity = 10_000) {}

  get(id: string): SagaState | undefined {
    return this.entries.get(id);
  }

  set(state: SagaState): void {
    this.entries.delete(state.id);
    this.entries.set(state.id, state);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
