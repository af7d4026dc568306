import { type ExecutionContext, ForbiddenException, HttpException, HttpStatus, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';

export interface TokenFailureLimits {
  /** Failed token checks a client may make within one window; the next check is refused with 429. */
  maxFailures: number;
  /** The window, from a client's first failure in it. */
  windowMs: number;
  /** Clients tracked at most; past it, the one whose window began longest ago is forgotten. */
  maxClients: number;
}

export const DEFAULT_TOKEN_FAILURE_LIMITS: TokenFailureLimits = { maxFailures: 20, windowMs: 60_000, maxClients: 10_000 };

interface Window {
  since: number;
  failures: number;
}

/**
 * Failed token checks per client (IP address), in memory: once a client has failed `maxFailures` times within
 * `windowMs`, its checks are refused until that window ends, so tokens cannot be guessed at network speed.
 * Bounded: at most `maxClients` windows are kept. One per process (the saga module provides it), shared by
 * every guard of the inspector and by `ReadTokenGuard` wherever a host uses it. A plain class: `SagaModule`
 * provides it with a factory, and a test overrides that provider with one of its own limits.
 */
export class TokenFailureLimiter {
  private readonly limits: TokenFailureLimits;
  /** In insertion order, which is the order the windows began: the first entry is the oldest. */
  private readonly windows = new Map<string, Window>();

  constructor(
    limits: Partial<TokenFailureLimits> = {},
    /** The clock, in ms; tests pass their own. */
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_TOKEN_FAILURE_LIMITS, ...limits };
  }

  /** Seconds until `client` may be checked again; 0 when it may be now. */
  retryAfterSeconds(client: string): number {
    const window = this.windows.get(client);
    if (!window) return 0;
    const left = window.since + this.limits.windowMs - this.now();
    if (left <= 0) {
      this.windows.delete(client);
      return 0;
    }
    return window.failures >= this.limits.maxFailures ? Math.ceil(left / 1000) : 0;
  }

  recordFailure(client: string): void {
    const now = this.now();
    const window = this.windows.get(client);
    if (window && now - window.since < this.limits.windowMs) {
      window.failures += 1;
      return;
    }
    this.windows.delete(client);
    this.windows.set(client, { since: now, failures: 1 });
    for (const oldest of this.windows.keys()) {
      if (this.windows.size <= this.limits.maxClients) break;
      this.windows.delete(oldest);
    }
  }

  /** How many clients have a window open (or expired and not yet looked at). */
  get trackedClients(): number {
    return this.windows.size;
  }
}

export class TooManyTokenFailuresException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message: `too many failed token checks from this address; retry in ${retryAfterSeconds} s`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/** The client a failure is counted against: its address as Express sees it (`trust proxy` decides). */
function clientOf(req: Request): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

/**
 * Runs a guard's token `check` (which throws 401 or 403 when the token is missing or wrong) under the limiter:
 * a client over its failures gets 429 with `Retry-After` whatever it sends (a right token included, or the
 * answer would still tell a guess apart), and each 401 or 403 counts as a failure. Without a limiter, only
 * `check` runs.
 */
export function throttledTokenCheck(limiter: TokenFailureLimiter | undefined, context: ExecutionContext, check: () => void): void {
  if (!limiter) return check();
  const http = context.switchToHttp();
  const client = clientOf(http.getRequest<Request>());
  const wait = limiter.retryAfterSeconds(client);
  if (wait > 0) {
    http.getResponse<Response>().setHeader('Retry-After', String(wait));
    throw new TooManyTokenFailuresException(wait);
  }
  try {
    check();
  } catch (error) {
    if (error instanceof UnauthorizedException || error instanceof ForbiddenException) limiter.recordFailure(client);
    throw error;
  }
}
