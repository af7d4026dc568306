import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { allMigrations } from '../../migrations';
import { buildDataSourceOptions, connectAndMigrate, DatabaseTarget, type MigrationList } from './data-source-options';

/**
 * The app's one TypeORM connection. Migrations run at start-up, under an advisory lock since several instances may
 * start at once; entities are registered by each module's `TypeOrmModule.forFeature` (autoLoadEntities), so a
 * module owns its entities.
 */
@Module({})
export class DatabaseModule {
  /** `migrations`: the app's own by default; a process running some of the services passes theirs. */
  static forRoot(target: DatabaseTarget, migrations: MigrationList = allMigrations): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({
            ...(await buildDataSourceOptions(target, { migrations })),
            autoLoadEntities: true,
          }),
          dataSourceFactory: connectAndMigrate,
        }),
      ],
    };
  }
}
