import { Controller, Get, NotFoundException, Param, ParseUUIDPipe, Query, UsePipes, ValidationPipe } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { SagaOrchestrator } from '../runtime/saga-orchestrator';
import { ListSagasQueryDto } from './list-sagas.query.dto';
import { toSagaView, type SagaView } from './saga.view';

/** Read-only inspection of saga instances: state, steps and history. */
@ApiTags('sagas')
@Controller('sagas')
@UsePipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }))
export class SagasController {
  constructor(private readonly orchestrator: SagaOrchestrator) {}

  @Get()
  @ApiOkResponse({ description: 'Newest first, with steps and history' })
  async list(@Query() query: ListSagasQueryDto): Promise<SagaView[]> {
    const store = this.orchestrator.store;
    const states = await store.list({ status: query.status, type: query.type, correlationId: query.correlationId, limit: query.limit ?? 50 });
    return Promise.all(states.map(async (s) => toSagaView(s, await store.history(s.id))));
  }

  @Get(':id')
  @ApiOkResponse({ description: 'One saga with its steps and history' })
  @ApiNotFoundResponse()
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<SagaView> {
    const store = this.orchestrator.store;
    const state = await store.load(id);
    if (!state) throw new NotFoundException(`saga ${id} not found`);
    return toSagaView(state, await store.history(id));
  }
}
