import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { SagaOperatorController } from './api/saga-operator.controller.js';
import { SagasController } from './api/sagas.controller.js';
import { InspectorReadSlots } from './api/inspector-read-slots.js';
import { SAGA_INSPECTOR_OPTIONS, type SagaInspectorOptions } from './saga-inspector-options.js';
import { InspectorController } from './ui/inspector.controller.js';

/**
 * The saga read API (`GET /sagas`, `GET /sagas/:id`, `GET /sagas/definitions`), the operator actions behind the
 * admin token (`POST /sagas/:id/retry`, `/abort`, `/steps/:step/skip`, `/signals/:name`) and the HTML inspector (`/ui`). Import
 * it beside `SagaModule.forRoot`; it needs `class-validator`, `class-transformer` and `@nestjs/swagger`.
 */
@Module({})
export class SagaInspectorModule {
  static forRoot(options: SagaInspectorOptions = {}): DynamicModule {
    const controllers: Type[] = [SagasController, SagaOperatorController];
    if (options.ui !== false) controllers.push(InspectorController);
    const path = options.path?.replace(/^\/+|\/+$/g, '');
    return {
      module: SagaInspectorModule,
      imports: path ? [RouterModule.register([{ path, module: SagaInspectorModule }])] : [],
      controllers,
      providers: [{ provide: SAGA_INSPECTOR_OPTIONS, useValue: { ...options, path } }, InspectorReadSlots],
    };
  }
}
