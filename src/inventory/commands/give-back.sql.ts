/**
 * The CTEs that give an order's units back to stock, for a statement whose CTE `source` yields the `items` to
 * give back (no row: nothing moves). `locked` takes the product locks in SKU order, as reservations do, so the
 * two never deadlock, and reads the latest committed counts; `moved` computes from those, not from a snapshot
 * that may predate the reservation being undone (see the reserve handler: CHECKs run on the stale first attempt).
 */
export function giveBackSql(source: string): string {
  return `give_back AS (
  SELECT x.sku, sum(x.quantity)::int AS quantity
  FROM ${source}, jsonb_to_recordset(${source}.items) AS x(sku text, quantity int)
  GROUP BY x.sku
),
locked AS MATERIALIZED (
  SELECT p.sku, p.available, p.reserved FROM inventory_products p
  WHERE p.sku IN (SELECT sku FROM give_back)
  ORDER BY p.sku
  FOR UPDATE
),
moved AS (
  UPDATE inventory_products p
  SET available = l.available + g.quantity, reserved = l.reserved - g.quantity
  FROM give_back g JOIN locked l ON l.sku = g.sku
  WHERE p.sku = l.sku
  RETURNING p.sku
)`;
}
