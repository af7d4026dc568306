import { describe, expect, it } from '@jest/globals';
import { ConfigError, listeningLine, loadAppConfig } from './app-config';

describe('loadAppConfig', () => {
  it('defaults every variable', () => {
    const config = loadAppConfig({});
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', dbPoolSize: 10, seedStock: 100, log: { format: 'pretty' } });
    expect(config.adminToken).toBeUndefined();
    expect(config.readToken).toBeUndefined();
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

  it('runs all four services in one process by default; SERVICES names one, which then needs BROKER_URL', () => {
    expect(loadAppConfig({})).toMatchObject({ services: ['orders', 'inventory', 'payment', 'shipping'], brokerPrefix: 'sagaworks' });
    expect(loadAppConfig({ SERVICES: 'all' }).services).toHaveLength(4);
    // Spans name their process: the monolith, or the one service apart; OTEL_SERVICE_NAME wins.
    expect(loadAppConfig({}).otelServiceName).toBe('sagaworks');
    expect(loadAppConfig({ SERVICES: 'shipping', BROKER_URL: 'amqp://r' }).otelServiceName).toBe('sagaworks-shipping');
    expect(loadAppConfig({ OTEL_SERVICE_NAME: 'shop' }).otelServiceName).toBe('shop');
    expect(loadAppConfig({ SERVICES: ' Payment ', BROKER_URL: 'amqp://guest:guest@rabbit:5672', BROKER_PREFIX: 'shop-1' })).toMatchObject({
      services: ['payment'],
      brokerUrl: 'amqp://guest:guest@rabbit:5672',
      brokerPrefix: 'shop-1',
    });
    const refusals: [Record<string, string>, string, RegExp][] = [
      [{ SERVICES: 'payment' }, 'BROKER_URL', /BROKER_URL must name the RabbitMQ/],
      [{ SERVICES: 'payment', BROKER_URL: 'http://rabbit' }, 'BROKER_URL', /amqp:\/\/ or amqps:\/\//],
      [{ SERVICES: 'billing' }, 'SERVICES', /must name one of orders, inventory, payment, shipping .*"billing"/],
      [{ SERVICES: 'orders,payment', BROKER_URL: 'amqp://r' }, 'SERVICES', /one service .* or all four/],
      [{ BROKER_PREFIX: 'Bad Prefix' }, 'BROKER_PREFIX', /lowercase letters, digits and dashes/],
    ];
    for (const [env, variable, message] of refusals) {
      let error: unknown;
      try {
        loadAppConfig(env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as ConfigError).message).toMatch(message);
    }
  });

  it('reviews orders of at least 500.00 for up to 48 h by default; both are configurable', () => {
    expect(loadAppConfig({}).fraudReview).toEqual({ thresholdCents: 50_000, timeoutMs: 172_800_000 });
    expect(loadAppConfig({ FRAUD_REVIEW_THRESHOLD_CENTS: '100000', FRAUD_REVIEW_TIMEOUT_MS: '8000' }).fraudReview).toEqual({
      thresholdCents: 100_000,
      timeoutMs: 8_000,
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

  it('sends traces only to a named OTLP collector, whose address must be http(s)', () => {
    expect(loadAppConfig({}).otlpEndpoint).toBeUndefined();
    expect(loadAppConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).otlpEndpoint).toBe('http://127.0.0.1:4318');
    expect(() => loadAppConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL',
    );
  });

  it('reads the read token; an empty one is none', () => {
    expect(loadAppConfig({ READ_TOKEN: 'r3ad' }).readToken).toBe('r3ad');
    expect(loadAppConfig({ READ_TOKEN: '' }).readToken).toBeUndefined();
  });

  it('listens on loopback while no token is set, on every interface once one is', () => {
    expect(loadAppConfig({}).host).toBe('127.0.0.1');
    expect(loadAppConfig({ READ_TOKEN: '', ADMIN_TOKEN: '' }).host).toBe('127.0.0.1');
    expect(loadAppConfig({ READ_TOKEN: 'r' }).host).toBe('0.0.0.0');
    expect(loadAppConfig({ ADMIN_TOKEN: 'a' }).host).toBe('0.0.0.0');
    expect(loadAppConfig({ ADMIN_TOKEN: 'a', HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadAppConfig({ READ_TOKEN: 'r', HOST: '10.0.0.7' }).host).toBe('10.0.0.7');
    for (const loopback of ['127.0.0.1', '::1', 'localhost', 'LocalHost']) expect(loadAppConfig({ HOST: loopback }).host).toBe(loopback);
  });

  it.each(['0.0.0.0', '::', '10.0.0.7', 'app.example.com'])('refuses HOST=%s without a token, in one line saying why', (value) => {
    let error: unknown;
    try {
      loadAppConfig({ HOST: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('HOST');
    const { message } = error as ConfigError;
    expect(message).toContain(`HOST=${value}`);
    expect(message).toMatch(/READ_TOKEN or ADMIN_TOKEN/);
    expect(message).not.toContain('\n');
  });

  it('trusts no proxy by default; TRUST_PROXY takes a hop count or the proxies, never every hop', () => {
    expect(loadAppConfig({}).trustProxy).toBe(false);
    for (const off of ['', 'false', 'off', '0']) expect(loadAppConfig({ TRUST_PROXY: off }).trustProxy).toBe(false);
    expect(loadAppConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadAppConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1/64 , 192.0.2.7' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::1/64',
      '192.0.2.7',
    ]);
    for (const bad of ['true', 'yes', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/9', 'loopback,']) {
      expect(() => loadAppConfig({ TRUST_PROXY: bad })).toThrow(ConfigError);
    }
    expect(() => loadAppConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY must be false, a number of proxy hops/);
  });

  it('refuses a HOST that is neither an address nor a host name', () => {
    expect(() => loadAppConfig({ READ_TOKEN: 'r', HOST: 'a b' })).toThrow(ConfigError);
    expect(() => loadAppConfig({ READ_TOKEN: 'r', HOST: 'http://x' })).toThrow(/HOST must be an IP address or a host name/);
  });

  it.each(['READ_TOKEN', 'ADMIN_TOKEN'])('refuses %s shorter than 16 characters in production, without echoing it', (name) => {
    const short = 'fifteen-chars!!';
    expect(short).toHaveLength(15);
    let error: unknown;
    try {
      loadAppConfig({ NODE_ENV: 'production', [name]: short });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as ConfigError).message).toMatch(new RegExp(`^${name} must be at least 16 characters`));
    expect((error as ConfigError).message).not.toContain(short);
    // 16 is enough, and outside production a short one is accepted (local runs, tests)
    expect(loadAppConfig({ NODE_ENV: 'production', [name]: `${short}x` })).toMatchObject({ host: '0.0.0.0' });
    expect(loadAppConfig({ NODE_ENV: 'development', [name]: 'short' })).toMatchObject({ host: '0.0.0.0' });
  });

  it('says where it listens, and why only on loopback when no token is set', () => {
    expect(listeningLine(loadAppConfig({}), 3000)).toMatch(
      /^Sagaworks listening on http:\/\/127\.0\.0\.1:3000, loopback only because no READ_TOKEN or ADMIN_TOKEN is set \(/,
    );
    const guarded = listeningLine(loadAppConfig({ READ_TOKEN: 'r' }), 8080);
    expect(guarded).toMatch(/^Sagaworks listening on http:\/\/0\.0\.0\.0:8080 \(/);
    expect(guarded).not.toContain('loopback');
    expect(listeningLine(loadAppConfig({ HOST: '::1' }), 1)).toContain('http://[::1]:1, loopback only');
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
    ['FRAUD_REVIEW_THRESHOLD_CENTS', '0'],
    ['FRAUD_REVIEW_THRESHOLD_CENTS', '499.99'],
    ['FRAUD_REVIEW_TIMEOUT_MS', '0'],
    ['FRAUD_REVIEW_TIMEOUT_MS', '2 days'],
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
