import type { ModuleMetadata } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { sagaMigrations } from '../persistence/migrations/index.js';
import { createPgliteOptions } from '../pglite/pglite-options.js';
import { SagaModule } from '../saga.module.js';

/**
 * What a host app of the library's specs imports: CQRS, the scheduler, a throwaway PGlite database whose saga
 * tables come from the migrations (or from `synchronize` alone), and the saga module with its job off.
 */
export function sagaHostImports(tables: 'migrations' | 'synchronize' = 'migrations'): NonNullable<ModuleMetadata['imports']> {
  return [
    CqrsModule.forRoot(),
    ScheduleModule.forRoot(),
    TypeOrmModule.forRootAsync({
      useFactory: async () => ({
        ...(await createPgliteOptions('memory://')),
        ...(tables === 'migrations' ? { migrations: sagaMigrations, migrationsRun: true } : { synchronize: true }),
        autoLoadEntities: true,
      }),
    }),
    SagaModule.forRoot({ jobEnabled: false }),
  ];
}
