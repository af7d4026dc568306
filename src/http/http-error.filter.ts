import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { classifiedReason, isTransientInfrastructureError } from 'sagaworks';

/** What a 503 asks a client to wait before retrying: a failover or a lock usually clears within seconds. */
const RETRY_AFTER_SECONDS = '2';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/**
 * Every error leaves as `{ statusCode, error, message }` and nothing more: no stack, SQL or driver text reaches a
 * client. Bad input stays a 4xx with its message; a database that cannot take the request now (down, read-only,
 * timing out) is a 503 with `Retry-After`; anything else is a plain 500. Details go to the log, classified: a
 * database error is logged as its class and SQLSTATE, never its text, which can quote the request's values (a
 * customer id, an address, a payment token).
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) this.logger.error(`${body.statusCode}: ${classifiedReason(exception)}`, stackFrames(exception));
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
    // Down, unreachable, read-only, timing out: the database cannot take this request now, and a retry can succeed.
    if (isTransientInfrastructureError(exception)) {
      return { statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; retry later' };
    }
    return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
  }
}

/** The stack's frames without its first lines, which repeat the message. */
function stackFrames(exception: unknown): string | undefined {
  const stack = (exception as Error)?.stack;
  if (typeof stack !== 'string') return undefined;
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
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
