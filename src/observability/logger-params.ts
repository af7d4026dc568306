import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream, LevelWithSilent } from 'pino';
import type { Options } from 'pino-http';
import type { LogConfig, LogLevel } from '../config/app-config';
import { currentSagaLogFields } from './saga-log-context';

/** Requests that would drown the log: probes, scrapes and the inspector's own refreshes. */
const QUIET_PATHS = /^\/(health|metrics|ui)(\/|\?|$)/;

/**
 * An unset `LOG_LEVEL` is `info`, except under `NODE_ENV=test` (set by Jest): suites build their config from
 * the defaults, and a line per request would bury their output.
 */
export function effectiveLogLevel(log: LogConfig, nodeEnv = process.env.NODE_ENV): LogLevel {
  return log.level ?? (nodeEnv === 'test' ? 'warn' : 'info');
}

/**
 * `pino-pretty` is a development dependency: loaded only when asked for, and when a production image does not
 * have it the logs stay JSON rather than the app failing to start.
 */
async function prettyStream(): Promise<DestinationStream | undefined> {
  try {
    const { default: pretty } = await import('pino-pretty');
    return pretty({
      colorize: process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      // One line per entry: the context leads the message; request and saga fields follow.
      messageFormat: '{if context}[{context}] {end}{msg}',
      ignore: 'pid,hostname,context',
    });
  } catch {
    process.stderr.write('LOG_FORMAT=pretty but pino-pretty is not installed; logging JSON\n');
    return undefined;
  }
}

/** nestjs-pino parameters: level and format from the config, saga fields on every line (see `SagaLogContext`). */
export async function buildLoggerParams(log: LogConfig, destination: DestinationStream | null): Promise<Params> {
  const options: Options = {
    level: effectiveLogLevel(log),
    mixin: () => currentSagaLogFields(),
    // A 4xx is the client's mistake, not an event for whoever runs the app; a 5xx is.
    customLogLevel: (_req, res, error): LevelWithSilent => (error || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req: IncomingMessage) => req.method === 'GET' && QUIET_PATHS.test(req.url ?? '') },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  };
  const stream = destination ?? (log.format === 'pretty' ? await prettyStream() : undefined);
  return { pinoHttp: stream ? [options, stream] : options };
}
