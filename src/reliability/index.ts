export { ReliabilityModule, type ReliabilityOptions } from './reliability.module';
export { GracefulShutdown, type GracefulShutdownOptions } from './graceful-shutdown.service';
export { FaultInjection, FaultInjectionModule, type FaultInjectionOptions, faultInjectionOptionsFromEnv } from './fault-injection.module';
export { installDuplicateDelivery, type DuplicateDeliveryStats } from './duplicate-delivery';
export { InFlightCommands } from './in-flight-commands';
