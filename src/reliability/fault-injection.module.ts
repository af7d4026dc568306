import { type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { type DuplicateDeliveryHandle, type DuplicateDeliveryStats, installDuplicateDelivery } from './duplicate-delivery';

export interface FaultInjectionOptions {
  /** Deliver every command and every event twice (tests of idempotency only). */
  duplicateDelivery: boolean;
}

export const FAULT_INJECTION_OPTIONS = Symbol('FAULT_INJECTION_OPTIONS');

const TRUE = /^(1|true|yes|on)$/i;

/**
 * Reads the test switches from the environment. Production refuses them: a switch left on by mistake would
 * double every charge request sent to a real provider that is less forgiving than ours.
 */
export function faultInjectionOptionsFromEnv(env: Record<string, string | undefined> = process.env): FaultInjectionOptions {
  const duplicateDelivery = TRUE.test(env.FAULT_DUPLICATE_DELIVERY ?? '');
  if (duplicateDelivery && env.NODE_ENV === 'production') {
    new Logger('FaultInjection').error('FAULT_DUPLICATE_DELIVERY is ignored with NODE_ENV=production');
    return { duplicateDelivery: false };
  }
  return { duplicateDelivery };
}

/** Installs the enabled faults before any message flows (module init precedes every bootstrap hook). */
@Injectable()
export class FaultInjection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('FaultInjection');
  private duplicates: DuplicateDeliveryHandle | null = null;

  constructor(
    private readonly commandBus: CommandBus,
    private readonly eventBus: EventBus,
    @Inject(FAULT_INJECTION_OPTIONS) private readonly options: FaultInjectionOptions,
  ) {}

  /** How many duplicates were delivered; null when the switch is off. */
  get duplicateStats(): DuplicateDeliveryStats | null {
    return this.duplicates?.stats ?? null;
  }

  onModuleInit(): void {
    if (!this.options.duplicateDelivery) return;
    this.logger.warn('FAULT INJECTION ACTIVE: every command and every event is delivered twice');
    this.duplicates = installDuplicateDelivery(this.commandBus, this.eventBus, (what, error) =>
      this.logger.warn(`${what} failed: ${(error as Error)?.message ?? String(error)}`),
    );
  }

  onApplicationShutdown(): void {
    this.duplicates?.uninstall();
  }
}

/**
 * Test switches for the reliability suites. Inert unless enabled: `FAULT_DUPLICATE_DELIVERY=true` in the
 * environment of the process (read when the app is created), or `forRoot({ duplicateDelivery: true })`.
 */
@Module({})
export class FaultInjectionModule {
  static forRoot(options?: Partial<FaultInjectionOptions>): DynamicModule {
    return {
      module: FaultInjectionModule,
      providers: [
        { provide: FAULT_INJECTION_OPTIONS, useFactory: (): FaultInjectionOptions => ({ ...faultInjectionOptionsFromEnv(), ...options }) },
        FaultInjection,
      ],
      exports: [FaultInjection],
    };
  }
}
