import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { allMigrations } from '../../migrations';
import { buildDataSourceOptions, connectAndMigrate, DatabaseTarget } from './data-source-options';

/**
 * The app's one TypeORM connection. Migrations run at start-up, under an advisory lock since several instances may
 * start at once; entities are registered by each module's `TypeOrmModule.forFeature` (autoLoadEntities), so a
 * module owns its entities.
 */
@Module({})
export class DatabaseModule {
  static forRoot(target: DatabaseTarget): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({
            ...(await buildDataSourceOptions(target, { migrations: allMigrations })),
            autoLoadEntities: true,
          }),
          dataSourceFactory: connectAndMigrate,
        }),
      ],
    };
  }
}
