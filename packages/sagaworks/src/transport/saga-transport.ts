import type { ICommand } from '@nestjs/cqrs';

/**
 * A way to carry commands to handlers in other processes (a broker). The runtime sends every command through
 * the first registered transport that carries it, and runs the rest in this process, on the CQRS command bus.
 *
 * A transport reports each handler error back with `SagaCommandDispatcher.failed`, with the command (rebuilt as
 * an instance of its class) and an error whose `transient` says whether it was an infrastructure fault.
 */
export interface SagaTransport {
  /** For logs and health: `rabbitmq`, `nats`. */
  readonly name: string;
  /** Whether this transport carries `command`, rather than this process's command bus. */
  carries(command: ICommand): boolean;
  /**
   * Hands the command over; resolves once the transport holds it durably (a broker has confirmed it). Rejects
   * when it cannot: the runtime then treats the rejection as an infrastructure fault of the command and sends it
   * again after a capped backoff, spending no attempt.
   */
  send(command: ICommand): Promise<void>;
  /**
   * Why a saga's deadline (`dueAt`, now passed) says nothing about its step, in words, if this transport knows a
   * reason: its command still waits in a queue nobody consumes, or the broker was down while the reply could
   * have come. Such a deadline spends no attempt: the same attempt goes out again. `undefined`: the deadline
   * counts. Unknown sagas (sent by another instance, or before a restart) have no reason.
   */
  excuseForDeadline?(sagaId: string, dueAt: Date): string | undefined;
}
