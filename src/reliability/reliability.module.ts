import { type DynamicModule, Module } from '@nestjs/common';
import {
  GRACEFUL_SHUTDOWN_OPTIONS,
  GracefulShutdown,
  type GracefulShutdownOptions,
  gracefulShutdownOptionsFromEnv,
} from './graceful-shutdown.service';

export interface ReliabilityOptions {
  shutdown?: Partial<GracefulShutdownOptions>;
}

/**
 * Process-level reliability of the monolith: graceful shutdown (drain before close). Options default from the
 * environment (`SHUTDOWN_GRACE_MS`). Fault injection is no part of the app: it lives in test/support.
 */
@Module({})
export class ReliabilityModule {
  static forRoot(options: ReliabilityOptions = {}): DynamicModule {
    return {
      module: ReliabilityModule,
      providers: [
        {
          provide: GRACEFUL_SHUTDOWN_OPTIONS,
          useFactory: (): GracefulShutdownOptions => ({ ...gracefulShutdownOptionsFromEnv(), ...options.shutdown }),
        },
        GracefulShutdown,
      ],
      exports: [GracefulShutdown],
    };
  }
}
