import { html, type SafeHtml } from './html.js';

/** Where the inspector is mounted and the host app's own links for its header. */
export interface PageChrome {
  /** Path of the inspector's pages, e.g. `/ui` or `/ops/ui`; every link on a page is relative to it. */
  base: string;
  /** Extra header links of the host app (API docs, metrics, health), shown after the inspector's own. */
  links: readonly { label: string; href: string }[];
}

export const DEFAULT_CHROME: PageChrome = { base: '/ui', links: [] };

export interface PageOptions {
  title: string;
  nav: 'sagas' | 'waiting' | 'definitions' | null;
  body: SafeHtml;
  /** Refresh the `#live` region this often (ms); absent: no live refresh. */
  refreshMs?: number;
  chrome?: PageChrome;
}

/** The page shell: header with navigation and the operator token form, assets served by the app. */
export function renderPage({ title, nav, body, refreshMs, chrome = DEFAULT_CHROME }: PageOptions): string {
  const link = (href: string, label: string, key: PageOptions['nav']) =>
    html`<a href="${href}" class="${nav === key ? 'active' : ''}">${label}</a>`;
  return `<!doctype html>\n${
    html`<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · Sagaworks inspector</title>
  <base href="${chrome.base.replace(/\/+$/, '')}/">
  <link rel="stylesheet" href="assets/inspector.css">
  <script src="assets/inspector.js" defer></script>
</head>
<body>
  <header class="top">
    <a class="brand" href="./">Sagaworks <span>inspector</span></a>
    <nav>${link('./', 'Sagas', 'sagas')}${link('waiting', 'Waiting', 'waiting')}${link('definitions', 'Definitions', 'definitions')}${chrome.links.map((l) => html`<a href="${l.href}">${l.label}</a>`)}</nav>
    <form id="token-form" autocomplete="off">
      <span class="when-empty">Operator actions:</span>
      <input class="when-empty" type="password" name="token" placeholder="token" aria-label="read or admin token">
      <input class="when-empty" type="text" name="operator" placeholder="your name" aria-label="your name" maxlength="64">
      <button class="when-empty secondary" type="submit">Use token</button>
      <span class="when-set">acting as <b data-operator-name>operator</b> · token kept for this tab · <a href="#" data-forget-token>forget</a></span>
    </form>
  </header>
  <main ${refreshMs ? html`data-refresh-ms="${refreshMs}"` : ''}>${body}</main>
</body>
</html>`.value
  }`;
}
