import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

const CONNECTION_ERROR = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|connection timeout|the database system is|terminating connection|PGlite pool has ended|Client has encountered a connection error/i;

/**
 * Every error leaves as `{ statusCode, error, message }` and nothing more: no stack, SQL or driver text reaches a
 * client. Bad input stays a 4xx with its message; a database that cannot be reached is a 503; anything else is
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
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === HttpStatus.PAYLOAD_TOO_LARGE) {
        // Oversized input is bad input: the contract answers every bad body with 400 naming what is wrong.
        return { statusCode: 400, error: 'Bad Request', message: ['body must be at most 64kb'] };
      }
      const response = exception.getResponse();
      const message = typeof response === 'string' ? response : ((response as { message?: string | string[] }).message ?? exception.message);
      const error = typeof response === 'object' && (response as { error?: string }).error ? (response as { error: string }).error : HttpStatus[status]?.replace(/_/g, ' ') ?? 'Error';
      return { statusCode: status, error: titleCase(error), message: status >= 500 ? 'Internal server error' : message };
    }
    if (isBodyParserError(exception)) {
      return { statusCode: exception.status, error: 'Bad Request', message: exception.status === 413 ? ['body must be at most 64kb'] : ['body must be valid JSON'] };
    }
    const text = `${(exception as Error)?.message ?? ''} ${(exception as { code?: string })?.code ?? ''}`;
    if ((exception instanceof QueryFailedError && CONNECTION_ERROR.test(text)) || CONNECTION_ERROR.test(text)) {
      return { statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; retry later' };
    }
    return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
  }
}

function isBodyParserError(e: unknown): e is { status: 400 | 413; type: string } {
  const err = e as { type?: string; status?: number };
  return typeof err?.type === 'string' && (err.status === 400 || err.status === 413) && /^entity\.|encoding|charset|request\.size/.test(err.type);
}

function titleCase(s: string): string {
  return s
    .toLowerCase()
    .split(' ')
    .map((w) => (w ? w[0].toUpperCase() + w.slice(1) : w))
    .join(' ');
}
