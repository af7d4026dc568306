import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Injectable,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import { TokenFailureLimiter } from 'sagaworks/inspector';
import type { AppConfigTree } from '../config/app-config.module';

export const ADMIN_ACTIONS_DISABLED = 'admin actions are disabled: set ADMIN_TOKEN';

// Hashing first gives both sides one length, so the comparison time says nothing about the token.
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The app's own admin actions (a fraud review decision) answer as the library's operator actions do: 403 while
 * ADMIN_TOKEN is unset (disabled), 401 with a challenge without a Bearer token, 403 with a wrong one (the read
 * token included). Failed checks count in the library's per-client limiter, the one its guards share, so
 * guessing here and on `/sagas` adds up to one budget. A copy of the library's `AdminTokenGuard`, which
 * `sagaworks/inspector` does not export.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(
    private readonly config: ConfigService<AppConfigTree, true>,
    @Optional() private readonly limiter?: TokenFailureLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.get('app', { infer: true }).adminToken;
    if (!expected) throw new ForbiddenException(ADMIN_ACTIONS_DISABLED);
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const client = req.ip ?? req.socket?.remoteAddress ?? 'unknown';
    const wait = this.limiter?.retryAfterSeconds(client) ?? 0;
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      throw new HttpException(
        {
          statusCode: HttpStatus.TOO_MANY_REQUESTS,
          error: 'Too Many Requests',
          message: `too many failed token checks from this address; retry in ${wait} s`,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (presented === undefined) {
      this.limiter?.recordFailure(client);
      res.setHeader('WWW-Authenticate', 'Bearer realm="admin actions"');
      throw new UnauthorizedException('an Authorization: Bearer <admin token> header is required');
    }
    if (!timingSafeEqual(digest(presented), digest(expected))) {
      this.limiter?.recordFailure(client);
      throw new ForbiddenException('the token is wrong: send the admin token');
    }
    return true;
  }
}
