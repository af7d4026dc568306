import type { SagaDefinition, SagaSummary } from '../../index.js';
import { html, type SafeHtml } from './html.js';
import { formatDeadline, formatTime, shortId } from './format.js';
import { type PageChrome, renderPage } from './inspector-layout.js';

export interface WaitingPageModel {
  /** Where the pages are mounted; default `/ui`. */
  chrome?: PageChrome;
  /** One page of `GET /sagas?waiting=true`: RUNNING sagas whose current step is WAITING. */
  sagas: SagaSummary[];
  /** The definition of a saga type, when this process knows it. */
  definitionOf(type: string): SagaDefinition<unknown> | undefined;
  now: Date;
  limit: number;
  /** The page: a `nextCursor` of `GET /sagas`; absent for the newest. */
  cursor?: string;
  nextCursor: string | null;
}

function query(limit: number, cursor?: string): string {
  const params = new URLSearchParams({ limit: String(limit) });
  if (cursor) params.set('cursor', cursor);
  return `waiting?${params.toString()}`;
}

/** What the step waits for, and the buttons that answer it: only a signal can be sent from here. */
function decision(saga: SagaSummary, signal: string | undefined, known: boolean): SafeHtml {
  if (!known) return html`<span class="muted">this instance does not know the definition</span>`;
  if (!signal) return html`<span class="muted">waits for a reply, not a signal</span>`;
  return html`<div class="decide" data-saga="${saga.id}" data-signal="${signal}">
    <input type="text" name="reason" maxlength="500" placeholder="reason (recorded)" aria-label="reason">
    <button type="button" data-action="approve">Approve</button>
    <button type="button" class="danger" data-action="reject">Reject</button>
    <div class="action-result" role="status" aria-live="polite"></div>
  </div>`;
}

function rows(model: WaitingPageModel): SafeHtml {
  if (!model.sagas.length) return html`<div class="empty">No saga is waiting.</div>`;
  return html`<table class="sagas waiting">
    <thead><tr><th>Saga</th><th>Type</th><th>Correlation id</th><th>Step</th><th>Waits for</th><th>Deadline</th><th>Reminder</th><th>Decision</th></tr></thead>
    <tbody>${model.sagas.map((s) => {
      const step = s.steps[s.stepIndex];
      const definition = model.definitionOf(s.type);
      const signal = definition?.steps[s.stepIndex]?.wait?.signal;
      return html`<tr data-saga-id="${s.id}" data-signal="${signal ?? ''}">
        <td class="mono"><a href="sagas/${encodeURIComponent(s.id)}" title="${s.id}">${shortId(s.id)}</a></td>
        <td>${s.type}</td>
        <td class="mono">${s.correlationId}</td>
        <td>${step?.name ?? ''}</td>
        <td>${signal ? html`signal <code>${signal}</code>` : html`<span class="muted">a reply</span>`}</td>
        <td data-deadline="${step?.waitDeadline ?? ''}">${formatDeadline(step?.waitDeadline ? new Date(step.waitDeadline) : null, model.now)}</td>
        <td>${step?.remindAt ? formatTime(step.remindAt) : html`<span class="muted">—</span>`}</td>
        <td>${decision(s, signal, !!definition)}</td>
      </tr>`;
    })}</tbody>
  </table>`;
}

function pager(model: WaitingPageModel): SafeHtml {
  const newest = model.cursor ? html` <a class="pager-newest" href="${query(model.limit)}">← Newest</a>` : '';
  const older = model.nextCursor ? html` <a class="pager-older" href="${query(model.limit, model.nextCursor)}">Older →</a>` : '';
  return html`<p class="muted pager">Newest first; showing ${model.sagas.length}${model.cursor ? ' older ones' : ''}.${newest}${older}</p>`;
}

/**
 * `/ui/waiting`: the sagas waiting for people. Each row's Approve and Reject send the signal the step waits for
 * with `{ decision, reason }` (the API adds `by`). Not refreshed live, so a reason being typed is never wiped.
 */
export function renderWaitingPage(model: WaitingPageModel): string {
  return renderPage({
    chrome: model.chrome,
    title: 'Waiting',
    nav: 'waiting',
    body: html`<h1>Waiting for people</h1>
      <p class="muted">Sagas waiting at a step for a signal (an approval, a review) or a reply, until the step's deadline; then its timeout path runs. Approve and Reject send the step's signal with the admin token (top right) and your reason. <a href="${query(model.limit, model.cursor)}">Reload</a></p>
      <div class="panel">${rows(model)}
        ${pager(model)}
      </div>`,
  });
}
