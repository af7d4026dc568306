import type { SagaState } from '../domain/saga-state.js';
import { isTerminal } from '../domain/saga-status.js';

/** Reads, among `ids`, the sagas that have ended. */
export type EndedSagaReader = (ids: string[]) => Promise<SagaState[]>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids per read, so a crowd of waiters never makes one huge statement. */
const READ_CHUNK = 500;

/**
 * The callers of `waitForEnd`, served together. The orchestrator reports the ends it stores itself, at once;
 * the ends another instance stores are found by ONE read per poll interval for every saga waited on, however many
 * callers wait, and the timer runs only while someone waits.
 */
export class SagaEndWaiters {
  private readonly waiting = new Map<string, Set<(state: SagaState) => void>>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(
    private readonly readEnded: EndedSagaReader,
    private readonly pollMs: number,
  ) {}

  /** Sagas waited on now. */
  get size(): number {
    return this.waiting.size;
  }

  /** The saga's final state once it has ended, or null after `timeoutMs`. */
  wait(sagaId: string, timeoutMs: number): Promise<SagaState | null> {
    if (!UUID.test(sagaId)) return Promise.reject(new Error(`not a saga id: "${sagaId}"`));
    return new Promise((resolve) => {
      const onEnd = (state: SagaState | null): void => {
        clearTimeout(timeout);
        this.remove(sagaId, onEnd);
        resolve(state);
      };
      const timeout = setTimeout(() => onEnd(null), timeoutMs);
      let callers = this.waiting.get(sagaId);
      if (!callers) this.waiting.set(sagaId, (callers = new Set()));
      callers.add(onEnd);
      if (!this.timer) {
        this.timer = setInterval(() => void this.poll(), this.pollMs);
        this.timer.unref();
      }
      // It may have ended before the wait began.
      void this.check([sagaId]);
    });
  }

  /** A saga reached a terminal state: its waiters get it now. */
  ended(state: SagaState): void {
    const callers = this.waiting.get(state.id);
    if (!callers || !isTerminal(state.status)) return;
    for (const onEnd of [...callers]) onEnd(state);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private remove(sagaId: string, onEnd: (state: SagaState) => void): void {
    const callers = this.waiting.get(sagaId);
    callers?.delete(onEnd);
    if (callers?.size === 0) this.waiting.delete(sagaId);
    if (this.waiting.size === 0) this.stop();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.waiting.size === 0) return;
    this.polling = true;
    try {
      const ids = [...this.waiting.keys()];
      for (let i = 0; i < ids.length; i += READ_CHUNK) await this.check(ids.slice(i, i + READ_CHUNK));
    } finally {
      this.polling = false;
    }
  }

  private async check(ids: string[]): Promise<void> {
    let states: SagaState[];
    try {
      states = await this.readEnded(ids);
    } catch {
      return; // the database is away: the next poll asks again, and each wait still ends at its timeout
    }
    for (const state of states) this.ended(state);
  }
}
