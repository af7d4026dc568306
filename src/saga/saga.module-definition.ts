import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SagaModuleOptions } from './saga-module-options.interface';

/** Options that shape the module itself, so `forRootAsync` takes them beside `useFactory`. */
export interface SagaModuleExtras {
  /** Serve the inspection API (`GET /sagas`, `GET /sagas/:id`, `GET /sagas/definitions`). Default true. */
  inspectionApi?: boolean;
}

export const {
  ConfigurableModuleClass: ConfigurableSagaModule,
  MODULE_OPTIONS_TOKEN: SAGA_MODULE_OPTIONS,
  OPTIONS_TYPE: SAGA_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SAGA_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SagaModuleOptions>()
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSagaModuleOptions')
  .setExtras<SagaModuleExtras>({ inspectionApi: true }, (definition) => definition)
  .build();
