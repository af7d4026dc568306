import type { SagaDefinition, SagaStepDefinition, StepState } from '../../index.js';
import { formatDuration } from '../../definition/format-duration.js';
import { html, type SafeHtml } from './html.js';

/** The state of one instance, to colour the diagram with. */
export interface FlowInstance {
  status: string;
  stepIndex: number;
  steps: readonly StepState[];
}

const NODE_H = 52;
const ROW1 = 24;
const ROW2 = 150;
const GAP = 46;
const PILL_W = 112;
const PAD = 16;
/** Room under a wait step's box for its deadline. */
const WAIT_LINE = 18;

const textWidth = (text: string, px: number): number => Math.ceil(text.length * px * 0.6);
const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const names = (types: readonly { name: string }[] | undefined): string => (types ?? []).map((t) => t.name).join(', ');

/** The second line of a step's box: the command it sends, or what it waits for. */
const subtitle = (s: SagaStepDefinition<unknown>): string =>
  s.wait ? (s.wait.signal ? `waits for "${s.wait.signal}"` : 'waits for a reply') : (s.command?.type.name ?? '(done at start)');

/** The line under a wait step: the instance's deadline while it waits, else how long the wait lasts. */
function waitLine(s: SagaStepDefinition<unknown>, state: StepState | undefined): string {
  if (!s.wait) return '';
  if (state?.status === 'WAITING' && state.waitDeadline) return `until ${state.waitDeadline.replace('T', ' ').slice(0, 16)}Z`;
  return `deadline ${formatDuration(s.wait.timeoutMs)}`;
}

/**
 * A saga definition drawn as an SVG flow: the steps left to right with solid arrows (the forward path), under
 * each step that can be undone its compensation, and dashed arrows for the way back (compensation runs right to
 * left, ending in Compensated). A step that cannot be undone points, dashed, at the compensation its failure
 * starts. A wait step is a dashed box naming its signal, its deadline under it. Given an instance, boxes take its
 * step statuses (a skipped step greyed). Colours come from classes (the page's stylesheet),
 * so the markup carries no inline style.
 */
export function renderSagaFlow(definition: SagaDefinition<unknown>, idPrefix: string, instance?: FlowInstance): SafeHtml {
  const steps = definition.steps;
  const widths = steps.map((s, i) =>
    Math.max(
      128,
      textWidth(s.name, 13) + 28,
      textWidth(clip(subtitle(s), 34), 11) + 24,
      textWidth(waitLine(s, instance?.steps[i]), 11) + 12,
      textWidth(s.compensation?.type.name ?? '', 11) + 24,
    ),
  );
  const xs: number[] = [];
  let x = PAD + PILL_W + GAP;
  for (const w of widths) {
    xs.push(x);
    x += w + GAP;
  }
  const completedX = x;
  const width = completedX + PILL_W + PAD;
  const height = ROW2 + NODE_H + 34;
  const cy1 = ROW1 + NODE_H / 2;
  const cy2 = ROW2 + NODE_H / 2;
  const undoable = steps.map((s) => !!s.compensation && !s.nonCompensable);
  const arrow = `url(#${idPrefix}-arrow)`;
  const arrowBack = `url(#${idPrefix}-arrow-back)`;
  const stepAt = (i: number) => instance?.steps[i];
  const ended = instance?.status;

  const forward: SafeHtml[] = [];
  forward.push(html`<line class="edge" x1="${PAD + 8}" y1="${cy1}" x2="${xs[0] - 3}" y2="${cy1}" marker-end="${arrow}"/>`);
  steps.forEach((s, i) => {
    const x2 = i + 1 < steps.length ? xs[i + 1] : completedX;
    forward.push(
      html`<line class="edge" x1="${xs[i] + widths[i]}" y1="${cy1}" x2="${x2 - 3}" y2="${cy1}" marker-end="${arrow}"><title>${s.name} completed by ${names(s.completedBy) || (s.wait?.signal ? `the signal ${s.wait.signal}` : 'its command')}</title></line>`,
    );
  });

  const back: SafeHtml[] = [];
  const compensatedX = PAD;
  /** Where compensation goes after the step at `i` is undone (or fails): the nearest earlier undo box, or the end. */
  const nextUndo = (i: number): { x: number; index: number | null } => {
    for (let j = i - 1; j >= 0; j--) if (undoable[j]) return { x: xs[j] + widths[j], index: j };
    return { x: compensatedX + PILL_W, index: null };
  };
  steps.forEach((s, i) => {
    const mid = xs[i] + widths[i] / 2;
    if (undoable[i]) {
      back.push(
        html`<line class="edge dashed" x1="${mid}" y1="${ROW1 + NODE_H}" x2="${mid}" y2="${ROW2 - 3}" marker-end="${arrowBack}"><title>${s.name} is undone by ${s.compensation?.type.name}</title></line>`,
      );
      const to = nextUndo(i);
      back.push(
        html`<line class="edge dashed" x1="${xs[i]}" y1="${cy2}" x2="${to.x + 3}" y2="${cy2}" marker-end="${arrowBack}"><title>then ${to.index === null ? 'Compensated' : `undo ${steps[to.index].name}`}</title></line>`,
      );
    } else if (s.command || s.wait) {
      const to = nextUndo(i);
      const toMid = to.index === null ? compensatedX + PILL_W / 2 : xs[to.index] + widths[to.index] / 2;
      // Under a wait step sits its deadline line: the arrow starts below it.
      const y1 = ROW1 + NODE_H + (s.wait ? WAIT_LINE : 0);
      back.push(
        html`<line class="edge dashed fail" x1="${mid}" y1="${y1}" x2="${toMid + 10}" y2="${ROW2 - 3}" marker-end="${arrowBack}"><title>if ${s.name} fails, compensation starts at ${to.index === null ? 'the end' : `undo ${steps[to.index].name}`}</title></line>`,
      );
    }
  });

  const nodes = steps.map((s, i) => {
    const state = stepAt(i);
    const current = instance && instance.stepIndex === i && !['COMPLETED', 'COMPENSATED'].includes(instance.status);
    const cls = `node step ${s.wait ? 'wait' : ''} ${state ? `st-${state.status}` : ''} ${current ? 'current' : ''}`;
    const sub = subtitle(s);
    const line = waitLine(s, state);
    const detail = state
      ? `${state.status}, ${state.attempts} attempt${state.attempts === 1 ? '' : 's'}${state.error ? `: ${state.error}` : ''}`
      : '';
    const when = s.when ? '; runs only when its condition holds' : '';
    return html`<g class="${cls}" data-step="${s.name}"><title>${s.name}: ${sub}${line ? `, ${line}` : ''}${when}${detail ? ` (${detail})` : ''}</title>
      <rect x="${xs[i]}" y="${ROW1}" width="${widths[i]}" height="${NODE_H}" rx="8"/>
      <text class="name" x="${xs[i] + widths[i] / 2}" y="${ROW1 + 22}">${clip(s.name, 28)}</text>
      <text class="sub" x="${xs[i] + widths[i] / 2}" y="${ROW1 + 39}">${clip(sub, 34)}</text>${
        line
          ? html`
      <text class="wait-line" x="${xs[i] + widths[i] / 2}" y="${ROW1 + NODE_H + 13}">${line}</text>`
          : ''
      }</g>`;
  });
  const undoNodes = steps.map((s, i) => {
    if (!undoable[i]) return html``;
    const status = stepAt(i)?.status;
    const cls =
      status === 'COMPENSATED' ? 'undo-done' : status === 'COMPENSATING' ? `undo-active${ended === 'FAILED' ? ' undo-failed' : ''}` : '';
    return html`<g class="node undo ${cls}" data-undo="${s.name}"><title>undo ${s.name}: ${s.compensation?.type.name} (answered by ${names(s.compensatedBy) || 'its reply'})</title>
      <rect x="${xs[i]}" y="${ROW2}" width="${widths[i]}" height="${NODE_H}" rx="8"/>
      <text class="name" x="${xs[i] + widths[i] / 2}" y="${ROW2 + 22}">undo ${clip(s.name, 23)}</text>
      <text class="sub" x="${xs[i] + widths[i] / 2}" y="${ROW2 + 39}">${clip(s.compensation?.type.name ?? '', 34)}</text></g>`;
  });
  const pill = (px: number, py: number, label: string, on: boolean, kind: string) =>
    html`<g class="terminal ${kind} ${on ? 'on' : ''}"><rect x="${px}" y="${py + 10}" width="${PILL_W}" height="${NODE_H - 20}" rx="16"/><text x="${px + PILL_W / 2}" y="${py + NODE_H / 2 + 4}">${label}</text></g>`;

  return html`<svg class="flow" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${definition.type}: ${steps.map((s) => s.name).join(' then ')}">
  <defs>
    <marker id="${idPrefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="head" d="M0,0 L10,5 L0,10 z"/></marker>
    <marker id="${idPrefix}-arrow-back" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="head back" d="M0,0 L10,5 L0,10 z"/></marker>
  </defs>
  <circle class="start" cx="${PAD + 4}" cy="${cy1}" r="7"/>
  ${forward}${back}${nodes}${undoNodes}
  ${pill(completedX, ROW1, 'Completed', ended === 'COMPLETED', 'ok')}
  ${pill(compensatedX, ROW2, 'Compensated', ended === 'COMPENSATED', 'undone')}
  <text class="legend" x="${PAD}" y="${height - 8}">solid: forward path · dashed: compensation, in reverse · dashed box: waits for a signal until its deadline · grey: skipped</text>
</svg>`;
}
