import { describe, expect, it } from '@jest/globals';
import { ForbiddenException, HttpException, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { resolveSagaOptions } from '../../runtime/resolve-options.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { cookieValue, InspectorPageGuard, ReadTokenGuard } from './read-token.guard.js';
import { TokenFailureLimiter } from './token-failure-limiter.js';

const READ = 'read-token-0123456789';
const ADMIN = 'admin-token-0123456789';

function contextWith(headers: { authorization?: string; cookie?: string }, ip = '10.0.0.1') {
  const answered: Record<string, string> = {};
  const context = {
    switchToHttp: () => ({
      getRequest: () => ({ headers, ip }),
      getResponse: () => ({ setHeader: (name: string, value: string) => (answered[name] = value) }),
    }),
  } as unknown as ExecutionContext;
  return { context, answered };
}

/** The status a guard answers with: 200 when it lets the request through. */
function statusOf(guard: { canActivate(c: ExecutionContext): boolean }, context: ExecutionContext): number {
  try {
    return guard.canActivate(context) ? 200 : 0;
  } catch (error) {
    if (error instanceof HttpException) return error.getStatus();
    throw error;
  }
}

describe('ReadTokenGuard', () => {
  const guard = new ReadTokenGuard(resolveSagaOptions({ readToken: READ, adminToken: ADMIN }));

  it('is open while neither token is configured (an empty one counts as none), or without a saga module', () => {
    for (const options of [{}, { readToken: '', adminToken: '' }]) {
      const open = new ReadTokenGuard(resolveSagaOptions(options));
      expect(open.canActivate(contextWith({}).context)).toBe(true);
      expect(open.canActivate(contextWith({ authorization: 'Bearer whatever' }).context)).toBe(true);
    }
    expect(new ReadTokenGuard().canActivate(contextWith({}).context)).toBe(true);
  });

  it('lets the read token and the admin token through', () => {
    expect(guard.canActivate(contextWith({ authorization: `Bearer ${READ}` }).context)).toBe(true);
    expect(guard.canActivate(contextWith({ authorization: `bearer ${ADMIN} ` }).context)).toBe(true);
    // either token alone is enough to close reads, and the other one is then not accepted
    const adminOnly = new ReadTokenGuard(resolveSagaOptions({ adminToken: ADMIN }));
    expect(adminOnly.canActivate(contextWith({ authorization: `Bearer ${ADMIN}` }).context)).toBe(true);
    expect(statusOf(adminOnly, contextWith({ authorization: `Bearer ${READ}` }).context)).toBe(403);
    expect(statusOf(adminOnly, contextWith({}).context)).toBe(401);
  });

  it('answers 401 with a challenge without a Bearer token, 403 with a wrong one', () => {
    for (const authorization of [undefined, '', READ, `Basic ${READ}`, 'Bearer']) {
      const { context, answered } = contextWith({ authorization });
      expect(() => guard.canActivate(context)).toThrow(UnauthorizedException);
      expect(answered['WWW-Authenticate']).toMatch(/^Bearer /);
    }
    for (const authorization of [`Bearer ${READ}x`, `Bearer ${READ.slice(1)}`, `Bearer ${ADMIN.toUpperCase()}`]) {
      expect(() => guard.canActivate(contextWith({ authorization }).context)).toThrow(ForbiddenException);
    }
  });

  it('ignores the sw_read cookie; the page guard accepts it, the header first', () => {
    const page = new InspectorPageGuard(resolveSagaOptions({ readToken: READ, adminToken: ADMIN }));
    expect(statusOf(guard, contextWith({ cookie: `sw_read=${READ}` }).context)).toBe(401);
    expect(statusOf(page, contextWith({ cookie: `theme=dark; sw_read=${encodeURIComponent(READ)}` }).context)).toBe(200);
    expect(statusOf(page, contextWith({ cookie: `sw_read=${ADMIN}` }).context)).toBe(200);
    expect(statusOf(page, contextWith({ cookie: 'sw_read=nope' }).context)).toBe(403);
    expect(statusOf(page, contextWith({ cookie: 'sw_read=' }).context)).toBe(401);
    expect(statusOf(page, contextWith({ authorization: 'Bearer nope', cookie: `sw_read=${READ}` }).context)).toBe(403);
  });
});

describe('the read guard and the admin guard together', () => {
  it('answer a missing token 401 and a wrong one 403, alike', () => {
    const options = resolveSagaOptions({ readToken: READ, adminToken: ADMIN });
    const guards = [new ReadTokenGuard(options), new AdminTokenGuard(options)];
    for (const [authorization, status] of [
      [undefined, 401],
      ['Basic x', 401],
      ['Bearer', 401],
      ['Bearer guess', 403],
      [`Bearer ${ADMIN}x`, 403],
    ] as const) {
      expect({ authorization, statuses: guards.map((g) => statusOf(g, contextWith({ authorization }).context)) }).toEqual({
        authorization,
        statuses: [status, status],
      });
    }
  });
});

describe('cookieValue', () => {
  it('reads one cookie of a Cookie header, decoded', () => {
    expect(cookieValue('a=1; sw_read=x%20y; b=2', 'sw_read')).toBe('x y');
    expect(cookieValue('xsw_read=1', 'sw_read')).toBeUndefined();
    expect(cookieValue('sw_read=%E0%A4%A', 'sw_read')).toBeUndefined();
    expect(cookieValue(undefined, 'sw_read')).toBeUndefined();
  });
});

describe('token guards under the failure limiter', () => {
  it('after 20 failed checks from one address, answer 429 with Retry-After, whatever is sent, until the window passes', () => {
    let now = 1_000_000;
    const limiter = new TokenFailureLimiter({}, () => now);
    const options = resolveSagaOptions({ readToken: READ, adminToken: ADMIN });
    const read = new ReadTokenGuard(options, limiter);
    const admin = new AdminTokenGuard(options, limiter);
    // failures of both guards count together: 10 missing read tokens, 10 wrong admin tokens
    for (let i = 0; i < 10; i++) expect(statusOf(read, contextWith({}).context)).toBe(401);
    for (let i = 0; i < 10; i++) expect(statusOf(admin, contextWith({ authorization: 'Bearer guess' }).context)).toBe(403);
    now += 15_000;
    const refused = contextWith({ authorization: `Bearer ${READ}` });
    expect(statusOf(read, refused.context)).toBe(429);
    expect(refused.answered['Retry-After']).toBe('45');
    expect(statusOf(admin, contextWith({ authorization: `Bearer ${ADMIN}` }).context)).toBe(429);
    // another address is not affected
    expect(statusOf(read, contextWith({ authorization: `Bearer ${READ}` }, '10.0.0.2').context)).toBe(200);
    now += 45_000;
    expect(statusOf(read, contextWith({ authorization: `Bearer ${READ}` }).context)).toBe(200);
  });

  it('counts neither successes nor the 403 of disabled operator actions', () => {
    const limiter = new TokenFailureLimiter({ maxFailures: 2 });
    const read = new ReadTokenGuard(resolveSagaOptions({ readToken: READ }), limiter);
    const disabled = new AdminTokenGuard(resolveSagaOptions({ readToken: READ }), limiter);
    for (let i = 0; i < 5; i++) {
      expect(statusOf(read, contextWith({ authorization: `Bearer ${READ}` }).context)).toBe(200);
      expect(statusOf(disabled, contextWith({ authorization: 'Bearer x' }).context)).toBe(403);
    }
    expect(limiter.trackedClients).toBe(0);
  });
});
