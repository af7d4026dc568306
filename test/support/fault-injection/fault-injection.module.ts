import { type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { SagaHooks } from 'sagaworks';
import { type DuplicateDeliveryHandle, type DuplicateDeliveryStats, installDuplicateDelivery } from './duplicate-delivery';

export interface FaultInjectionOptions {
  /** Deliver every saga command and every reply twice (tests of idempotency only). */
  duplicateDelivery: boolean;
}

export const FAULT_INJECTION_OPTIONS = Symbol('FAULT_INJECTION_OPTIONS');

/** Installs the enabled faults before any message flows (module init precedes every bootstrap hook). */
@Injectable()
export class FaultInjection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('FaultInjection');
  private duplicates: DuplicateDeliveryHandle | null = null;

  constructor(
    private readonly hooks: SagaHooks,
    @Inject(FAULT_INJECTION_OPTIONS) private readonly options: FaultInjectionOptions,
  ) {}

  /** How many duplicates were delivered; null when the switch is off. */
  get duplicateStats(): DuplicateDeliveryStats | null {
    return this.duplicates?.stats ?? null;
  }

  onModuleInit(): void {
    if (!this.options.duplicateDelivery) return;
    this.logger.warn('FAULT INJECTION ACTIVE: every saga command and every reply is delivered twice');
    this.duplicates = installDuplicateDelivery(this.hooks, (what, error) =>
      this.logger.warn(`${what} failed: ${(error as Error)?.message ?? String(error)}`),
    );
  }

  onApplicationShutdown(): void {
    this.duplicates?.uninstall();
  }
}

/**
 * Test switches for the reliability suites, imported beside the app by the test that wants them (see
 * `startTestApp`'s `imports`); the app's own build has no way to turn them on.
 */
@Module({})
export class FaultInjectionModule {
  static forRoot(options?: Partial<FaultInjectionOptions>): DynamicModule {
    return {
      module: FaultInjectionModule,
      providers: [
        { provide: FAULT_INJECTION_OPTIONS, useValue: { duplicateDelivery: false, ...options } satisfies FaultInjectionOptions },
        FaultInjection,
      ],
      exports: [FaultInjection],
    };
  }
}
