import type { SagaHooks } from 'sagaworks';

/** How often each kind of message was delivered a second time. */
export interface DuplicateDeliveryStats {
  commands: number;
  /** Replies (events a saga's step waits for) applied to their saga a second time. */
  events: number;
}

export interface DuplicateDeliveryHandle {
  stats: DuplicateDeliveryStats;
  /** Removes the hook and cancels duplicates still waiting to be delivered. */
  uninstall(): void;
}

/** Late duplicates arrive after the saga may have moved on, which is what a stale redelivery looks like. */
const LATE_EVENT_DELAY_MS = 5;

/**
 * Delivers every saga command to its handler twice and every reply to its saga twice, the way an at-least-once
 * broker may, as a saga hook. Duplicates alternate between racing the original (concurrent) and following it
 * (after the original settled, or a moment later for replies), since idempotency has to hold against both.
 * Callers see only the original's result; a duplicate's failure is reported to `onDuplicateError` and goes no
 * further.
 */
export function installDuplicateDelivery(
  hooks: SagaHooks,
  onDuplicateError: (what: string, error: unknown) => void,
): DuplicateDeliveryHandle {
  const stats: DuplicateDeliveryStats = { commands: 0, events: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let seq = 0;
  let active = true;

  const later = (fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (active) fn();
    }, LATE_EVENT_DELAY_MS);
    timer.unref();
    timers.add(timer);
  };
  const duplicate = (what: string, run: () => Promise<unknown>): void => {
    run().catch((error: unknown) => onDuplicateError(what, error));
  };

  const unregister = hooks.register({
    aroundCommand: (command, next) => {
      const first = next();
      if (!active) return first;
      stats.commands++;
      const what = `duplicate ${command.constructor.name}`;
      if (++seq % 2 === 0) queueMicrotask(() => duplicate(what, next));
      else
        first.then(
          () => duplicate(what, next),
          () => duplicate(what, next),
        );
      return first;
    },
    aroundReply: (reply, next) => {
      const first = next();
      if (!active) return first;
      stats.events++;
      const what = `duplicate ${reply.constructor.name}`;
      if (++seq % 2 === 0) duplicate(what, next);
      else later(() => duplicate(what, next));
      return first;
    },
  });

  return {
    stats,
    uninstall: () => {
      active = false;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      unregister();
    },
  };
}
