import { type DynamicModule, Global, Module } from '@nestjs/common';
import { isSplit, type ServiceName } from './service-names';

/** Which services this process runs, and whether the others run elsewhere (reached over the broker). */
export interface Deployment {
  services: readonly ServiceName[];
  /** Fewer than all four here: what another service owns arrives by message, never from its tables. */
  split: boolean;
}

export const DEPLOYMENT = Symbol('DEPLOYMENT');

/**
 * Global, so a domain module can ask (`@Optional() @Inject(DEPLOYMENT)`) whether its peers run in this process;
 * a module tested on its own has no deployment and behaves as in the monolith.
 */
@Global()
@Module({})
export class DeploymentModule {
  static forRoot(services: readonly ServiceName[]): DynamicModule {
    const deployment: Deployment = { services, split: isSplit(services) };
    return { module: DeploymentModule, providers: [{ provide: DEPLOYMENT, useValue: deployment }], exports: [DEPLOYMENT] };
  }
}
