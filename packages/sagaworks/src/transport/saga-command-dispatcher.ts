import { Injectable, Logger } from '@nestjs/common';
import { CommandBus, type ICommand } from '@nestjs/cqrs';
import { SagaHooks } from './saga-hooks.js';
import { sagaIdOf } from './saga-message.js';
import type { SagaTransport } from './saga-transport.js';

/** What becomes of a command whose handler threw; the runtime registers it. */
export type CommandFailureListener = (command: ICommand, error: unknown) => void;

/**
 * Where the runtime's commands go: through a registered transport that carries them, or to this process's
 * command bus (the default, for every command no transport claims). Either way a handler's error comes back to
 * the runtime through `failed`, never through a stream's unhandled-exception channel.
 */
@Injectable()
export class SagaCommandDispatcher {
  private readonly logger = new Logger('Saga');
  private transports: readonly SagaTransport[] = [];
  private listener?: CommandFailureListener;

  constructor(
    private readonly commandBus: CommandBus,
    private readonly hooks: SagaHooks,
  ) {}

  /** Adds a transport (before the app starts); the function returned removes it. */
  use(transport: SagaTransport): () => void {
    this.transports = [...this.transports, transport];
    return () => {
      this.transports = this.transports.filter((t) => t !== transport);
    };
  }

  /** The transports in use, besides this process's bus. */
  get remoteTransports(): readonly SagaTransport[] {
    return this.transports;
  }

  /** Why a passed deadline says nothing about the saga's step, if a transport knows (`SagaTransport.excuseForDeadline`). */
  excuseForDeadline(sagaId: string, dueAt: Date): string | undefined {
    for (const transport of this.transports) {
      const why = transport.excuseForDeadline?.(sagaId, dueAt);
      if (why) return why;
    }
    return undefined;
  }

  /** Registers the runtime's handling of command failures (one listener). */
  onFailure(listener: CommandFailureListener): void {
    this.listener = listener;
  }

  /** Sends each command on its way; never throws (errors come back through the failure listener). */
  send(commands: readonly ICommand[]): void {
    for (const command of commands) {
      this.hooks.dispatched(command);
      const transport = this.transports.length ? this.transports.find((t) => t.carries(command)) : undefined;
      const sent = transport ? transport.send(command) : this.handleHere(command);
      sent.catch((error: unknown) => this.failed(command, error));
    }
  }

  /**
   * Runs a command's handler in this process, through the hooks: what the default transport does, and what a
   * broker's consumer does with a command it received. Rejects with the handler's error.
   */
  async handleHere(command: ICommand): Promise<unknown> {
    return this.hooks.runCommand(command, () => this.commandBus.execute(command));
  }

  /** A command's handler threw, here or where a transport carried it. */
  failed(command: ICommand, error: unknown): void {
    this.hooks.commandFailed(command, error);
    if (this.listener && sagaIdOf(command)) this.listener(command, error);
    else this.logger.error(`${command.constructor.name} failed: ${(error as Error)?.message ?? String(error)}`);
  }
}
