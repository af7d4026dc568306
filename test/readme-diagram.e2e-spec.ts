import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { orderFulfillmentSaga } from '../src/order-fulfillment';
import { renderSagaDiagram } from 'sagaworks';

describe('the README', () => {
  it('shows the order saga diagram as the code renders it today', () => {
    const readme = readFileSync(resolve(process.cwd(), 'README.md'), 'utf8');
    expect(readme).toContain('```mermaid\n' + renderSagaDiagram(orderFulfillmentSaga) + '\n```');
  });
});
