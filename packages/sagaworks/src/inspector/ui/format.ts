import { html, type SafeHtml } from './html.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `2025-03-01 14:03:07.123Z`: one fixed, sortable form, UTC like the API; `short` drops the date (kept in the
 * tooltip) where columns are tight.
 */
export function formatTime(value: Date | string | null | undefined, short = false): SafeHtml {
  if (!value) return html`<span class="muted">—</span>`;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return html`${String(value)}`;
  const text = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`;
  return html`<time datetime="${d.toISOString()}" title="${text}">${short ? text.slice(11) : text}</time>`;
}

/** `1.2 s`, `340 ms`, `3 min 4 s`. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  if (abs < 60_000) return `${(abs / 1000).toFixed(1)} s`;
  const minutes = Math.floor(abs / 60_000);
  if (minutes < 120) return `${minutes} min ${Math.round((abs % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A deadline relative to now: `in 4.0 s` or `overdue by 1.2 s`. */
export function formatDeadline(due: Date | null, now: Date): SafeHtml {
  if (!due) return html`<span class="muted">none</span>`;
  const left = due.getTime() - now.getTime();
  return html`${formatTime(due)} <span class="${left < 0 ? 'error-text' : 'muted'}">(${left < 0 ? `overdue by ${formatDuration(left)}` : `in ${formatDuration(left)}`})</span>`;
}

export function badge(status: string): SafeHtml {
  return html`<span class="badge b-${status}">${status}</span>`;
}

export const shortId = (id: string): string => id.slice(0, 8);
