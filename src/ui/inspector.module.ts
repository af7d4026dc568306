import { Module } from '@nestjs/common';
import { InspectorController } from './inspector.controller';

/** The saga inspector at `/ui`. Needs the saga module (its orchestrator and registry). */
@Module({ controllers: [InspectorController] })
export class InspectorModule {}
