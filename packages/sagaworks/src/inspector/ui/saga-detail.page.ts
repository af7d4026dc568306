import {
  isTerminal,
  type SagaDefinition,
  type SagaHistoryRow,
  type SagaState,
  SagaStatus,
  type StepState,
  StepStatus,
} from '../../index.js';
import type { FlowExpectation } from '../../definition/choreography-definition.js';
import { html, type SafeHtml } from './html.js';
import { badge, formatDeadline, formatDuration, formatTime, shortId } from './format.js';
import { type PageChrome, renderPage } from './inspector-layout.js';
import { renderSagaFlow } from './saga-flow.svg.js';
import { type ChildSagaLink, type ParentSagaLink } from './saga-relations.js';

export interface SagaDetailModel {
  /** Where the pages are mounted; default `/ui`. */
  chrome?: PageChrome;
  saga: SagaState;
  history: SagaHistoryRow[];
  /** Undefined when this process does not know the saga's type. */
  definition?: SagaDefinition<unknown>;
  now: Date;
  refreshMs: number;
  /** The child saga each child step started, by step name (a step whose child has not started is absent). */
  children?: ReadonlyMap<string, ChildSagaLink>;
  /** Set when this saga is a child: the parent and its step, from the correlation id. */
  parent?: ParentSagaLink | null;
  /** Set for a choreographed flow: every event it still expects. */
  waitingFor?: FlowExpectation[];
}

/** What a choreographed flow still expects, and from whom. */
function flowWaits(waitingFor: FlowExpectation[]): SafeHtml {
  if (!waitingFor.length) return html`—`;
  return html`${waitingFor.map(
    (w) =>
      html`<span class="flow-wait" data-flow-waiting="${w.step}">${w.events.join(' or ')} (${w.kind === 'compensated' ? 'undo of ' : ''}${w.step}${w.participant ? `, from ${w.participant}` : ''})</span> `,
  )}`;
}

function facts(model: SagaDetailModel): SafeHtml {
  const { saga, now } = model;
  const fact = (label: string, value: SafeHtml | string) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`;
  const current = saga.steps[saga.stepIndex];
  return html`<dl class="facts">
    ${fact('Saga id', html`<span class="mono">${saga.id}</span>`)}
    ${fact('Correlation id', html`<span class="mono">${saga.correlationId}</span>`)}
    ${model.parent ? fact('Parent saga', html`<a href="sagas/${encodeURIComponent(model.parent.id)}" data-parent-saga="${model.parent.id}" class="mono">${shortId(model.parent.id)}</a> (step ${model.parent.step})`) : ''}
    ${model.waitingFor ? fact('Kind', 'choreographed flow (observed, sends no commands)') : ''}
    ${fact('Status', badge(saga.status))}
    ${model.waitingFor ? fact('Waiting for', flowWaits(model.waitingFor)) : ''}
    ${fact('Current step', current ? html`${current.name} ${badge(current.status)}` : '—')}
    ${fact('Deadline', formatDeadline(saga.dueAt, now))}
    ${fact('Started', formatTime(saga.createdAt))}
    ${fact('Updated', formatTime(saga.updatedAt))}
    ${fact('Version', String(saga.version))}
    ${isTerminal(saga.status) ? '' : fact('Lease', saga.leaseOwner ? html`<span class="mono">${saga.leaseOwner}</span> until ${formatTime(saga.leaseUntil)}` : '—')}
    ${saga.failureReason ? fact('Failure reason', html`<span class="error-text">${saga.failureReason}</span>`) : ''}
  </dl>`;
}

/** Why a step was skipped: the step's status change in the history (a skip records no error on the step). */
const skipReason = (history: SagaHistoryRow[], step: string): string | null =>
  history.findLast((h) => h.step === step && h.to === StepStatus.SKIPPED)?.reason ?? null;

/** What a wait step is waiting for, and what became of its signal. */
function waitNote(step: StepState, signal: string | undefined): SafeHtml {
  const kept = step.keptSignal ? html` <span class="muted" data-signal-kept>(a signal is kept for it)</span>` : '';
  if (step.status === StepStatus.WAITING) {
    const what = signal ? html`waiting for signal <code>${signal}</code>` : html`waiting for a reply`;
    const remind = step.remindAt ? html`, reminder at ${formatTime(step.remindAt, true)}` : '';
    return html` <span class="muted" data-waiting-for="${signal ?? ''}">(${what}${remind})</span>${kept}`;
  }
  return html`${kept}${step.signalled ? html` <span class="muted">(signalled)</span>` : ''}`;
}

/** A parallel stage's branches, indented under it: each with its own status, attempts, deadline and error. */
function branchRows(step: StepState, now: Date): SafeHtml {
  return html`${(step.branches ?? []).map(
    (b) => html`<tr class="branch" data-branch="${b.name}" data-status="${b.status}">
        <td class="num muted">↳</td>
        <td class="branch-name">${b.name}${b.completedOrder ? html` <span class="muted" title="compensation runs in reverse of this order">(answered ${b.completedOrder}.)</span>` : ''}${b.outcomeUnknown ? html` <span class="muted">(outcome unknown)</span>` : ''}${b.awaitingInfrastructure ? html` <span class="muted" data-waiting-on="infrastructure">(waiting on infrastructure)</span>` : b.awaitingRetry ? html` <span class="muted">(waiting to retry)</span>` : ''}</td>
        <td>${badge(b.status)}</td>
        <td class="num">${b.attempts}</td>
        <td class="num">${b.compensationAttempts}</td>
        <td>${formatTime(b.startedAt, true)}</td>
        <td>${formatTime(b.finishedAt, true)}</td>
        <td class="num"></td>
        <td>${b.dueAt && (b.status === StepStatus.EXECUTING || b.status === StepStatus.COMPENSATING) ? formatDeadline(new Date(b.dueAt), now) : ''}</td>
        <td class="error-text">${b.error ?? ''}</td>
      </tr>`,
  )}`;
}

/** Where a child step's saga is: a link to its page, or the type it will start. */
function childNote(childType: string | undefined, child: ChildSagaLink | undefined): SafeHtml {
  if (!childType) return html``;
  if (!child) return html` <span class="muted" data-child-type="${childType}">(child: ${childType}, not started)</span>`;
  return html` <span class="muted">(child: <a href="sagas/${encodeURIComponent(child.id)}" data-child-saga="${child.id}">${child.type} <span class="mono">${shortId(child.id)}</span></a> ${badge(child.status)})</span>`;
}

function stepsTable({ saga, now, definition, history, children }: SagaDetailModel): SafeHtml {
  return html`<table class="steps">
    <thead><tr><th>#</th><th>Step</th><th>Status</th><th>Attempts</th><th>Undo attempts</th><th>Started</th><th>Finished</th><th>Took</th><th>Deadline</th><th>Error</th></tr></thead>
    <tbody>${saga.steps.map((step, i) => {
      const current = i === saga.stepIndex && saga.dueAt;
      // Once compensated, finishedAt is when the undo finished: the forward duration is gone.
      const forwardEnded = step.status === StepStatus.COMPLETED || step.status === StepStatus.FAILED;
      const took =
        forwardEnded && step.startedAt && step.finishedAt
          ? formatDuration(new Date(step.finishedAt).getTime() - new Date(step.startedAt).getTime())
          : '';
      const skipped = step.status === StepStatus.SKIPPED;
      const waits = step.status === StepStatus.WAITING && step.waitDeadline;
      const deadline = waits ? formatDeadline(new Date(step.waitDeadline as string), now) : current ? formatDeadline(saga.dueAt, now) : '';
      return html`<tr data-step="${step.name}" data-status="${step.status}" class="${skipped ? 'skipped' : ''}">
        <td class="num">${i + 1}</td>
        <td><b>${step.name}</b>${step.outcomeUnknown ? html` <span class="muted" title="timed out: it may have taken effect, so it is compensated too">(outcome unknown)</span>` : ''}${step.awaitingInfrastructure ? html` <span class="muted" data-waiting-on="infrastructure" title="the database refused or lost the attempt; it is sent again when the database answers, and no attempt is spent">(waiting on infrastructure, ${step.infrastructureWaits ?? 1}×)</span>` : step.awaitingRetry ? html` <span class="muted">(waiting to retry)</span>` : ''}${waitNote(step, definition?.steps[i]?.wait?.signal)}${skipped ? html` <span class="muted" data-skip-reason>(${skipReason(history, step.name) ?? 'skipped'})</span>` : ''}${childNote(definition?.steps[i]?.childSaga, children?.get(step.name))}</td>
        <td>${badge(step.status)}</td>
        <td class="num">${step.attempts}</td>
        <td class="num">${step.compensationAttempts}</td>
        <td>${formatTime(step.startedAt, true)}</td>
        <td>${formatTime(step.finishedAt, true)}</td>
        <td class="num">${took}</td>
        <td>${deadline}</td>
        <td class="error-text">${step.error ?? ''}</td>
      </tr>${branchRows(step, now)}`;
    })}</tbody>
  </table>`;
}

function timeline(history: SagaHistoryRow[]): SafeHtml {
  if (!history.length) return html`<p class="muted">No history.</p>`;
  return html`<ol class="timeline">${history.map(
    (h) => html`<li class="t-${h.to}" data-seq="${h.seq}">
      <div class="when">#${h.seq} · ${formatTime(h.at)}</div>
      <div class="what">${h.step ?? 'saga'}: ${h.from ?? '∅'} → ${h.to}</div>
      ${h.reason ? html`<div class="reason">${h.reason}</div>` : ''}
    </li>`,
  )}</ol>`;
}

/** The buttons that apply to the saga now (the server decides anyway: 409 otherwise). */
function actionButtons(saga: SagaState): SafeHtml {
  const stalled = saga.status === SagaStatus.STALLED;
  const forward = saga.status === SagaStatus.RUNNING || saga.status === SagaStatus.STARTED || stalled;
  const current = saga.steps[saga.stepIndex];
  const stuck =
    (saga.status === SagaStatus.FAILED || saga.status === SagaStatus.COMPENSATING) && current?.status === StepStatus.COMPENSATING;
  const disabled = (on: boolean, why: string) => (on ? '' : html`disabled title="${why}"`);
  return html`<div class="row">
      <button type="button" data-action="retry" ${disabled(saga.status === SagaStatus.FAILED || stalled, 'only a FAILED saga or a STALLED flow can be retried')}>Retry</button>
      <button type="button" class="secondary" data-action="plan" ${disabled(forward, 'only a saga moving forward can be aborted')}>Abort: dry run</button>
      <button type="button" class="danger" data-action="abort" ${disabled(forward, 'only a saga moving forward can be aborted')}>Abort</button>
    </div>
    <div class="row">
      <select name="step" aria-label="compensation to skip" ${stuck ? '' : 'disabled'}>${stuck ? html`<option value="${current.name}">${current.name}</option>` : html`<option value="">no compensation to skip</option>`}</select>
      <button type="button" class="secondary" data-action="skip" ${disabled(stuck, 'only a failed or stuck compensation can be skipped')}>Skip compensation</button>
    </div>`;
}

function operatorPanel(saga: SagaState): SafeHtml {
  return html`<div class="panel actions" data-saga="${saga.id}">
    <h2>Operator actions</h2>
    <p class="muted">Retry resumes a FAILED saga's compensation. Abort stops a running saga and compensates what it did (try the dry run first). Skip marks a compensation done by hand and needs a reason. Every action is recorded in the history with who and why.</p>
    <div id="action-buttons">${actionButtons(saga)}</div>
    <label>Reason (recorded in the history; required to skip)<textarea name="reason" maxlength="500" placeholder="say, refunded by hand in the provider dashboard, ticket OPS-42"></textarea></label>
    <div id="action-result" role="status" aria-live="polite"></div>
  </div>`;
}

/** The signal the current step waits for, if it waits for one now. */
function awaitedSignal(saga: SagaState, definition: SagaDefinition<unknown> | undefined): string | undefined {
  const step = saga.steps[saga.stepIndex];
  if (saga.status !== SagaStatus.RUNNING || step?.status !== StepStatus.WAITING) return undefined;
  return definition?.steps[saga.stepIndex]?.wait?.signal;
}

/** Approve or reject the wait: sends its signal with `{ decision, reason }`, as the waiting page does. */
function signalPanel(saga: SagaState, signal: string): SafeHtml {
  const step = saga.steps[saga.stepIndex];
  return html`<div class="panel actions" data-saga="${saga.id}" data-signal="${signal}">
    <h2>Waiting for signal <code>${signal}</code></h2>
    <p class="muted">${step.name} waits until ${formatTime(step.waitDeadline)}. Approve or Reject sends the signal with your decision and reason; who acted is recorded.</p>
    <label>Reason<input type="text" name="reason" maxlength="500" placeholder="say, customer verified by phone"></label>
    <div class="row">
      <button type="button" data-action="approve">Approve</button>
      <button type="button" class="danger" data-action="reject">Reject</button>
    </div>
    <div class="action-result" role="status" aria-live="polite"></div>
  </div>`;
}

/** `/ui/sagas/:id`: one saga's facts, its definition drawn with its state, steps, history and the operator actions. */
export function renderSagaDetailPage(model: SagaDetailModel): string {
  const { saga, definition } = model;
  const signal = awaitedSignal(saga, definition);
  return renderPage({
    chrome: model.chrome,
    title: `${saga.type} ${shortId(saga.id)}`,
    nav: 'sagas',
    refreshMs: model.refreshMs,
    body: html`<p class="muted"><a href="./">Sagas</a> › <a href="./?type=${encodeURIComponent(saga.type)}">${saga.type}</a> › <span class="mono">${shortId(saga.id)}</span>
        <label class="live-toggle"><input type="checkbox" id="live-toggle" checked> live</label></p>
      <div class="grid2">
        <div>
          <div id="live">
            <h1>${saga.type} <span class="mono">${shortId(saga.id)}</span> <span data-saga-status="${saga.status}">${badge(saga.status)}</span></h1>
            <div class="panel">${facts(model)}</div>
            <div class="panel diagram"><h2>Definition</h2>${definition ? renderSagaFlow(definition, 'saga-flow', { status: saga.status, stepIndex: saga.stepIndex, steps: saga.steps }) : html`<p class="muted">This instance does not know the definition "${saga.type}".</p>`}</div>
            <div class="panel"><h2>Steps</h2>${stepsTable(model)}</div>
            <div class="panel"><h2>History</h2>${timeline(model.history)}</div>
          </div>
        </div>
        <div>${signal ? signalPanel(saga, signal) : ''}${operatorPanel(saga)}</div>
      </div>`,
  });
}
