import type { SagaDefinition } from '../../index.js';
import { html } from './html.js';
import { type PageChrome, renderPage } from './inspector-layout.js';
import { renderSagaFlow } from './saga-flow.svg.js';

export interface DefinitionModel {
  definition: SagaDefinition<unknown>;
  hash: string;
  stepTimeoutsMs: number[];
  maxAttempts: number[];
  inFlight: number;
}

/** `/ui/definitions`: every registered saga, drawn, with its steps' messages, timeouts and attempts. */
export function renderDefinitionsPage(models: DefinitionModel[], chrome?: PageChrome): string {
  return renderPage({
    chrome,
    title: 'Definitions',
    nav: 'definitions',
    body: html`<h1>Saga definitions</h1>
      ${models.length ? '' : html`<div class="panel empty">No saga is registered.</div>`}
      ${models.map(
        (m, n) => html`<div class="panel" data-definition="${m.definition.type}">
          <h2>${m.definition.type} <span class="muted mono">${m.hash}</span> · <a href="./?type=${encodeURIComponent(m.definition.type)}">${m.inFlight} in flight</a></h2>
          <div class="diagram">${renderSagaFlow(m.definition, `def-${n}`)}</div>
          <table>
            <thead><tr><th>Step</th><th>Command</th><th>Answered by</th><th>Compensation</th><th>Timeout</th><th>Attempts</th></tr></thead>
            <tbody>${m.definition.steps.map(
              (s, i) => html`<tr>
                <td><b>${s.name}</b></td>
                <td class="mono">${s.observed ? html`<span class="muted">none: observed, from ${s.observed.participant ?? 'a participant'}</span>` : (s.command?.type.name ?? '(done at start)')}</td>
                <td class="mono">${[...(s.completedBy ?? []), ...(s.failedBy ?? [])].map((e) => e.name).join(', ')}</td>
                <td class="mono">${s.nonCompensable ? html`<span class="muted">cannot be undone</span>` : (s.compensation?.type.name ?? (s.compensatedBy ?? []).map((e) => e.name).join(', '))}</td>
                <td class="num">${s.command ? `${m.stepTimeoutsMs[i]} ms` : ''}</td>
                <td class="num">${s.command ? m.maxAttempts[i] : ''}</td>
              </tr>`,
            )}</tbody>
          </table>
        </div>`,
      )}`,
  });
}
