import { describe, expect, it } from '@jest/globals';
import { SagaHooks } from 'sagaworks';
import { InFlightCommands } from './in-flight-commands';

class SlowCommand {
  constructor(public readonly sagaId: string) {}
}

/** Hooks with the counter installed, and a handler run through them that takes `ms` (or rejects, when ms < 0). */
function counted(): { inFlight: InFlightCommands; hooks: SagaHooks; handle: (ms: number) => Promise<unknown> } {
  const hooks = new SagaHooks();
  const inFlight = new InFlightCommands();
  inFlight.install(hooks);
  const handle = (ms: number) =>
    hooks.runCommand(
      new SlowCommand('s'),
      () => new Promise((resolve, reject) => setTimeout(() => (ms < 0 ? reject(new Error('handler failed')) : resolve(ms)), Math.abs(ms))),
    );
  return { inFlight, hooks, handle };
}

describe('InFlightCommands', () => {
  it('drains once nothing has run for the quiet period, and leaves results and errors to the caller', async () => {
    const { inFlight, handle } = counted();
    const ok = handle(150);
    const failed = handle(-100);
    failed.catch(() => undefined); // read below, after the drain
    expect(inFlight.size).toBe(2);
    const started = Date.now();
    const result = await inFlight.drain(50, 2_000);
    expect(result).toMatchObject({ drained: true, left: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await expect(ok).resolves.toBe(150);
    await expect(failed).rejects.toThrow('handler failed');
    expect(inFlight.total).toBe(2);
    inFlight.uninstall();
    void handle(10);
    expect(inFlight.size).toBe(0);
  });

  it('counts a handler that throws at once, and lets its error through', async () => {
    const hooks = new SagaHooks();
    const inFlight = new InFlightCommands();
    inFlight.install(hooks);
    await expect(hooks.runCommand(new SlowCommand('s'), () => Promise.reject(new Error('no handler')))).rejects.toThrow('no handler');
    expect(inFlight).toMatchObject({ size: 0, total: 1 });
  });

  it('waits for other work (a reply being stored) even when no command is executing', async () => {
    const { inFlight, handle } = counted();
    await handle(5);
    let storing = 1;
    setTimeout(() => (storing = 0), 200);
    const started = Date.now();
    const result = await inFlight.drain(20, 2_000, () => storing);
    expect(result).toMatchObject({ drained: true, left: 0, otherWork: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);

    storing = 2;
    expect(await inFlight.drain(20, 100, () => storing)).toMatchObject({ drained: false, left: 0, otherWork: 2 });
  });

  it('gives up at its bound and says how many are still running', async () => {
    const { inFlight, handle } = counted();
    const slow = handle(1_000);
    const result = await inFlight.drain(20, 100);
    expect(result).toMatchObject({ drained: false, left: 1 });
    expect(result.waitedMs).toBeLessThan(900);
    await slow;
  });
});
