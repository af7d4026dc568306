import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { isTransientInfrastructureError } from 'sagaworks';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/**
 * Messages of the `pg` driver, the pool, TypeORM and PGlite meaning "the database cannot be reached right now",
 * as seen when a real PostgreSQL is stopped under load (test/reliability/db-outage.e2e-spec.ts).
 */
const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Connection terminated|connection timeout|timeout exceeded when trying to connect|the database system is|terminating connection|server closed the connection|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end|PGlite pool has ended|Driver not Connected|Connection is not established|query runner (was )?already released|QueryRunner(Provider)?AlreadyReleased/i;

/**
 * SQLSTATEs of the same: class 08 (connection exception), 57P01-57P03 (admin or crash shutdown, cannot connect
 * now), 53300 (too many connections). Codes are stable where messages are translated (lc_messages).
 */
const CONNECTION_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/** What a 503 asks a client to wait before retrying: a failover or a lock usually clears within seconds. */
const RETRY_AFTER_SECONDS = '2';

function isDatabaseUnavailable(exception: unknown): boolean {
  const e = exception as {
    message?: unknown;
    code?: unknown;
    driverError?: { code?: unknown; message?: unknown };
    errors?: unknown[];
  } | null;
  if (!e || typeof e !== 'object') return false;
  const codes = [e.code, e.driverError?.code].filter((c): c is string => typeof c === 'string');
  if (codes.some((c) => CONNECTION_SQLSTATE.test(c) || CONNECTION_ERROR.test(c))) return true;
  // TypeORM releases a transaction's query runner when its connection dies mid-way; the transaction's next
  // statement then fails with QueryRunnerAlreadyReleasedError (seen on a real outage), known by its name.
  const text = [(e as { name?: unknown }).name, e.message, e.driverError?.message].filter((m) => typeof m === 'string').join(' ');
  if (CONNECTION_ERROR.test(text)) return true;
  // Node's happy-eyeballs connect fails with an AggregateError whose own message is empty.
  return Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner));
}

/**
 * Every error leaves as `{ statusCode, error, message }` and nothing more: no stack, SQL or driver text reaches a
 * client. Bad input stays a 4xx with its message; a database that cannot be reached or cannot take the request now is a 503 with `Retry-After`; anything else is
 * a plain 500. Details go to the log.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) this.logger.error(`${body.statusCode}: ${(exception as Error)?.message}`, (exception as Error)?.stack);
    if (res.headersSent) return;
    if (body.statusCode === 503) res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === (HttpStatus.PAYLOAD_TOO_LARGE as number)) {
        // Oversized input is bad input: the contract answers every bad body with 400 naming what is wrong.
        return { statusCode: 400, error: 'Bad Request', message: ['body must be at most 64kb'] };
      }
      const response = exception.getResponse();
      const given = typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? exception.message);
      const message =
        typeof given === 'string' || (Array.isArray(given) && given.every((m) => typeof m === 'string')) ? given : exception.message;
      // `error` is a string in Nest's own exceptions, but anything in others' (terminus puts its report there).
      const own = typeof response === 'object' ? (response as { error?: unknown }).error : undefined;
      const error = typeof own === 'string' && own ? own : (HttpStatus[status]?.replace(/_/g, ' ') ?? 'Error');
      // A 5xx's own text is not for clients (terminus, for one, puts driver messages in its 503s).
      const plain =
        status === (HttpStatus.SERVICE_UNAVAILABLE as number) ? 'The service is unavailable; retry later' : 'Internal server error';
      return { statusCode: status, error: titleCase(error), message: status >= 500 ? plain : message };
    }
    if (isBodyParserError(exception)) {
      return {
        statusCode: exception.status,
        error: 'Bad Request',
        message: exception.status === 413 ? ['body must be at most 64kb'] : ['body must be valid JSON'],
      };
    }
    // Read-only, statement and lock timeouts, serialization failures: the database is there but cannot take this
    // request now. The client should retry, exactly as for a database that is down.
    if (isDatabaseUnavailable(exception) || isTransientInfrastructureError(exception)) {
      return { statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; retry later' };
    }
    return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
  }
}

function isBodyParserError(e: unknown): e is { status: 400 | 413; type: string } {
  const err = e as { type?: string; status?: number };
  return (
    typeof err?.type === 'string' && (err.status === 400 || err.status === 413) && /^entity\.|encoding|charset|request\.size/.test(err.type)
  );
}

function titleCase(s: string): string {
  return s
    .toLowerCase()
    .split(' ')
    .map((w) => (w ? w[0].toUpperCase() + w.slice(1) : w))
    .join(' ');
}
