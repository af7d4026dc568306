import { describe, expect, it } from '@jest/globals';
import { childSagaStep, defineSaga, send, type SagaState } from '../../index.js';
import { renderSagaDetailPage } from './saga-detail.page.js';
import { renderSagaFlow } from './saga-flow.svg.js';
import { parentOfCorrelation } from './saga-relations.js';

const EVIL = `"><img src=x onerror=alert(1)><script>alert('x')</script>`;

class Book {
  constructor(
    public readonly sagaId: string,
    public readonly what: string,
  ) {}
}
class Cancel {
  constructor(public readonly sagaId: string) {}
}
class FlightBooked {
  constructor(public readonly sagaId: string) {}
}
class HotelBooked {
  constructor(public readonly sagaId: string) {}
}

const insurance = defineSaga<object>({
  type: `insurance${EVIL}`,
  steps: [{ name: 'quote', command: send(Book, (c) => [c.sagaId, 'quote']), completedBy: [FlightBooked] }],
});

const definition = defineSaga<object>({
  type: 'trip-fork',
  steps: [
    {
      name: `book${EVIL}`,
      parallel: [
        {
          name: `flight${EVIL}`,
          command: send(Book, (c) => [c.sagaId, 'flight']),
          completedBy: [FlightBooked],
          compensation: send(Cancel, (c) => [c.sagaId]),
        },
        {
          name: 'hotel',
          command: send(Book, (c) => [c.sagaId, 'hotel']),
          completedBy: [HotelBooked],
          compensation: send(Cancel, (c) => [c.sagaId]),
        },
      ],
    },
    childSagaStep<object, object>(`insure${EVIL}`, { saga: insurance, data: () => ({}) }),
  ],
});

const now = new Date('2026-01-01T10:00:00Z');
const parentId = '6a57aa67-8bb4-40c7-833f-beee9a5763b5';
const childId = '0b7d1c2e-5f3a-4e69-9d1b-2c8e4f6a7b90';
const saga: SagaState = {
  id: parentId,
  type: 'trip-fork',
  correlationId: 'trip-1',
  status: 'RUNNING',
  stepIndex: 0,
  steps: [
    {
      name: `book${EVIL}`,
      status: 'EXECUTING',
      attempts: 1,
      compensationAttempts: 0,
      branches: [
        { name: `flight${EVIL}`, status: 'COMPLETED', attempts: 1, compensationAttempts: 0, completedOrder: 1 },
        {
          name: 'hotel',
          status: 'EXECUTING',
          attempts: 2,
          compensationAttempts: 0,
          awaitingRetry: true,
          dueAt: '2026-01-01T10:00:04.000Z',
          error: `no rooms ${EVIL}`,
        },
      ],
    },
    { name: `insure${EVIL}`, status: 'PENDING', attempts: 0, compensationAttempts: 0 },
  ],
  data: {},
  failureReason: null,
  dueAt: new Date('2026-01-01T10:00:04.000Z'),
  leaseOwner: null,
  leaseUntil: null,
  version: 3,
  historySeq: 3,
  definitionHash: 'abc',
  createdAt: now,
  updatedAt: now,
};

const expectEscaped = (page: string) => {
  expect(page).not.toContain('<img src=x');
  expect(page).not.toContain("<script>alert('x')");
  expect(page).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
};

const detail = (model: Partial<Parameters<typeof renderSagaDetailPage>[0]>) =>
  renderSagaDetailPage({ saga, history: [], definition, now, refreshMs: 5_000, ...model });

describe('inspector pages for parallel stages and child sagas', () => {
  it('show a stage with its branches: status, attempts, undo attempts, deadline and error, escaped', () => {
    const page = detail({});
    expectEscaped(page);
    const rows = [...page.matchAll(/<tr class="branch" data-branch="([^"]*)" data-status="([^"]*)">([\s\S]*?)<\/tr>/g)];
    expect(rows.map((r) => [r[1], r[2]])).toEqual([
      [`flight&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;`, 'COMPLETED'],
      ['hotel', 'EXECUTING'],
    ]);
    const hotel = rows[1][3];
    expect(hotel).toContain('<span class="badge b-EXECUTING">EXECUTING</span>');
    expect(hotel.match(/<td class="num">(\d+)<\/td>/g)).toEqual(['<td class="num">2</td>', '<td class="num">0</td>']);
    expect(hotel).toContain('datetime="2026-01-01T10:00:04.000Z"');
    expect(hotel).toContain('(in 4.0 s)');
    expect(hotel).toContain('(waiting to retry)');
    expect(hotel).toContain('no rooms &quot;&gt;&lt;img');
    expect(rows[0][3]).toContain('(answered 1.)');
    // The branches come right after their stage's row, before the next step's.
    expect(page.indexOf('data-branch="hotel"')).toBeLessThan(page.indexOf('data-step="insure'));
  });

  it('link a child step to its child saga, and a child to its parent', () => {
    const notStarted = detail({});
    expect(notStarted).toContain(
      `(child: insurance&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;, not started)`,
    );
    const started = detail({
      children: new Map([[`insure${EVIL}`, { id: childId, type: `insurance${EVIL}`, status: 'RUNNING' as const }]]),
    });
    expectEscaped(started);
    expect(started).toContain(`<a href="sagas/${childId}" data-child-saga="${childId}">insurance&quot;&gt;&lt;img`);
    expect(started).not.toContain('data-parent-saga');

    const correlationId = `child:${parentId}:insure${EVIL}`;
    expect(parentOfCorrelation(correlationId)).toEqual({ id: parentId, step: `insure${EVIL}` });
    expect(parentOfCorrelation('trip-1')).toBeNull();
    expect(parentOfCorrelation(`child:not-a-uuid:step`)).toBeNull();
    const child = renderSagaDetailPage({
      saga: {
        ...saga,
        id: childId,
        type: insurance.type,
        correlationId,
        steps: [{ name: 'quote', status: 'EXECUTING', attempts: 1, compensationAttempts: 0 }],
      },
      history: [],
      definition: insurance,
      parent: parentOfCorrelation(correlationId),
      now,
      refreshMs: 5_000,
    });
    expectEscaped(child);
    expect(child).toContain(
      `<a href="sagas/${parentId}" data-parent-saga="${parentId}" class="mono">6a57aa67</a> (step insure&quot;&gt;&lt;img`,
    );
  });

  it('draw a stage as a fork into its branches, each coloured by its status, and a child step with a double border', () => {
    const svg = renderSagaFlow(definition, 'f', { status: saga.status, stepIndex: 0, steps: saga.steps }).value;
    expectEscaped(svg);
    const branches = [...svg.matchAll(/<g class="node branch ([^"]*)" data-branch="([^"]*)">/g)].map((m) => [m[2], m[1].trim()]);
    expect(branches).toEqual([
      [`flight&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;`, 'st-COMPLETED'],
      ['hotel', 'st-EXECUTING'],
    ]);
    // A fork bar and a join bar around the branches; one undo box for the stage, none for the child-free rest.
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(2);
    expect(svg).toContain('data-undo="book&quot;');
    expect(svg).toContain('its branches, in reverse');
    const childNode = /<g class="([^"]*)" data-step="insure[^"]*" data-child-type="([^"]*)">([\s\S]*?)<\/g>/.exec(svg);
    expect(childNode?.[1]).toContain('child');
    expect(childNode?.[2]).toBe('insurance&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
    expect(childNode?.[3]).toContain('<rect class="inner"');
    expect(childNode?.[3]).toContain('child: insurance&quot;&gt;');
    // The compensation row sits below the stacked branches.
    const undoY = Number(/data-undo="book[^"]*">[\s\S]*?<rect x="[^"]*" y="(\d+)"/.exec(svg)?.[1]);
    expect(undoY).toBeGreaterThan(24 + 2 * 52 + 10);
  });
});
