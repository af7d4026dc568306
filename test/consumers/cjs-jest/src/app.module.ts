import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SagaModule, sagaMigrations } from 'sagaworks';
import { createPgliteOptions } from 'sagaworks/pglite';
import { OrdersModule } from './orders/orders.module';

export interface AppOptions {
  /** Run the saga timeout job on its interval; tests turn it off and let the test kit drive it. */
  jobEnabled?: boolean;
}

@Module({})
export class AppModule {
  static forRoot(options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({
            ...(await createPgliteOptions('memory://')),
            migrations: sagaMigrations,
            migrationsRun: true,
            autoLoadEntities: true,
          }),
        }),
        SagaModule.forRoot({
          jobEnabled: options.jobEnabled ?? true,
          defaultStepTimeoutMs: 2_000,
          retry: { maxAttempts: 2, backoffBaseMs: 100 },
        }),
        OrdersModule,
      ],
    };
  }
}
