/**
 * Typed configuration read from the environment once, at start-up. Every variable, its default and its meaning
 * is listed in the README's configuration table; keep the two in step.
 */
export interface AppConfig {
  port: number;
  /** Unset: embedded PGlite under `pgliteDataDir`. */
  databaseUrl?: string;
  pgliteDataDir: string;
  dbPoolSize: number;
  /** Send the hot statements as named prepared statements (PostgreSQL only). */
  dbPreparedStatements: boolean;
  /** Units of each catalog product seeded on first start. */
  seedStock: number;
  /** Bearer token for operator actions; unset disables them. */
  adminToken?: string;
  log: LogConfig;
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

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T | undefined): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.toLowerCase();
  if (!(allowed as readonly string[]).includes(value))
    throw new ConfigError(name, `${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return value as T;
}

/** Reads and validates the environment; throws {@link ConfigError} naming the first bad variable. */
export function loadAppConfig(env: Env = process.env): AppConfig {
  return {
    port: int(env, 'PORT', 3000, 0),
    databaseUrl: url(env, 'DATABASE_URL'),
    pgliteDataDir: env.PGLITE_DATA_DIR || './.data/pglite',
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1),
    dbPreparedStatements: bool(env, 'DB_PREPARED_STATEMENTS', true),
    seedStock: int(env, 'SEED_STOCK', 100, 0),
    adminToken: env.ADMIN_TOKEN || undefined,
    log: {
      level: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, undefined),
      format: oneOf(env, 'LOG_FORMAT', LOG_FORMATS, env.NODE_ENV === 'production' ? 'json' : 'pretty') as LogFormat,
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

export const APP_CONFIG = Symbol('APP_CONFIG');
