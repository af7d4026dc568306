import { isIP } from 'node:net';
import { isSplit, SERVICE_NAMES, type ServiceName } from '../deployment/service-names';

/**
 * Typed configuration read from the environment once, at start-up. Every variable, its default and its meaning
 * is listed in the README's configuration table; keep the two in step.
 */
export interface AppConfig {
  /** The services this process runs (`SERVICES`): all four by default, in one process on one database. */
  services: readonly ServiceName[];
  /** RabbitMQ (`BROKER_URL`), which joins the processes once each runs only some of the services. */
  brokerUrl?: string;
  /** Names of the broker's exchanges and queues start with it (`BROKER_PREFIX`, default `sagaworks`). */
  brokerPrefix: string;
  port: number;
  /**
   * Address the HTTP server binds to. Unset: `127.0.0.1` while no token is set (nothing is guarded, so nothing
   * beyond this machine may reach it), `0.0.0.0` once `READ_TOKEN` or `ADMIN_TOKEN` is.
   */
  host: string;
  /** Unset: embedded PGlite under `pgliteDataDir`. */
  databaseUrl?: string;
  pgliteDataDir: string;
  dbPoolSize: number;
  /** Send the hot statements as named prepared statements (PostgreSQL only). */
  dbPreparedStatements: boolean;
  /** Units of each catalog product seeded on first start. */
  seedStock: number;
  /** Bearer token for operator actions (it grants reads too); unset disables them. */
  adminToken?: string;
  /** Bearer token for reads of personal or operational data (`/sagas`, `/ui`, `/payments`, `/shipments`). */
  readToken?: string;
  /**
   * Express's `trust proxy`: which proxies in front of the app may say, in `X-Forwarded-For`, who the client is.
   * `req.ip` (and so the per-client throttle of failed token checks) follows it. Off by default.
   */
  trustProxy: TrustProxy;
  log: LogConfig;
  /** OTLP/HTTP collector (`OTEL_EXPORTER_OTLP_ENDPOINT`, its base URL) that saga traces go to; unset: none. */
  otlpEndpoint?: string;
  /** `service.name` of this process's spans (`OTEL_SERVICE_NAME`): `sagaworks`, or `sagaworks-<service>` apart. */
  otelServiceName: string;
  fraudReview: FraudReviewConfig;
  saga: {
    stepTimeoutMs: number;
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    jobIntervalMs: number;
    jobBatchSize: number;
    jobEnabled: boolean;
    leaseMs: number;
  };
}

/**
 * Orders of at least `thresholdCents` wait, between the stock reservation and the charge, for an admin's
 * decision (`POST /orders/:id/review`); without one within `timeoutMs` they are cancelled.
 */
export interface FraudReviewConfig {
  thresholdCents: number;
  timeoutMs: number;
}

export const FRAUD_REVIEW_DEFAULTS: Readonly<FraudReviewConfig> = { thresholdCents: 50_000, timeoutMs: 48 * 3_600_000 };

/** Pino levels, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogConfig {
  /**
   * Unset: `info`, or `warn` under `NODE_ENV=test` (decided by the logging module, since suites build their
   * config from defaults and would otherwise print a line per request).
   */
  level?: LogLevel;
  /** `json` (one object per line) when `NODE_ENV=production`, `pretty` otherwise. */
  format: LogFormat;
}

export class ConfigError extends Error {
  constructor(
    /** The environment variable at fault. */
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(name, `${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `${name} must be true or false, got "${raw}"`);
}

function url(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) throw new ConfigError(name, `${name} must be a postgres:// URL`);
  return raw;
}

function httpUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^https?:\/\/[^/]/.test(raw)) throw new ConfigError(name, `${name} must be an http:// or https:// URL`);
  return raw;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T | undefined): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.toLowerCase();
  if (!(allowed as readonly string[]).includes(value))
    throw new ConfigError(name, `${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return value as T;
}

/** `false` (off), a number of proxy hops, or the proxies' addresses, subnets and names (`loopback`, …). */
export type TrustProxy = false | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: off, a hop count, or the proxies themselves. `true` (trust every hop) is refused: Express would
 * then take the left-most `X-Forwarded-For` entry, which any client writes, so a guesser could pick a new
 * address for every try and never be throttled.
 */
function trustProxy(env: Env): TrustProxy {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '' || /^(false|no|off)$/i.test(raw)) return false;
  if (/^\d+$/.test(raw)) return Number(raw) === 0 ? false : Number(raw);
  const entries = raw.split(',').map((e) => e.trim().toLowerCase());
  const bad = entries.find((e) => !isProxyAddress(e));
  if (bad !== undefined) {
    throw new ConfigError(
      'TRUST_PROXY',
      `TRUST_PROXY must be false, a number of proxy hops, or a comma-separated list of proxy addresses, subnets or loopback/linklocal/uniquelocal; got "${bad}"`,
    );
  }
  return entries;
}

/** Under `NODE_ENV=production` a token shorter than this is refused: it could be guessed. */
export const MIN_PRODUCTION_TOKEN_LENGTH = 16;

/** The addresses that reach this machine only. */
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase());
}

/** A token's value is never echoed in an error: the message goes to a log or a terminal. */
function token(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (env.NODE_ENV === 'production' && raw.length < MIN_PRODUCTION_TOKEN_LENGTH) {
    throw new ConfigError(name, `${name} must be at least ${MIN_PRODUCTION_TOKEN_LENGTH} characters long when NODE_ENV=production`);
  }
  return raw;
}

function host(env: Env, tokenSet: boolean): string {
  const raw = env.HOST;
  if (raw === undefined || raw === '') return tokenSet ? '0.0.0.0' : '127.0.0.1';
  // An IP address or a host name: what `server.listen` accepts, and nothing that could smuggle more in.
  if (isIP(raw) === 0 && !/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(raw)) {
    throw new ConfigError('HOST', `HOST must be an IP address or a host name, got "${raw}"`);
  }
  if (!tokenSet && !isLoopback(raw)) {
    throw new ConfigError(
      'HOST',
      `HOST=${raw} would expose the sagas, payments and shipments unguarded: set READ_TOKEN or ADMIN_TOKEN, or leave HOST unset to listen on 127.0.0.1 only`,
    );
  }
  return raw;
}

function services(env: Env): ServiceName[] {
  const raw = env.SERVICES;
  if (raw === undefined || raw.trim() === '' || raw.trim().toLowerCase() === 'all') return [...SERVICE_NAMES];
  const names = raw.split(',').map((name) => name.trim().toLowerCase());
  const unknown = names.filter((name) => !(SERVICE_NAMES as readonly string[]).includes(name));
  if (unknown.length)
    throw new ConfigError('SERVICES', `SERVICES must name one of ${SERVICE_NAMES.join(', ')} (or be "all"), got "${unknown.join(', ')}"`);
  const chosen = SERVICE_NAMES.filter((name) => names.includes(name));
  // One service per process, or all four: the broker routes each service's commands to its own queue.
  if (chosen.length !== 1 && chosen.length !== SERVICE_NAMES.length)
    throw new ConfigError('SERVICES', `SERVICES must name one service (${SERVICE_NAMES.join(', ')}) or all four, got "${raw}"`);
  return chosen;
}

function brokerUrl(env: Env, split: boolean): string | undefined {
  const raw = env.BROKER_URL;
  if (raw === undefined || raw === '') {
    if (split)
      throw new ConfigError(
        'BROKER_URL',
        'BROKER_URL must name the RabbitMQ (amqp://) that joins the services when SERVICES runs only some of them',
      );
    return undefined;
  }
  if (!/^amqps?:\/\/[^/]/.test(raw)) throw new ConfigError('BROKER_URL', 'BROKER_URL must be an amqp:// or amqps:// URL');
  return raw;
}

function brokerPrefix(env: Env): string {
  const raw = env.BROKER_PREFIX;
  if (raw === undefined || raw === '') return 'sagaworks';
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(raw))
    throw new ConfigError('BROKER_PREFIX', 'BROKER_PREFIX must be lowercase letters, digits and dashes (at most 63)');
  return raw;
}

/** Reads and validates the environment; throws {@link ConfigError} naming the first bad variable. */
export function loadAppConfig(env: Env = process.env): AppConfig {
  const adminToken = token(env, 'ADMIN_TOKEN');
  const readToken = token(env, 'READ_TOKEN');
  const serviceNames = services(env);
  return {
    services: serviceNames,
    brokerUrl: brokerUrl(env, isSplit(serviceNames)),
    brokerPrefix: brokerPrefix(env),
    port: int(env, 'PORT', 3000, 0),
    host: host(env, adminToken !== undefined || readToken !== undefined),
    databaseUrl: url(env, 'DATABASE_URL'),
    pgliteDataDir: env.PGLITE_DATA_DIR || './.data/pglite',
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1),
    dbPreparedStatements: bool(env, 'DB_PREPARED_STATEMENTS', true),
    seedStock: int(env, 'SEED_STOCK', 100, 0),
    adminToken,
    readToken,
    trustProxy: trustProxy(env),
    log: {
      level: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, undefined),
      format: oneOf(env, 'LOG_FORMAT', LOG_FORMATS, env.NODE_ENV === 'production' ? 'json' : 'pretty') as LogFormat,
    },
    otlpEndpoint: httpUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'),
    otelServiceName: env.OTEL_SERVICE_NAME || (isSplit(serviceNames) ? `sagaworks-${serviceNames[0]}` : 'sagaworks'),
    fraudReview: {
      thresholdCents: int(env, 'FRAUD_REVIEW_THRESHOLD_CENTS', FRAUD_REVIEW_DEFAULTS.thresholdCents, 1),
      timeoutMs: int(env, 'FRAUD_REVIEW_TIMEOUT_MS', FRAUD_REVIEW_DEFAULTS.timeoutMs, 1),
    },
    saga: {
      stepTimeoutMs: int(env, 'SAGA_STEP_TIMEOUT_MS', 10_000, 1),
      maxAttempts: int(env, 'SAGA_MAX_ATTEMPTS', 3, 1),
      backoffBaseMs: int(env, 'SAGA_BACKOFF_BASE_MS', 500, 0),
      backoffMaxMs: int(env, 'SAGA_BACKOFF_MAX_MS', 30_000, 0),
      jobIntervalMs: int(env, 'SAGA_JOB_INTERVAL_MS', 1_000, 10),
      jobBatchSize: int(env, 'SAGA_JOB_BATCH_SIZE', 100, 1),
      jobEnabled: bool(env, 'SAGA_JOB_ENABLED', true),
      leaseMs: int(env, 'SAGA_LEASE_MS', 15_000, 100),
    },
  };
}

/**
 * The start-up line: where the server listens and, while no token is set, that it stays on loopback because of
 * that (an operator wondering why the app cannot be reached from elsewhere reads the reason here).
 */
export function listeningLine(config: AppConfig, port: number): string {
  const where = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const guarded = config.readToken !== undefined || config.adminToken !== undefined;
  const why = guarded ? '' : ', loopback only because no READ_TOKEN or ADMIN_TOKEN is set';
  const db = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite at ${config.pgliteDataDir}`;
  return `Sagaworks listening on ${where}${why} (database: ${db}; inspector at /ui, API docs at /docs)`;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
