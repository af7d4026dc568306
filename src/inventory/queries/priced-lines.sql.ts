/**
 * Prices order lines from the catalog inside another module's statement, so a caller can price and write in one
 * round trip without naming inventory's tables. `lines` is an SQL expression (a parameter, say) holding
 * `[{sku, quantity}]`. The result is a subquery of exactly one row, to use as a FROM item:
 * - `lines`: `[{sku, quantity, unitPriceCents}]` in the given order, or NULL when a SKU is not in the catalog
 *   (or there are no lines);
 * - `total_cents` (bigint): the sum of quantity x unit price.
 *
 * Each SKU is looked up by its key, one index probe per line whatever the catalog's size; OFFSET 0 keeps the
 * planner from copying the subquery into every place its columns are used. `GetProductsQuery` answers the same
 * question in a round trip of its own. `catalog` names another table of the same shape (`sku`, `price_cents`),
 * such as a service's own copy of the catalog.
 */
export function pricedLinesSql(lines: string, catalog = 'inventory_products'): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(catalog)) throw new Error(`pricedLinesSql: "${catalog}" is not a table name`);
  return `(SELECT CASE WHEN bool_and(l.unit_price_cents IS NOT NULL) THEN
             jsonb_agg(jsonb_build_object('sku', l.sku, 'quantity', l.quantity, 'unitPriceCents', l.unit_price_cents) ORDER BY l.i)
           END AS lines,
           sum(l.quantity::bigint * l.unit_price_cents) AS total_cents
         FROM (
           SELECT e.i, e.v->>'sku' AS sku, (e.v->>'quantity')::int AS quantity,
             (SELECT p.price_cents FROM ${catalog} p WHERE p.sku = e.v->>'sku') AS unit_price_cents
           FROM jsonb_array_elements((${lines})::jsonb) WITH ORDINALITY AS e(v, i)
         ) l
         OFFSET 0)`;
}
