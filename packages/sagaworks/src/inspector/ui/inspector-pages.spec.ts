import { describe, expect, it } from '@jest/globals';
import { defineSaga, send, type SagaState, type SagaSummary } from '../../index.js';
import { escapeHtml, html, raw } from './html.js';
import { renderDefinitionsPage } from './definitions.page.js';
import { renderSagaDetailPage } from './saga-detail.page.js';
import { renderSagaFlow } from './saga-flow.svg.js';
import { renderSagaListPage } from './saga-list.page.js';
import { renderWaitingPage } from './waiting.page.js';

const EVIL = `"><img src=x onerror=alert(1)><script>alert('x')</script>`;

class BookCommand {
  constructor(public readonly sagaId: string) {}
}
class UnbookCommand {
  constructor(public readonly sagaId: string) {}
}
class FinishCommand {
  constructor(public readonly sagaId: string) {}
}
class Booked {
  constructor(public readonly sagaId: string) {}
}

const definition = defineSaga<{ note: string }>({
  type: 'trip',
  steps: [
    {
      name: 'book',
      command: send(BookCommand, (c) => [c.sagaId]),
      completedBy: [Booked],
      compensation: send(UnbookCommand, (c) => [c.sagaId]),
    },
    { name: 'finish', command: send(FinishCommand, (c) => [c.sagaId]), nonCompensable: true },
  ],
});

const now = new Date('2026-01-01T10:00:00Z');
const saga: SagaState = {
  id: '6a57aa67-8bb4-40c7-833f-beee9a5763b5',
  type: `trip${EVIL}`,
  correlationId: `corr${EVIL}`,
  status: 'FAILED',
  stepIndex: 0,
  steps: [
    {
      name: 'book',
      status: 'COMPENSATING',
      attempts: 1,
      compensationAttempts: 3,
      startedAt: now.toISOString(),
      finishedAt: now.toISOString(),
      error: `undo failed ${EVIL}`,
    },
    { name: 'finish', status: 'FAILED', attempts: 1, compensationAttempts: 0, error: EVIL },
  ],
  data: { note: EVIL },
  failureReason: `finish failed: ${EVIL}`,
  dueAt: null,
  leaseOwner: `node${EVIL}`,
  leaseUntil: now,
  version: 9,
  historySeq: 1,
  definitionHash: 'abc',
  createdAt: now,
  updatedAt: now,
};

const expectEscaped = (page: string) => {
  expect(page).not.toContain('<img src=x');
  expect(page).not.toContain("<script>alert('x')");
  expect(page).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
  // the only scripts are the app's own file
  expect(page.match(/<script\b/g)).toEqual(['<script']);
};

describe('html', () => {
  it('escapes interpolated values, not trusted markup', () => {
    expect(escapeHtml(`<a href="x">'&'</a>\``)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;&#96;');
    expect(html`<b>${'<i>'}</b>${raw('<br>')}${[1, html`<u>${'&'}</u>`]}${null}${false}`.value).toBe('<b>&lt;i&gt;</b><br>1<u>&amp;</u>');
  });
});

describe('inspector pages', () => {
  it('escape every value taken from a saga on the saga page', () => {
    const page = renderSagaDetailPage({
      saga,
      history: [{ seq: 1, step: 'book', from: 'COMPENSATING', to: 'COMPENSATING', reason: `retry by ${EVIL}`, at: now }],
      definition,
      now,
      refreshMs: 5000,
    });
    expectEscaped(page);
    expect(page).toContain('data-action="retry"');
    // a FAILED saga can be retried and its stuck compensation skipped, not aborted
    expect(page).toMatch(/data-action="retry"\s*>/);
    expect(page).toMatch(/<option value="book">book<\/option>/);
    expect(page).toMatch(/data-action="abort" disabled/);
  });

  it('show a step that waits on infrastructure as such, with its count, not as a retry', () => {
    const waiting: SagaState = {
      ...saga,
      status: 'RUNNING',
      steps: [
        {
          name: 'book',
          status: 'EXECUTING',
          attempts: 1,
          compensationAttempts: 0,
          awaitingRetry: true,
          awaitingInfrastructure: true,
          infrastructureWaits: 4,
        },
        saga.steps[1],
      ],
    };
    const page = renderSagaDetailPage({ saga: waiting, history: [], definition, now, refreshMs: 5000 });
    expect(page).toContain('data-waiting-on="infrastructure"');
    expect(page).toContain('(waiting on infrastructure, 4×)');
    expect(page).not.toContain('(waiting to retry)');
  });

  it('escape values on the list page and its filters', () => {
    const page = renderSagaListPage({
      filter: { type: `t${EVIL}`, correlationId: EVIL, limit: 50 },
      counts: { FAILED: 1 },
      types: ['trip'],
      sagas: [saga],
      nextCursor: null,
      refreshMs: 5000,
    });
    expectEscaped(page);
    expect(page).toContain('<b>1</b><small>FAILED</small>');
    expect(page).not.toContain('Older →');
  });

  it('link the list page to the older page by its cursor, and back to the newest, keeping the filters', () => {
    const first = renderSagaListPage({
      filter: { type: 'trip', limit: 25 },
      counts: {},
      types: ['trip'],
      sagas: [saga],
      nextCursor: 'NEXT_cur-1',
      refreshMs: 5000,
    });
    expect(first).toContain('<a class="pager-older" href="./?type=trip&amp;limit=25&amp;cursor=NEXT_cur-1">Older →</a>');
    expect(first).not.toContain('Newest</a>');
    const older = renderSagaListPage({
      filter: { type: 'trip', limit: 25, cursor: 'NEXT_cur-1' },
      counts: {},
      types: ['trip'],
      sagas: [saga],
      nextCursor: null,
      refreshMs: 5000,
    });
    expect(older).toContain('<a class="pager-newest" href="./?type=trip&amp;limit=25">← Newest</a>');
    expect(older).not.toContain('Older →');
    // A count card starts the list over: it carries no cursor.
    expect(older).not.toMatch(/data-count="[A-Z]+"[^>]*cursor|href="[^"]*cursor[^"]*" data-count/);
  });

  it('draw a definition as SVG: a box per step, an undo box per compensable step, dashed arrows back', () => {
    const svg = renderSagaFlow(definition, 'x', { status: saga.status, stepIndex: 0, steps: saga.steps }).value;
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<g class="node step/g)).toHaveLength(2);
    expect(svg.match(/data-undo=/g)).toHaveLength(1);
    expect(svg).toContain('undo-active undo-failed');
    expect(svg).toContain('class="edge dashed fail"');
    expect(svg).not.toContain('style=');
    expectEscaped(
      renderDefinitionsPage([
        { definition: { ...definition, type: EVIL }, hash: 'h', stepTimeoutsMs: [1000, 1000], maxAttempts: [3, 3], inFlight: 2 },
      ]),
    );
  });
});

/** A saga that may skip a step and then waits for a signal whose name is hostile. */
const reviewed = defineSaga<{ note: string }>({
  type: 'reviewed',
  steps: [
    {
      name: 'book',
      command: send(BookCommand, (c) => [c.sagaId]),
      completedBy: [Booked],
      compensation: send(UnbookCommand, (c) => [c.sagaId]),
    },
    { name: 'extra', command: send(BookCommand, (c) => [c.sagaId]), when: () => false, nonCompensable: true },
    { name: 'review', wait: { signal: `ok${EVIL}`, timeoutMs: 48 * 3_600_000 } },
    { name: 'finish', command: send(FinishCommand, (c) => [c.sagaId]), nonCompensable: true },
  ],
});
const deadline = '2026-01-03T10:00:00.000Z';
const waitingSaga: SagaState = {
  ...saga,
  type: 'reviewed',
  status: 'RUNNING',
  stepIndex: 2,
  // the saga's own due time is the reminder's, earlier than the wait's deadline
  dueAt: new Date('2026-01-02T10:00:00.000Z'),
  steps: [
    { name: 'book', status: 'COMPLETED', attempts: 1, compensationAttempts: 0 },
    { name: 'extra', status: 'SKIPPED', attempts: 0, compensationAttempts: 0 },
    {
      name: 'review',
      status: 'WAITING',
      attempts: 0,
      compensationAttempts: 0,
      waitDeadline: deadline,
      remindAt: '2026-01-02T10:00:00.000Z',
    },
    { name: 'finish', status: 'PENDING', attempts: 0, compensationAttempts: 0 },
  ],
};
const skipHistory = [{ seq: 3, step: 'extra', from: 'PENDING', to: 'SKIPPED', reason: `skipped: ${EVIL}`, at: now }];

describe('inspector pages for waits', () => {
  it('list every waiting saga with its signal, deadline, reminder and an Approve/Reject panel, escaped', () => {
    const summary: SagaSummary = {
      id: waitingSaga.id,
      type: waitingSaga.type,
      correlationId: waitingSaga.correlationId,
      status: waitingSaga.status,
      stepIndex: waitingSaga.stepIndex,
      steps: waitingSaga.steps,
      failureReason: null,
      dueAt: waitingSaga.dueAt,
      version: 3,
      createdAt: now,
      updatedAt: now,
    };
    const page = renderWaitingPage({
      sagas: [summary, { ...summary, id: '7a57aa67-8bb4-40c7-833f-beee9a5763b5', type: 'gone' }],
      definitionOf: (type) => (type === 'reviewed' ? reviewed : undefined),
      now,
      limit: 50,
      nextCursor: 'CUR',
    });
    expectEscaped(page);
    expect(page).toContain(`data-signal="ok${escapeHtml(EVIL)}"`);
    expect(page.match(/data-action="approve"/g)).toHaveLength(1);
    expect(page.match(/data-action="reject"/g)).toHaveLength(1);
    expect(page).toContain(`data-deadline="${deadline}"`);
    expect(page).toContain('2026-01-03 10:00:00.000Z');
    expect(page).toContain('(in 48 h 0 min)');
    expect(page).toContain('<time datetime="2026-01-02T10:00:00.000Z"');
    expect(page).toContain('this instance does not know the definition');
    expect(page).toContain('<a class="pager-older" href="waiting?limit=50&amp;cursor=CUR">Older →</a>');
    expect(page).toMatch(/<a href="waiting" class="active">Waiting<\/a>/);
    // no live refresh: it would wipe a reason being typed
    expect(page).not.toContain('data-refresh-ms');
  });

  it('show on the saga page a waiting step with its deadline and signal, a skipped one with its reason, and the panel', () => {
    const page = renderSagaDetailPage({ saga: waitingSaga, history: skipHistory, definition: reviewed, now, refreshMs: 5000 });
    expectEscaped(page);
    const review = /<tr data-step="review"[\s\S]*?<\/tr>/.exec(page)?.[0] ?? '';
    expect(review).toContain('waiting for signal <code>ok&quot;&gt;&lt;img');
    // the wait's own deadline, not the saga's due time (its reminder)
    expect(review).toContain(`<time datetime="${deadline}"`);
    expect(review).toContain('reminder at');
    const extra = /<tr data-step="extra"[\s\S]*?<\/tr>/.exec(page)?.[0] ?? '';
    expect(extra).toContain('class="skipped"');
    expect(extra).toContain('skipped: &quot;&gt;&lt;img');
    expect(page).toMatch(/data-signal="ok&quot;[^"]*"/);
    expect(page).toContain('data-action="approve"');
    expect(page).toContain('data-action="reject"');
    // no panel once the wait is over
    const over = renderSagaDetailPage({
      saga: {
        ...waitingSaga,
        steps: waitingSaga.steps.map((s) => (s.name === 'review' ? { ...s, status: 'COMPLETED' as const, signalled: true } : s)),
      },
      history: [],
      definition: reviewed,
      now,
      refreshMs: 5000,
    });
    expect(over).not.toContain('data-action="approve"');
    expect(over).toContain('(signalled)');
  });

  it('draw a wait step as a dashed box with its signal and deadline, and a skipped step greyed', () => {
    const svg = renderSagaFlow(reviewed, 'w', { status: 'RUNNING', stepIndex: 2, steps: waitingSaga.steps }).value;
    expect(svg).toMatch(/<g class="node step wait st-WAITING current" data-step="review">/);
    expect(svg).toContain('waits for &quot;ok&quot;&gt;&lt;img');
    expect(svg).toContain('<text class="wait-line"');
    expect(svg).toContain('until 2026-01-03 10:00Z');
    expect(svg).toMatch(/<g class="node step\s+st-SKIPPED\s*" data-step="extra">/);
    expect(svg).not.toContain('<img');
    expect(svg).not.toContain('style=');
    // without an instance, the wait says how long it lasts
    expect(renderSagaFlow(reviewed, 'd').value).toContain('deadline 48 h<');
  });
});
