import type { CommandBus, EventBus } from '@nestjs/cqrs';

/** How often each kind of message was delivered a second time. */
export interface DuplicateDeliveryStats {
  commands: number;
  events: number;
}

export interface DuplicateDeliveryHandle {
  stats: DuplicateDeliveryStats;
  /** Restores the buses' own methods and cancels duplicates still waiting to be delivered. */
  uninstall(): void;
}

type Execute = (command: object, context?: unknown) => Promise<unknown>;
type Publish = (event: object, ...rest: unknown[]) => unknown;
type PublishAll = (events: object[], ...rest: unknown[]) => unknown;

/** Late duplicates arrive after the saga may have moved on, which is what a stale redelivery looks like. */
const LATE_EVENT_DELAY_MS = 5;

/**
 * Makes the in-process buses deliver every command and every event twice, the way an at-least-once broker may.
 * Duplicates alternate between racing the original (concurrent) and following it (after the original settled,
 * or a moment later for events), since idempotency has to hold against both. Callers see only the original's
 * result; a duplicate's failure is reported to `onDuplicateError` and goes no further.
 */
export function installDuplicateDelivery(
  commandBus: CommandBus,
  eventBus: EventBus,
  onDuplicateError: (what: string, error: unknown) => void,
): DuplicateDeliveryHandle {
  const stats: DuplicateDeliveryStats = { commands: 0, events: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let seq = 0;
  let active = true;

  const cb = commandBus as unknown as { execute: Execute };
  const eb = eventBus as unknown as { publish: Publish; publishAll: PublishAll };
  const originalExecute = cb.execute;
  const originalPublish = eb.publish;
  const originalPublishAll = eb.publishAll;
  const execute: Execute = originalExecute.bind(commandBus);
  const publish: Publish = originalPublish.bind(eventBus);
  const publishAll: PublishAll = originalPublishAll.bind(eventBus);

  const later = (fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (active) fn();
    }, LATE_EVENT_DELAY_MS);
    timer.unref();
    timers.add(timer);
  };
  const guarded = (what: string, fn: () => unknown): void => {
    try {
      fn();
    } catch (error) {
      onDuplicateError(what, error);
    }
  };

  const wrappedExecute: Execute = (command, context) => {
    // The original keeps its own semantics, including a synchronous throw for an unknown command.
    const first = execute(command, context);
    if (!active) return first;
    const concurrent = ++seq % 2 === 0;
    stats.commands++;
    const again = () => execute(command, context);
    // Promise.resolve: a handler whose `execute` is not async returns a plain value.
    const second = concurrent ? Promise.resolve().then(again) : Promise.resolve(first).then(again, again);
    second.catch((error: unknown) => onDuplicateError(`duplicate ${command.constructor.name}`, error));
    return first;
  };

  const wrappedPublish: Publish = (event, ...rest) => {
    const result = publish(event, ...rest);
    if (!active) return result;
    stats.events++;
    const name = `duplicate ${event.constructor.name}`;
    if (++seq % 2 === 0) guarded(name, () => publish(event, ...rest));
    else later(() => guarded(name, () => publish(event, ...rest)));
    return result;
  };

  const wrappedPublishAll: PublishAll = (events, ...rest) => {
    const result = publishAll(events, ...rest);
    if (!active) return result;
    stats.events += events?.length ?? 0;
    later(() => guarded('duplicate publishAll', () => publishAll(events, ...rest)));
    return result;
  };

  cb.execute = wrappedExecute;
  eb.publish = wrappedPublish;
  eb.publishAll = wrappedPublishAll;

  return {
    stats,
    uninstall: () => {
      active = false;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // Only our own wrappers are undone: another wrapper installed on top of ours stays in place.
      if (cb.execute === wrappedExecute) cb.execute = originalExecute;
      if (eb.publish === wrappedPublish) eb.publish = originalPublish;
      if (eb.publishAll === wrappedPublishAll) eb.publishAll = originalPublishAll;
    },
  };
}
