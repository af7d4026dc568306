import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { OperatorActionResult } from '../../runtime/saga-orchestrator.js';
import { signalAccepted, type SignalResult } from '../../runtime/saga-signal.js';
import { SagaOrchestrator } from '../../runtime/saga-orchestrator.js';
import { SagaRegistry } from '../../runtime/saga-registry.js';
import { AbortQueryDto } from './abort-query.dto.js';
import { toAbortPlanView, type AbortPlanView } from './abort-plan.view.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { OperatorReasonDto } from './operator-reason.dto.js';
import { toSagaView, type SagaView } from './saga.view.js';
import { MAX_SIGNAL_NAME_LENGTH, SignalBodyDto } from './signal-body.dto.js';
import { SkipStepDto } from './skip-step.dto.js';

const DEFAULT_ACTOR = 'operator';

/**
 * Who acts, for the history: the `X-Operator` header when it carries a usable name, else "operator". The
 * header is not authentication (the token is); it is kept to a short, printable name so it cannot forge
 * history lines or smuggle markup.
 */
export function operatorActor(header: string | undefined): string {
  const name = (header ?? '')
    .replace(/[^\p{L}\p{N} ._@+-]/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 64);
  return name || DEFAULT_ACTOR;
}

/**
 * Operator actions on one saga, behind the admin token. Each answers with the saga as `GET /sagas/:id` shows it,
 * its history recording who acted and why (a signal answers with what became of it); 404 for an unknown saga, 409
 * when the action does not apply to the saga's current state (nothing is changed then).
 */
@ApiTags('sagas')
@ApiBearerAuth()
@ApiHeader({ name: 'X-Operator', required: false, description: 'Who acts, recorded in the history (default "operator")' })
@ApiUnauthorizedResponse({ description: 'No or wrong Bearer token; nothing changed' })
@ApiForbiddenResponse({ description: 'No admin token is configured: operator actions are disabled' })
@ApiNotFoundResponse({ description: 'No such saga (or step)' })
@ApiConflictResponse({ description: 'The action does not apply to the saga in its current state; nothing changed' })
@Controller('sagas')
@UseGuards(AdminTokenGuard)
@UsePipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }))
export class SagaOperatorController {
  constructor(
    private readonly orchestrator: SagaOrchestrator,
    private readonly registry: SagaRegistry,
  ) {}

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOkResponse({ description: 'A FAILED saga resumes the compensation that exhausted its attempts, with a fresh budget' })
  async retry(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: OperatorReasonDto = {},
    @Headers('x-operator') operator?: string,
  ): Promise<SagaView> {
    // The runtime records "retry by <actor>"; a reason, when given, rides along so the history says why.
    const actor = operatorActor(operator);
    return this.answer(await this.orchestrator.retry(id, actor, body.reason));
  }

  @Post(':id/abort')
  @HttpCode(200)
  @ApiOkResponse({
    description: 'Forward progress stops and what was done is compensated, in reverse; `?dryRun=true` answers with that plan instead',
  })
  async abort(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() query: AbortQueryDto,
    @Body() body: OperatorReasonDto = {},
    @Headers('x-operator') operator?: string,
  ): Promise<SagaView | AbortPlanView> {
    if (query.dryRun === 'true') {
      const plan = await this.orchestrator.planAbort(id);
      if (!plan) throw new NotFoundException(`saga ${id} not found`);
      return toAbortPlanView(plan);
    }
    return this.answer(await this.orchestrator.abort(id, operatorActor(operator), body.reason));
  }

  @Post(':id/steps/:step/skip')
  @HttpCode(200)
  @ApiOkResponse({
    description: 'A failed or stuck compensation is recorded as done by hand, with the reason; the earlier compensations run',
  })
  @ApiBadRequestResponse({ description: '`reason` is missing' })
  async skip(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('step') step: string,
    @Body() body: SkipStepDto,
    @Headers('x-operator') operator?: string,
  ): Promise<SagaView> {
    const state = await this.orchestrator.store.load(id);
    if (!state) throw new NotFoundException(`saga ${id} not found`);
    const definition = this.registry.get(state.type)?.definition;
    if (definition && !definition.steps.some((s) => s.name === step)) {
      throw new NotFoundException(`saga ${id} (${state.type}) has no step "${step}"`);
    }
    return this.answer(await this.orchestrator.skipCompensation(id, step, operatorActor(operator), body.reason));
  }

  @Post(':id/signals/:name')
  @HttpCode(202)
  @ApiAcceptedResponse({
    description:
      'The signal ended the wait (`applied`) or waits for the saga to reach it (`kept`): `{ outcome, reason, sagaId }`. 409 when it is late, a duplicate or names no wait of the saga (nothing changed; the history records it)',
  })
  @ApiBadRequestResponse({ description: 'The payload is not a JSON object, is too large, or the name is too long' })
  async signal(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('name') name: string,
    @Body() body: SignalBodyDto = {},
    @Headers('x-operator') operator?: string,
  ): Promise<SignalResult> {
    if (name.length > MAX_SIGNAL_NAME_LENGTH) throw new BadRequestException(`name must be at most ${MAX_SIGNAL_NAME_LENGTH} characters`);
    // The wait's `decide` learns who acted from the payload, as it would from any other signaller.
    const payload = { ...body.payload, by: body.payload?.by ?? operatorActor(operator) };
    const result = await this.orchestrator.signal(id, name, payload);
    if (result.outcome === 'not-found') throw new NotFoundException(`saga ${id} not found`);
    if (!signalAccepted(result)) throw new ConflictException(result.reason);
    return { outcome: result.outcome, reason: result.reason, sagaId: result.sagaId ?? id };
  }

  private async answer(result: OperatorActionResult): Promise<SagaView> {
    if (!result.ok) {
      throw result.reason === 'not-found' ? new NotFoundException(result.message) : new ConflictException(result.message);
    }
    return toSagaView(result.saga, await this.orchestrator.store.history(result.saga.id), this.registry);
  }
}
