import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadAppConfig } from './app-config';

describe('loadAppConfig', () => {
  it('defaults every variable', () => {
    const config = loadAppConfig({});
    expect(config).toMatchObject({ port: 3000, dbPoolSize: 10, seedStock: 100, log: { format: 'pretty' } });
    expect(config.adminToken).toBeUndefined();
    expect(config.log.level).toBeUndefined();
    expect(config.saga).toEqual({
      stepTimeoutMs: 10_000,
      maxAttempts: 3,
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      jobIntervalMs: 1_000,
      jobBatchSize: 100,
      jobEnabled: true,
      leaseMs: 15_000,
    });
  });

  it('reads the log level and format, JSON by default in production', () => {
    expect(loadAppConfig({ NODE_ENV: 'production' }).log).toEqual({ level: undefined, format: 'json' });
    expect(loadAppConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty', LOG_LEVEL: 'DEBUG' }).log).toEqual({
      level: 'debug',
      format: 'pretty',
    });
    expect(loadAppConfig({ LOG_FORMAT: 'json', LOG_LEVEL: 'silent' }).log).toEqual({ level: 'silent', format: 'json' });
  });

  it('reads the admin token; an empty one is none', () => {
    expect(loadAppConfig({ ADMIN_TOKEN: 't0ken' }).adminToken).toBe('t0ken');
    expect(loadAppConfig({ ADMIN_TOKEN: '' }).adminToken).toBeUndefined();
  });

  it.each([
    ['SAGA_MAX_ATTEMPTS', 'abc'],
    ['SAGA_MAX_ATTEMPTS', '0'],
    ['PORT', '-1'],
    ['SAGA_STEP_TIMEOUT_MS', '1.5'],
    ['SAGA_JOB_ENABLED', 'maybe'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_FORMAT', 'xml'],
  ])('refuses %s=%s with an error naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadAppConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as ConfigError).message).toContain(name);
    // a URL is not echoed: it may carry a password
    if (name !== 'DATABASE_URL') expect((error as ConfigError).message).toContain(value);
  });
});
