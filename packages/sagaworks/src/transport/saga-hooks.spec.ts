import { describe, expect, it } from '@jest/globals';
import type { CommandBus, ICommand } from '@nestjs/cqrs';
import { SagaCommandDispatcher } from './saga-command-dispatcher.js';
import { SagaHooks } from './saga-hooks.js';
import type { SagaTransport } from './saga-transport.js';

class PingCommand {
  constructor(public readonly sagaId: string) {}
}
class PlainCommand {}

/** A command bus whose handler records what it ran, and fails for saga `fail`. */
function bus(ran: string[]): CommandBus {
  return {
    execute: (command: ICommand) => {
      ran.push((command as { sagaId?: string }).sagaId ?? command.constructor.name);
      return (command as { sagaId?: string }).sagaId === 'fail' ? Promise.reject(new Error('handler failed')) : Promise.resolve('done');
    },
  } as unknown as CommandBus;
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('SagaHooks', () => {
  it('runs the work as it is without hooks, and nests hooks with the first registered outermost', async () => {
    const hooks = new SagaHooks();
    expect(await hooks.runCommand(new PingCommand('a'), () => Promise.resolve(1))).toBe(1);
    const order: string[] = [];
    for (const name of ['outer', 'inner'])
      hooks.register({
        aroundCommand: async (_c, next) => {
          order.push(`${name} in`);
          const result = await next();
          order.push(`${name} out`);
          return result;
        },
      });
    expect(await hooks.runCommand(new PingCommand('a'), () => Promise.resolve(2))).toBe(2);
    expect(order).toEqual(['outer in', 'inner in', 'inner out', 'outer out']);
  });

  it('lets a hook drop work or run it twice, and removes a hook when asked', async () => {
    const hooks = new SagaHooks();
    let runs = 0;
    const work = () => Promise.resolve(++runs);
    const unregister = hooks.register({ aroundReply: () => Promise.resolve(undefined) });
    await hooks.runReply({ sagaId: 's' }, work);
    expect(runs).toBe(0);
    unregister();
    hooks.register({ aroundReply: async (_r, next) => (await next(), next()) });
    expect(await hooks.runReply({ sagaId: 's' }, work)).toBe(2);
  });

  it("passes a handler's error through, and keeps an observer's error from the others", async () => {
    const hooks = new SagaHooks();
    const seen: string[] = [];
    hooks.register({
      aroundCommand: (_c, next) => next(),
      onDispatch: () => {
        throw new Error('observer broke');
      },
    });
    hooks.register({ onDispatch: (c) => seen.push(c.constructor.name) });
    await expect(hooks.runCommand(new PingCommand('a'), () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    hooks.dispatched(new PingCommand('a'));
    expect(seen).toEqual(['PingCommand']);
  });
});

describe('SagaCommandDispatcher', () => {
  it("runs commands on this process's bus through the hooks, and reports a saga command's failure to the runtime", async () => {
    const ran: string[] = [];
    const hooks = new SagaHooks();
    const around: string[] = [];
    hooks.register({ aroundCommand: (c, next) => (around.push(c.constructor.name), next()) });
    const dispatcher = new SagaCommandDispatcher(bus(ran), hooks);
    const failures: [ICommand, unknown][] = [];
    dispatcher.onFailure((command, error) => failures.push([command, error]));
    dispatcher.send([new PingCommand('ok'), new PingCommand('fail'), new PlainCommand()]);
    await settle();
    expect(ran).toEqual(['ok', 'fail', 'PlainCommand']);
    expect(around).toEqual(['PingCommand', 'PingCommand', 'PlainCommand']);
    // Only a saga's command (one with a sagaId) goes back to the runtime.
    expect(failures.map(([c, e]) => [(c as PingCommand).sagaId, (e as Error).message])).toEqual([['fail', 'handler failed']]);
  });

  it('sends what a transport carries through it, and a refused send comes back as the command failing', async () => {
    const ran: string[] = [];
    const sent: string[] = [];
    const transport: SagaTransport = {
      name: 'test-broker',
      carries: (c) => c instanceof PingCommand,
      send: (c) => {
        sent.push((c as PingCommand).sagaId);
        return (c as PingCommand).sagaId === 'down' ? Promise.reject(new Error('broker down')) : Promise.resolve();
      },
    };
    const dispatcher = new SagaCommandDispatcher(bus(ran), new SagaHooks());
    const failures: string[] = [];
    dispatcher.onFailure((_c, error) => failures.push((error as Error).message));
    const remove = dispatcher.use(transport);
    dispatcher.send([new PingCommand('a'), new PingCommand('down'), new PlainCommand()]);
    await settle();
    expect({ sent, ran, failures }).toEqual({ sent: ['a', 'down'], ran: ['PlainCommand'], failures: ['broker down'] });
    remove();
    dispatcher.send([new PingCommand('b')]);
    await settle();
    expect(ran).toEqual(['PlainCommand', 'b']);
  });
});
