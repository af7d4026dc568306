import { Logger } from '@nestjs/common';
import { classifiedReason } from 'sagaworks';
import type { Logger as TypeOrmLogger } from 'typeorm';

/** How much of a failed statement's text is logged: enough to tell which statement it was. */
const STATEMENT_PREFIX = 160;

/**
 * TypeORM's log, through Nest's logger, without the values: a failed query is logged as the error's class and
 * SQLSTATE and the start of the statement's text, never its parameters or the driver's message, which quote the
 * request's values (customer ids, addresses, payment tokens). TypeORM's own loggers print both.
 */
export class QueryErrorLogger implements TypeOrmLogger {
  private readonly logger = new Logger('TypeORM');

  logQuery(): void {}

  logQuerySlow(): void {}

  logSchemaBuild(): void {}

  logQueryError(error: string | Error, query: string): void {
    const reason = typeof error === 'string' ? 'query error' : classifiedReason(error);
    const statement = query.replace(/\s+/g, ' ').trim().slice(0, STATEMENT_PREFIX);
    this.logger.error(`query failed: ${reason}; statement: ${statement}`);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
