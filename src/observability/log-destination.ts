/**
 * Where log lines go: `null` (the default) is stdout. Tests override this provider with a stream of their own
 * to read what was logged.
 */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');
