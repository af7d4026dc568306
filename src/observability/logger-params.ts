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

/** Headers that carry credentials: their values never reach a log line. */
export const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'x-admin-token', 'x-api-key', 'x-auth-token'] as const;

/** Query parameters that carry credentials, by name (any case): `?token=`, `?access_token=`, `?api_key=`, `?key=`... */
const SECRET_PARAM = /^(key|sig|signature|auth|code|session|sessionid|jwt)$|token$|secret$|passw(or)?d$|pwd$|api[_-]?key$|credentials?$/i;

const REDACTED = '[redacted]';

function isSecretParam(name: string): boolean {
  try {
    return SECRET_PARAM.test(decodeURIComponent(name.replace(/\+/g, ' ')).trim());
  } catch {
    return SECRET_PARAM.test(name);
  }
}

/** `url` with the value of every credential-like query parameter replaced; the rest as it came. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return isSecretParam(name) && eq >= 0 ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}

/** The parsed query (Express's `req.query`) with the same parameters' values replaced. */
function redactQuery(query: unknown): unknown {
  if (!query || typeof query !== 'object') return query;
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, isSecretParam(name) ? REDACTED : value]));
}

interface SerializedRequest {
  url?: string;
  query?: unknown;
}

/** nestjs-pino parameters: level and format from the config, saga fields on every line (see `SagaLogContext`). */
export async function buildLoggerParams(log: LogConfig, destination: DestinationStream | null): Promise<Params> {
  const options: Options = {
    level: effectiveLogLevel(log),
    mixin: () => currentSagaLogFields(),
    // A 4xx is the client's mistake, not an event for whoever runs the app; a 5xx is.
    customLogLevel: (_req, res, error): LevelWithSilent => (error || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req: IncomingMessage) => req.method === 'GET' && QUIET_PATHS.test(req.url ?? '') },
    // The request line is logged as `url` and, parsed, as `query`.
    serializers: {
      req: (req: SerializedRequest): SerializedRequest => {
        if (typeof req.url === 'string') req.url = redactUrl(req.url);
        if (req.query !== undefined) req.query = redactQuery(req.query);
        return req;
      },
    },
    redact: { paths: [...SECRET_HEADERS.map((h) => `req.headers["${h}"]`), 'res.headers["set-cookie"]'], censor: REDACTED },
  };
  const stream = destination ?? (log.format === 'pretty' ? await prettyStream() : undefined);
  return { pinoHttp: stream ? [options, stream] : options };
}
