export { ReliabilityModule, type ReliabilityOptions } from './reliability.module';
export { GracefulShutdown, type GracefulShutdownOptions } from './graceful-shutdown.service';
export { InFlightCommands } from './in-flight-commands';
