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
const ROW2_MIN = 150;
const GAP = 46;
const PILL_W = 112;
const PAD = 16;
/** Room under a wait step's box for its deadline. */
const WAIT_LINE = 18;
/** A parallel stage: the room between its fork (and join) bar and its branches, and between two branches. */
const BAR_PAD = 22;
const BRANCH_GAP = 10;

const textWidth = (text: string, px: number): number => Math.ceil(text.length * px * 0.6);
const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const names = (types: readonly { name: string }[] | undefined): string => (types ?? []).map((t) => t.name).join(', ');

/** The second line of a step's box: the child saga it runs, the command it sends, or what it waits for. */
const subtitle = (s: SagaStepDefinition<unknown>): string =>
  s.childSaga
    ? `child: ${s.childSaga}`
    : s.wait
      ? s.wait.signal
        ? `waits for "${s.wait.signal}"`
        : 'waits for a reply'
      : (s.command?.type.name ?? '(done at start)');

/** What undoes a step: its compensation, or a stage's branches, in reverse of their completions. */
const undoneBy = (s: SagaStepDefinition<unknown>): string => (s.parallel ? 'its branches, in reverse' : (s.compensation?.type.name ?? ''));

const boxWidth = (s: SagaStepDefinition<unknown>): number =>
  Math.max(128, textWidth(s.name, 13) + 28, textWidth(clip(subtitle(s), 34), 11) + 24);

/** A parallel stage's branches are stacked: how tall the stack is (one box for a plain step). */
const stackHeight = (s: SagaStepDefinition<unknown>): number =>
  s.parallel ? s.parallel.length * NODE_H + (s.parallel.length - 1) * BRANCH_GAP : NODE_H;

/** The line under a wait step: the instance's deadline while it waits, else how long the wait lasts. */
function waitLine(s: SagaStepDefinition<unknown>, state: StepState | undefined): string {
  if (!s.wait) return '';
  if (state?.status === 'WAITING' && state.waitDeadline) return `until ${state.waitDeadline.replace('T', ' ').slice(0, 16)}Z`;
  return `deadline ${formatDuration(s.wait.timeoutMs)}`;
}

const stateNote = (state: StepState | undefined): string =>
  state ? ` (${state.status}, ${state.attempts} attempt${state.attempts === 1 ? '' : 's'}${state.error ? `: ${state.error}` : ''})` : '';

/**
 * A parallel stage: a fork bar, its branches stacked, each in its own box coloured by its status, and a join bar;
 * the stage's name above. The stage itself carries no status class: its branches' colours would inherit it.
 */
function stageNode(s: SagaStepDefinition<unknown>, x: number, w: number, state: StepState | undefined, current: boolean): SafeHtml {
  const h = stackHeight(s);
  const bx = x + BAR_PAD;
  const bw = w - 2 * BAR_PAD;
  const branches = (s.parallel ?? []).map((b, k) => {
    const by = ROW1 + k * (NODE_H + BRANCH_GAP);
    const cy = by + NODE_H / 2;
    const branch = state?.branches?.[k];
    return html`
      <line class="edge" x1="${x + 2}" y1="${cy}" x2="${bx - 1}" y2="${cy}"/><line class="edge" x1="${bx + bw}" y1="${cy}" x2="${x + w - 2}" y2="${cy}"/>
      <g class="node branch ${branch ? `st-${branch.status}` : ''}" data-branch="${b.name}"><title>${s.name} / ${b.name}: ${subtitle(b)}${stateNote(branch)}</title>
        <rect x="${bx}" y="${by}" width="${bw}" height="${NODE_H}" rx="8"/>
        <text class="name" x="${bx + bw / 2}" y="${by + 22}">${clip(b.name, 28)}</text>
        <text class="sub" x="${bx + bw / 2}" y="${by + 39}">${clip(subtitle(b), 34)}</text></g>`;
  });
  return html`<g class="stage ${current ? 'current' : ''}" data-step="${s.name}" data-status="${state?.status ?? ''}"><title>${s.name}: ${s.parallel?.length ?? 0} branches in parallel; it completes when all do${stateNote(state)}</title>
      <text class="stage-name" x="${x + w / 2}" y="${ROW1 - 8}">${clip(s.name, 40)}</text>
      <rect class="bar" x="${x - 2}" y="${ROW1}" width="4" height="${h}"/><rect class="bar" x="${x + w - 2}" y="${ROW1}" width="4" height="${h}"/>${branches}</g>`;
}

/**
 * A saga definition drawn as an SVG flow: the steps left to right with solid arrows (the forward path), under
 * each step that can be undone its compensation, and dashed arrows for the way back (compensation runs right to
 * left, ending in Compensated). A step that cannot be undone points, dashed, at the compensation its failure
 * starts. A wait step is a dashed box naming its signal, its deadline under it. A parallel stage forks
 * into its branches, stacked between a fork bar and a join bar, each coloured by its own status; a child step has
 * a double border and names its child saga's type. Given an instance, boxes take its
 * step statuses (a skipped step greyed). Colours come from classes (the page's stylesheet),
 * so the markup carries no inline style.
 */
export function renderSagaFlow(definition: SagaDefinition<unknown>, idPrefix: string, instance?: FlowInstance): SafeHtml {
  const steps = definition.steps;
  const widths = steps.map((s, i) =>
    Math.max(
      s.parallel ? Math.max(...s.parallel.map(boxWidth), textWidth(s.name, 12)) + 2 * BAR_PAD : boxWidth(s),
      textWidth(waitLine(s, instance?.steps[i]), 11) + 12,
      textWidth(undoneBy(s), 11) + 24,
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
  // A stage's stacked branches push the compensation row down.
  const row2 = ROW1 + Math.max(...steps.map(stackHeight)) + (ROW2_MIN - ROW1 - NODE_H);
  // A second legend line, only for definitions that fork or run children.
  const shapes = [
    steps.some((s) => s.parallel) ? 'bars: a fork into parallel branches and their join' : '',
    steps.some((s) => s.childSaga) ? 'double border: runs a child saga' : '',
  ].filter(Boolean);
  const height = row2 + NODE_H + 34 + (shapes.length ? 14 : 0);
  const cy1 = ROW1 + NODE_H / 2;
  const cy2 = row2 + NODE_H / 2;
  // A stage is undone branch by branch, in reverse of their completions: one undo box stands for them.
  const undoable = steps.map((s) =>
    s.parallel ? s.parallel.some((b) => !!b.compensation && !b.nonCompensable) : !!s.compensation && !s.nonCompensable,
  );
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
        html`<line class="edge dashed" x1="${mid}" y1="${ROW1 + stackHeight(s)}" x2="${mid}" y2="${row2 - 3}" marker-end="${arrowBack}"><title>${s.name} is undone by ${undoneBy(s)}</title></line>`,
      );
      const to = nextUndo(i);
      back.push(
        html`<line class="edge dashed" x1="${xs[i]}" y1="${cy2}" x2="${to.x + 3}" y2="${cy2}" marker-end="${arrowBack}"><title>then ${to.index === null ? 'Compensated' : `undo ${steps[to.index].name}`}</title></line>`,
      );
    } else if (s.command || s.wait || s.parallel) {
      const to = nextUndo(i);
      const toMid = to.index === null ? compensatedX + PILL_W / 2 : xs[to.index] + widths[to.index] / 2;
      // Under a wait step sits its deadline line: the arrow starts below it.
      const y1 = ROW1 + stackHeight(s) + (s.wait ? WAIT_LINE : 0);
      back.push(
        html`<line class="edge dashed fail" x1="${mid}" y1="${y1}" x2="${toMid + 10}" y2="${row2 - 3}" marker-end="${arrowBack}"><title>if ${s.name} fails, compensation starts at ${to.index === null ? 'the end' : `undo ${steps[to.index].name}`}</title></line>`,
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
    if (s.parallel) return stageNode(s, xs[i], widths[i], state, !!current);
    const inner = s.childSaga
      ? html`
      <rect class="inner" x="${xs[i] + 3}" y="${ROW1 + 3}" width="${widths[i] - 6}" height="${NODE_H - 6}" rx="6"/>`
      : '';
    return html`<g class="${cls}${s.childSaga ? ' child' : ''}" data-step="${s.name}"${s.childSaga ? html` data-child-type="${s.childSaga}"` : ''}><title>${s.name}: ${sub}${line ? `, ${line}` : ''}${when}${detail ? ` (${detail})` : ''}</title>
      <rect x="${xs[i]}" y="${ROW1}" width="${widths[i]}" height="${NODE_H}" rx="8"/>${inner}
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
    return html`<g class="node undo ${cls}" data-undo="${s.name}"><title>undo ${s.name}: ${undoneBy(s)}${s.parallel ? '' : ` (answered by ${names(s.compensatedBy) || 'its reply'})`}</title>
      <rect x="${xs[i]}" y="${row2}" width="${widths[i]}" height="${NODE_H}" rx="8"/>
      <text class="name" x="${xs[i] + widths[i] / 2}" y="${row2 + 22}">undo ${clip(s.name, 23)}</text>
      <text class="sub" x="${xs[i] + widths[i] / 2}" y="${row2 + 39}">${clip(undoneBy(s), 34)}</text></g>`;
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
  ${pill(compensatedX, row2, 'Compensated', ended === 'COMPENSATED', 'undone')}
  <text class="legend" x="${PAD}" y="${height - (shapes.length ? 22 : 8)}">solid: forward path · dashed: compensation, in reverse · dashed box: waits for a signal until its deadline · grey: skipped</text>${
    shapes.length
      ? html`
  <text class="legend" x="${PAD}" y="${height - 8}">${shapes.join(' · ')}</text>`
      : ''
  }
</svg>`;
}
