import { describe, expect, it } from '@jest/globals';
import { ForbiddenException, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { resolveSagaOptions } from '../../runtime/resolve-options.js';
import { AdminTokenGuard, bearerToken, tokensMatch } from './admin-token.guard.js';
import { operatorActor } from './saga-operator.controller.js';

function contextWith(authorization: string | undefined): { context: ExecutionContext; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  const context = {
    switchToHttp: () => ({
      getRequest: () => ({ headers: authorization === undefined ? {} : { authorization } }),
      getResponse: () => ({ setHeader: (name: string, value: string) => (headers[name] = value) }),
    }),
  } as unknown as ExecutionContext;
  return { context, headers };
}

describe('AdminTokenGuard', () => {
  const guard = new AdminTokenGuard(resolveSagaOptions({ adminToken: 's3cret-token' }));

  it('lets the right Bearer token through', () => {
    expect(guard.canActivate(contextWith('Bearer s3cret-token').context)).toBe(true);
    expect(guard.canActivate(contextWith('bearer   s3cret-token ').context)).toBe(true);
  });

  it('refuses a missing or malformed Bearer token with 401 and a WWW-Authenticate challenge', () => {
    for (const header of [undefined, '', 's3cret-token', 'Basic s3cret-token', 'Bearer', 'Bearer s3cret token']) {
      const { context, headers } = contextWith(header);
      expect(() => guard.canActivate(context)).toThrow(UnauthorizedException);
      expect(headers['WWW-Authenticate']).toMatch(/^Bearer /);
    }
  });

  it('refuses a wrong Bearer token with 403, as the read guard does', () => {
    for (const header of ['Bearer s3cret-toke', 'Bearer s3cret-token2', 'Bearer S3CRET-TOKEN']) {
      const { context, headers } = contextWith(header);
      expect(() => guard.canActivate(context)).toThrow(ForbiddenException);
      expect(() => guard.canActivate(context)).toThrow('the token is wrong');
      expect(headers['WWW-Authenticate']).toBeUndefined();
    }
  });

  it('is closed with 403 when no token is configured (an empty one counts as none)', () => {
    for (const adminToken of [undefined, '']) {
      const closed = new AdminTokenGuard(resolveSagaOptions({ adminToken }));
      expect(() => closed.canActivate(contextWith('Bearer ').context)).toThrow(ForbiddenException);
      expect(() => closed.canActivate(contextWith('Bearer anything').context)).toThrow('operator actions are disabled: set ADMIN_TOKEN');
    }
  });
});

describe('token helpers', () => {
  it('compares tokens of any lengths without throwing', () => {
    expect(tokensMatch('a', 'a')).toBe(true);
    expect(tokensMatch('a', 'ab')).toBe(false);
    expect(tokensMatch('', 'x'.repeat(500))).toBe(false);
    expect(tokensMatch('é', 'e')).toBe(false);
  });

  it('reads the token of a Bearer header only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('Token abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('keeps the X-Operator name short and printable, else "operator"', () => {
    expect(operatorActor(undefined)).toBe('operator');
    expect(operatorActor('  ')).toBe('operator');
    expect(operatorActor('alice@example.com')).toBe('alice@example.com');
    expect(operatorActor('eve\nretry by mallory: <script>')).toBe('everetry by mallory script');
    expect(operatorActor('x'.repeat(100))).toHaveLength(64);
  });
});
