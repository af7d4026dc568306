import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { RESOLVED_SAGA_OPTIONS } from '../../runtime/resolve-options.js';
import type { ResolvedSagaModuleOptions } from '../../saga-module-options.interface.js';
import { throttledTokenCheck, TokenFailureLimiter } from './token-failure-limiter.js';

export const OPERATOR_ACTIONS_DISABLED = 'operator actions are disabled: set ADMIN_TOKEN (the saga module option adminToken)';

// Hashing first gives both sides one length, so timingSafeEqual never throws and the comparison time says
// nothing about the token's length or content.
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** True when `presented` equals `expected`, in time independent of where they differ. */
export function tokensMatch(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Operator actions change sagas by hand, so they need the configured admin token: 401 (with a challenge) without
 * a Bearer token, 403 with a wrong one (the read token included), as `ReadTokenGuard` answers, and 403 when no
 * token is configured at all. Runs before any pipe, so a refused request validates nothing and changes nothing. Failed checks are throttled per client (`TokenFailureLimiter`); the 403 of disabled actions
 * is no check and is not counted.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(
    @Inject(RESOLVED_SAGA_OPTIONS) private readonly options: ResolvedSagaModuleOptions,
    @Optional() private readonly limiter?: TokenFailureLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.options.adminToken;
    if (!expected) throw new ForbiddenException(OPERATOR_ACTIONS_DISABLED);
    const http = context.switchToHttp();
    throttledTokenCheck(this.limiter, context, () => {
      const presented = bearerToken(http.getRequest<Request>().headers.authorization);
      if (presented === undefined) {
        http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="saga operator actions"');
        throw new UnauthorizedException('an Authorization: Bearer <admin token> header is required');
      }
      if (!tokensMatch(presented, expected)) throw new ForbiddenException('the token is wrong: send the admin token');
    });
    return true;
  }
}
