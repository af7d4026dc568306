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
import { bearerToken, tokensMatch } from './admin-token.guard.js';
import { throttledTokenCheck, TokenFailureLimiter } from './token-failure-limiter.js';

/**
 * The cookie the inspector's token form sets (`SameSite=Strict; Path=/`), so the pages a browser navigates to,
 * which carry no `Authorization` header, carry the token. Only the pages accept it.
 */
export const READ_TOKEN_COOKIE = 'sw_read';

/** The value of cookie `name` in a `Cookie` header, URI-decoded; undefined when absent, empty or malformed. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim()) || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Reads of sagas (and of whatever a host guards with it, such as its payments) need `Authorization: Bearer`
 * with the read token or the admin token: 401 without one, 403 with a wrong one. With neither token configured
 * (or no saga module at all) reads are open: the host decides whether to serve them beyond localhost. Failed
 * checks are throttled per client (`TokenFailureLimiter`). Use it on a host's own controllers with
 * `@UseGuards(ReadTokenGuard)`.
 */
@Injectable()
export class ReadTokenGuard implements CanActivate {
  /** Whether the `sw_read` cookie may stand in for the header (the pages, see `InspectorPageGuard`). */
  protected readonly acceptsCookie: boolean = false;

  constructor(
    @Optional() @Inject(RESOLVED_SAGA_OPTIONS) private readonly options?: ResolvedSagaModuleOptions,
    @Optional() private readonly limiter?: TokenFailureLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const accepted = [this.options?.readToken, this.options?.adminToken].filter((t): t is string => !!t);
    if (accepted.length === 0) return true;
    const http = context.switchToHttp();
    const { headers } = http.getRequest<Request>();
    throttledTokenCheck(this.limiter, context, () => {
      const presented =
        bearerToken(headers.authorization) ?? (this.acceptsCookie ? cookieValue(headers.cookie, READ_TOKEN_COOKIE) : undefined);
      if (presented === undefined) {
        http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="saga reads"');
        throw new UnauthorizedException(
          this.acceptsCookie
            ? `a read token is required: an Authorization: Bearer <token> header or the ${READ_TOKEN_COOKIE} cookie`
            : 'an Authorization: Bearer <read token> header is required',
        );
      }
      // Compared with every accepted token, so the time taken does not tell which one came close.
      const matches = accepted.map((expected) => tokensMatch(presented, expected));
      if (!matches.includes(true)) throw new ForbiddenException('the token is wrong: send the read token or the admin token');
    });
    return true;
  }
}

/** `ReadTokenGuard` for the `/ui` pages: the `sw_read` cookie is accepted as well as the header. */
@Injectable()
export class InspectorPageGuard extends ReadTokenGuard {
  protected override readonly acceptsCookie: boolean = true;
}
