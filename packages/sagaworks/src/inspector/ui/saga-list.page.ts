import { SagaStatus, type SagaSummary } from '../../index.js';
import { html, type SafeHtml } from './html.js';
import { badge, formatTime, shortId } from './format.js';
import { type PageChrome, renderPage } from './inspector-layout.js';

export interface SagaListFilter {
  status?: SagaStatus;
  type?: string;
  correlationId?: string;
  limit: number;
  /** The page: a `nextCursor` of `GET /sagas`; absent for the newest. */
  cursor?: string;
}

export interface SagaListModel {
  /** Where the pages are mounted; default `/ui`. */
  chrome?: PageChrome;
  filter: SagaListFilter;
  /** Instances per status, of the filtered type (or every type). */
  counts: Record<string, number>;
  /** Registered saga types, for the type filter. */
  types: string[];
  sagas: SagaSummary[];
  /** The cursor of the next, older page; null on the last page. */
  nextCursor: string | null;
  refreshMs: number;
}

export const STATUSES: readonly SagaStatus[] = Object.values(SagaStatus);
/** The page sizes offered; `GET /sagas` serves at most 100 a page. */
export const PAGE_SIZES: readonly number[] = [25, 50, 100];

function query(filter: Partial<SagaListFilter>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `./?${text}` : './';
}

function countCards(model: SagaListModel): SafeHtml {
  const { counts, filter } = model;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const card = (label: string, n: number, status: SagaStatus | undefined) =>
    html`<a class="count ${filter.status === status ? 'selected' : ''}" href="${query({ ...filter, status, limit: undefined, cursor: undefined })}" data-count="${status ?? 'ALL'}"><b>${n}</b><small>${label}</small></a>`;
  return html`<div class="counts">${card('ALL', total, undefined)}${STATUSES.map((s) => card(s, counts[s] ?? 0, s))}</div>
`;
}

function filterForm(model: SagaListModel): SafeHtml {
  const { filter, types } = model;
  const knownTypes = filter.type && !types.includes(filter.type) ? [...types, filter.type] : types;
  return html`<form class="filters" method="get" action="/ui">
    <label>Status<select name="status"><option value="">any</option>${STATUSES.map((s) => html`<option value="${s}" ${filter.status === s ? 'selected' : ''}>${s}</option>`)}</select></label>
    <label>Type<select name="type"><option value="">any</option>${knownTypes.map((t) => html`<option value="${t}" ${filter.type === t ? 'selected' : ''}>${t}</option>`)}</select></label>
    <label>Correlation id<input type="text" name="correlationId" value="${filter.correlationId ?? ''}" placeholder="say, an order id" size="38"></label>
    <label>Show<select name="limit">${PAGE_SIZES.map((n) => html`<option value="${n}" ${filter.limit === n ? 'selected' : ''}>${n}</option>`)}</select></label>
    <button type="submit">Filter</button>
    <a href="./">reset</a>
    <label class="live-toggle"><input type="checkbox" id="live-toggle" checked> live</label>
  </form>`;
}

function rows(sagas: SagaSummary[]): SafeHtml {
  if (!sagas.length) return html`<div class="empty">No saga matches these filters.</div>`;
  return html`<table class="sagas">
    <thead><tr><th>Saga</th><th>Type</th><th>Correlation id</th><th>Status</th><th>Current step</th><th>Started</th><th>Updated</th><th>Failure reason</th></tr></thead>
    <tbody>${sagas.map((s) => {
      const step = s.steps[s.stepIndex];
      return html`<tr data-saga-id="${s.id}">
        <td class="mono"><a href="sagas/${encodeURIComponent(s.id)}" title="${s.id}">${shortId(s.id)}</a></td>
        <td>${s.type}</td>
        <td class="mono">${s.correlationId}</td>
        <td>${badge(s.status)}</td>
        <td>${step ? html`${step.name} ${badge(step.status)}` : ''}</td>
        <td>${formatTime(s.createdAt)}</td>
        <td>${formatTime(s.updatedAt)}</td>
        <td class="error-text">${s.failureReason ?? ''}</td>
      </tr>`;
    })}</tbody>
  </table>`;
}

function pager(model: SagaListModel): SafeHtml {
  const { filter, nextCursor } = model;
  const newest = filter.cursor ? html` <a class="pager-newest" href="${query({ ...filter, cursor: undefined })}">← Newest</a>` : '';
  const older = nextCursor ? html` <a class="pager-older" href="${query({ ...filter, cursor: nextCursor })}">Older →</a>` : '';
  return html`<p class="muted pager">Newest first; showing ${model.sagas.length}${filter.cursor ? ' older ones' : ''}.${newest}${older}</p>`;
}

/** `/ui`: counts per status, filters, and one page of the sagas matching them, newest first. */
export function renderSagaListPage(model: SagaListModel): string {
  const title =
    model.filter.status || model.filter.type ? `Sagas: ${[model.filter.type, model.filter.status].filter(Boolean).join(', ')}` : 'Sagas';
  return renderPage({
    chrome: model.chrome,
    title,
    nav: 'sagas',
    refreshMs: model.refreshMs,
    body: html`<h1>Sagas</h1>
      <div class="panel">${filterForm(model)}</div>
      <div id="live">
        ${countCards(model)}
        <div class="panel">${rows(model.sagas)}
          ${pager(model)}
        </div>
      </div>`,
  });
}
