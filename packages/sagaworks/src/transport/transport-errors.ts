/**
 * A transport could not take a command (the broker is down, unreachable or did not confirm). An infrastructure
 * fault: the runtime sends the command again after a capped backoff and spends no attempt.
 */
export class TransportUnavailableError extends Error {
  override readonly name = 'TransportUnavailableError';
  readonly transient = true;
}

/**
 * A command's handler threw in another process. `transient` and `code` are what that process classified: an
 * infrastructure fault there waits as it would here; the message is the reason it stored, never a driver's text.
 */
export class RemoteCommandError extends Error {
  override readonly name = 'RemoteCommandError';

  constructor(
    message: string,
    readonly transient: boolean,
    readonly code?: string,
  ) {
    super(message);
  }
}
