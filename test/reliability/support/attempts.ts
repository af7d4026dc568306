import type { Sql } from './invariants';

export interface SpentAttempt {
  orderId: string;
  step: string;
  attempts: number;
  compensationAttempts: number;
}

/**
 * Steps of these orders' sagas that took more than one attempt (or any compensation). For orders whose every step
 * answers at once (visa), each such step is an attempt spent on something other than the business: a fault.
 */
export async function spentAttempts(sql: Sql, orderIds: readonly string[]): Promise<SpentAttempt[]> {
  if (orderIds.length === 0) return [];
  return sql<SpentAttempt>(
    `SELECT s.correlation_id AS "orderId", step->>'name' AS step, (step->>'attempts')::int AS attempts,
            (step->>'compensationAttempts')::int AS "compensationAttempts"
       FROM saga_instance s, jsonb_array_elements(s.steps) AS step
      WHERE s.correlation_id = ANY($1::text[])
        AND ((step->>'attempts')::int > 1 OR (step->>'compensationAttempts')::int > 0)
      ORDER BY 1, 2`,
    [orderIds],
  );
}
