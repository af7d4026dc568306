import { Controller, Get, Header, Inject, Param, Query, Res, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { type SagaDefinition, SagaOrchestrator, SagaRegistry, type SagaState, type SagaStatus } from '../../index.js';
import { childCorrelationId } from '../../runtime/child-sagas.js';
import { InspectorPageGuard } from '../api/read-token.guard.js';
import { InspectorReadSlots } from '../api/inspector-read-slots.js';
import { renderDefinitionsPage } from './definitions.page.js';
import { html } from './html.js';
import { INSPECTOR_JS } from './inspector-script.js';
import { INSPECTOR_CSS } from './inspector-styles.js';
import { type PageChrome, renderPage } from './inspector-layout.js';
import { mountOf, page } from './page-response.js';
import { SAGA_INSPECTOR_OPTIONS, type SagaInspectorOptions } from '../saga-inspector-options.js';
import { renderSagaDetailPage } from './saga-detail.page.js';
import { type ChildSagaLink, parentOfCorrelation } from './saga-relations.js';
import { decodeSagaListCursor, encodeSagaListCursor } from '../api/saga-list-cursor.js';
import { PAGE_SIZES, renderSagaListPage, STATUSES, type SagaListFilter } from './saga-list.page.js';
import { TokenRequiredPageFilter } from './token-required.page.js';
import { renderWaitingPage } from './waiting.page.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFRESH_MS = 5_000;

/**
 * The saga inspector, server-rendered: `/ui` (sagas with counts and filters), `/ui/waiting` (sagas waiting for a
 * signal, with Approve and Reject), `/ui/sagas/:id` (one saga) and `/ui/definitions`. Read-only like `GET /sagas`; its buttons call the operator endpoints with the admin token.
 * Filters are forgiving: an unknown value (a malformed cursor too) is ignored rather than refused, as a page
 * should. The list is paged like `GET /sagas`: "Older →" follows the cursor of the page's last saga. The pages need the
 * read token like `GET /sagas` (from the header or the `sw_read` cookie the token form sets); a refused one gets
 * a page with that form. The assets are open: they hold no data.
 */
@ApiExcludeController()
@Controller('ui')
@UseFilters(TokenRequiredPageFilter)
export class InspectorController {
  constructor(
    private readonly orchestrator: SagaOrchestrator,
    private readonly registry: SagaRegistry,
    @Inject(SAGA_INSPECTOR_OPTIONS) private readonly options: SagaInspectorOptions,
  ) {}

  private chrome(res: Response, suffix: RegExp): PageChrome {
    return { base: mountOf(res, suffix), links: this.options.links ?? [] };
  }

  @UseInterceptors(InspectorReadSlots)
  @Get()
  @UseGuards(InspectorPageGuard)
  async list(
    @Res({ passthrough: true }) res: Response,
    @Query('status') status?: string,
    @Query('type') type?: string,
    @Query('correlationId') correlationId?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<string> {
    const after = typeof cursor === 'string' ? (decodeSagaListCursor(cursor) ?? undefined) : undefined;
    const filter: SagaListFilter = {
      status: STATUSES.includes(status as SagaStatus) ? (status as SagaStatus) : undefined,
      type: typeof type === 'string' && type && type.length <= 200 ? type : undefined,
      correlationId: typeof correlationId === 'string' && correlationId && correlationId.length <= 200 ? correlationId : undefined,
      limit: PAGE_SIZES.includes(Number(limit)) ? Number(limit) : 50,
      cursor: after ? cursor : undefined,
    };
    const store = this.orchestrator.store;
    const [counts, listPage] = await Promise.all([store.countByStatus(filter.type), store.list({ ...filter, after })]);
    const types = this.registry
      .all()
      .map((s) => s.definition.type)
      .sort();
    page(res);
    return renderSagaListPage({
      filter,
      counts,
      types,
      sagas: listPage.items,
      nextCursor: listPage.next ? encodeSagaListCursor(listPage.next) : null,
      refreshMs: REFRESH_MS,
      chrome: this.chrome(res, /$^/),
    });
  }

  @UseInterceptors(InspectorReadSlots)
  @Get('waiting')
  @UseGuards(InspectorPageGuard)
  async waiting(
    @Res({ passthrough: true }) res: Response,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<string> {
    const after = typeof cursor === 'string' ? (decodeSagaListCursor(cursor) ?? undefined) : undefined;
    const size = PAGE_SIZES.includes(Number(limit)) ? Number(limit) : 50;
    const listPage = await this.orchestrator.store.list({ waiting: true, limit: size, after });
    page(res);
    return renderWaitingPage({
      sagas: listPage.items,
      definitionOf: (type) => this.registry.get(type)?.definition,
      now: new Date(),
      limit: size,
      cursor: after ? cursor : undefined,
      nextCursor: listPage.next ? encodeSagaListCursor(listPage.next) : null,
      chrome: this.chrome(res, /\/waiting$/),
    });
  }

  @UseInterceptors(InspectorReadSlots)
  @Get('definitions')
  @UseGuards(InspectorPageGuard)
  async definitions(@Res({ passthrough: true }) res: Response): Promise<string> {
    const active = await this.orchestrator.store.activeByDefinition();
    page(res);
    return renderDefinitionsPage(
      this.registry.all().map((saga) => ({
        definition: saga.definition,
        hash: saga.hash,
        stepTimeoutsMs: saga.definition.steps.map((_, i) => saga.transitions.stepTimeoutMs(i)),
        maxAttempts: saga.definition.steps.map((_, i) => saga.transitions.retryPolicy(i).maxAttempts),
        inFlight: active.filter((a) => a.type === saga.definition.type).reduce((n, a) => n + a.count, 0),
      })),
      this.chrome(res, /\/definitions$/),
    );
  }

  @UseInterceptors(InspectorReadSlots)
  @Get('sagas/:id')
  @UseGuards(InspectorPageGuard)
  async detail(@Param('id') id: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    page(res);
    const chrome = this.chrome(res, /\/sagas\/[^/]*$/);
    const saga = UUID.test(id) ? await this.orchestrator.store.load(id) : null;
    if (!saga) {
      res.status(404);
      return renderPage({
        title: 'Not found',
        nav: 'sagas',
        chrome,
        body: html`<h1>No saga ${id}</h1><p><a href="./">Back to the sagas</a></p>`,
      });
    }
    const definition = this.registry.get(saga.type)?.definition;
    const [history, children] = await Promise.all([this.orchestrator.store.history(id), this.childrenOf(saga, definition)]);
    return renderSagaDetailPage({
      saga,
      history,
      definition,
      waitingFor: this.registry.waitingFor(saga),
      children,
      parent: parentOfCorrelation(saga.correlationId),
      now: new Date(),
      refreshMs: REFRESH_MS,
      chrome,
    });
  }

  /** The child saga of each child step that started one: one lookup by correlation id per child step. */
  private async childrenOf(saga: SagaState, definition: SagaDefinition<unknown> | undefined): Promise<Map<string, ChildSagaLink>> {
    const steps = (definition?.steps ?? []).filter((s) => s.childSaga);
    const found = await Promise.all(
      steps.map((s) => this.orchestrator.store.findByCorrelation(s.childSaga as string, childCorrelationId(saga.id, s.name))),
    );
    // A Map: step names are the app's, and one named `__proto__` must stay a step.
    const children = new Map<string, ChildSagaLink>();
    found.forEach((child, i) => {
      if (child) children.set(steps[i].name, { id: child.id, type: child.type, status: child.status });
    });
    return children;
  }

  @Get('assets/inspector.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  css(): string {
    return INSPECTOR_CSS;
  }

  @Get('assets/inspector.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  js(): string {
    return INSPECTOR_JS;
  }
}
