import {
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Query,
  UseGuards,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { renderSagaDiagram } from '../../definition/saga-diagram.js';
import { SagaOrchestrator } from '../../runtime/saga-orchestrator.js';
import { SagaRegistry } from '../../runtime/saga-registry.js';
import { toDefinitionView, type SagaDefinitionView } from './saga-definition.view.js';
import { DEFAULT_SAGA_PAGE, ListSagasQueryDto, MAX_SAGA_PAGE } from './list-sagas.query.dto.js';
import { decodeSagaListCursor } from './saga-list-cursor.js';
import { SagaPageDoc, toSagaPageView, type SagaPageView } from './saga-summary.view.js';
import { ReadTokenGuard } from './read-token.guard.js';
import { InspectorReadSlots } from './inspector-read-slots.js';
import { toSagaView, type SagaView } from './saga.view.js';

/**
 * Read-only inspection of saga instances: a paged list of summaries, and each saga with its steps and history.
 * Behind the read token once one is set.
 */
@ApiTags('sagas')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'A read or admin token is configured and no Bearer token was sent' })
@ApiForbiddenResponse({ description: 'The Bearer token is neither the read token nor the admin token' })
@ApiTooManyRequestsResponse({ description: 'Too many failed token checks from this address; see Retry-After' })
@Controller('sagas')
@UseGuards(ReadTokenGuard)
@UseInterceptors(InspectorReadSlots)
@UsePipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }))
export class SagasController {
  constructor(
    private readonly orchestrator: SagaOrchestrator,
    private readonly registry: SagaRegistry,
  ) {}

  @Get('definitions')
  @ApiOkResponse({ description: 'Every registered saga definition, with in-flight instances per definition version' })
  async definitions(): Promise<SagaDefinitionView[]> {
    const inFlight = await this.orchestrator.store.activeByDefinition();
    return this.registry.all().map((saga) =>
      toDefinitionView(
        saga,
        inFlight.filter((r) => r.type === saga.definition.type),
      ),
    );
  }

  @Get('definitions/:type/diagram')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOkResponse({ description: 'The definition as a Mermaid state diagram' })
  @ApiNotFoundResponse()
  diagram(@Param('type') type: string): string {
    const saga = this.registry.get(type);
    if (!saga) throw new NotFoundException(`no saga definition of type "${type}"`);
    return renderSagaDiagram(saga.definition);
  }

  @Get()
  @ApiOkResponse({
    type: SagaPageDoc,
    description: `Newest first, at most ${MAX_SAGA_PAGE} per page: summaries without history (GET /sagas/:id has it); nextCursor fetches the next, older page`,
  })
  @ApiBadRequestResponse({ description: 'A filter, the limit or the cursor is invalid; the message names it' })
  async list(@Query() query: ListSagasQueryDto): Promise<SagaPageView> {
    const page = await this.orchestrator.store.list({
      status: query.status,
      type: query.type,
      correlationId: query.correlationId,
      waiting: query.waiting === 'true',
      limit: query.limit ?? DEFAULT_SAGA_PAGE,
      after: query.cursor === undefined ? undefined : (decodeSagaListCursor(query.cursor) ?? undefined),
    });
    return toSagaPageView(page, this.registry);
  }

  @Get(':id')
  @ApiOkResponse({ description: 'One saga with its steps and history' })
  @ApiNotFoundResponse()
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<SagaView> {
    const store = this.orchestrator.store;
    const state = await store.load(id);
    if (!state) throw new NotFoundException(`saga ${id} not found`);
    return toSagaView(state, await store.history(id), this.registry);
  }
}
