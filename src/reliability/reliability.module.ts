import { type DynamicModule, Module } from '@nestjs/common';
import { FaultInjectionModule, type FaultInjectionOptions } from './fault-injection.module';
import { GRACEFUL_SHUTDOWN_OPTIONS, GracefulShutdown, type GracefulShutdownOptions, gracefulShutdownOptionsFromEnv } from './graceful-shutdown.service';

export interface ReliabilityOptions {
  shutdown?: Partial<GracefulShutdownOptions>;
  faults?: Partial<FaultInjectionOptions>;
}

/**
 * Process-level reliability of the monolith: graceful shutdown (drain before close) and the fault-injection test
 * switches (off unless enabled). Options default from the environment: `SHUTDOWN_GRACE_MS`,
 * `FAULT_DUPLICATE_DELIVERY`.
 */
@Module({})
export class ReliabilityModule {
  static forRoot(options: ReliabilityOptions = {}): DynamicModule {
    return {
      module: ReliabilityModule,
      imports: [FaultInjectionModule.forRoot(options.faults)],
      providers: [
        { provide: GRACEFUL_SHUTDOWN_OPTIONS, useFactory: (): GracefulShutdownOptions => ({ ...gracefulShutdownOptionsFromEnv(), ...options.shutdown }) },
        GracefulShutdown,
      ],
      exports: [GracefulShutdown, FaultInjectionModule],
    };
  }
}
