import type { SagaHooks } from 'sagaworks';
export interface DrainResult {
  drained: boolean;
  /** Commands still executing when the wait ended (0 when drained). */
  left: number;
  /** What `busy()` still reported when the wait ended (0 when drained). */
  otherWork: number;
  waitedMs: number;
}

/**
 * Counts the saga commands whose handlers run in this process, as a saga hook around each (whatever transport
 * brought it). Shutdown uses it to wait for handlers that have started, rather than cutting them off mid-way and
 * logging errors for work that is fine.
 */
export class InFlightCommands {
  private executing = 0;
  private started = 0;
  private lastChange = Date.now();
  private uninstallFn: (() => void) | null = null;

  get size(): number {
    return this.executing;
  }

  /** Commands started since install (for logs). */
  get total(): number {
    return this.started;
  }

  install(hooks: SagaHooks): void {
    if (this.uninstallFn) return;
    this.uninstallFn = hooks.register({
      aroundCommand: async (_command, next) => {
        this.executing++;
        this.started++;
        this.lastChange = Date.now();
        try {
          return await next();
        } finally {
          this.executing--;
          this.lastChange = Date.now();
        }
      },
    });
  }

  uninstall(): void {
    this.uninstallFn?.();
    this.uninstallFn = null;
  }

  /**
   * Resolves once no command has been executing for `quietMs` (a handler's reply may dispatch the next command
   * a few ticks after the handler returned) and `busy()` reports no other work (the replies still being applied
   * to their sagas, which dispatch commands of their own), or when `boundMs` has passed.
   */
  async drain(quietMs: number, boundMs: number, busy: () => number = () => 0, pollMs = 10): Promise<DrainResult> {
    const start = Date.now();
    for (;;) {
      const now = Date.now();
      const otherWork = busy();
      if (this.executing === 0 && otherWork === 0 && now - this.lastChange >= quietMs)
        return { drained: true, left: 0, otherWork: 0, waitedMs: now - start };
      if (now - start >= boundMs)
        return { drained: this.executing === 0 && otherWork === 0, left: this.executing, otherWork, waitedMs: now - start };
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}
