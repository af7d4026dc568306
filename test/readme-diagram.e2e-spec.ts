import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { orderFulfillmentSaga } from '../src/order-fulfillment';
import { renderSagaDiagram } from 'sagaworks';

describe('docs/architecture.md', () => {
  it('shows the order saga diagram as the code renders it today', () => {
    const doc = readFileSync(resolve(process.cwd(), 'docs/architecture.md'), 'utf8');
    expect(doc).toContain('```mermaid\n' + renderSagaDiagram(orderFulfillmentSaga) + '\n```');
  });
});
