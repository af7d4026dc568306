/**
 * The order saga's domain statements as the bench's peers run them (the hand-rolled orchestrator, DBOS,
 * Restate), on tables of their own (`<prefix>_orders`, ...): price and place the order, reserve one unit,
 * charge, ship, confirm. One place, so every peer runs the same SQL and only the engine around it differs.
 */
export interface OrderStatements {
  schema: string;
  drop: string;
  /** $1 order id, $2 customer, $3 SKU; returns `total_cents`. */
  place: string;
  /** $1 SKU; one row when a unit was reserved. */
  reserve: string;
  /** $1 order id, $2 amount. */
  charge: string;
  /** $1 order id, $2 tracking number. */
  ship: string;
  /** $1 order id. */
  confirm: string;
}

export function orderStatements(prefix: string): OrderStatements {
  const t = (name: string) => `${prefix}_${name}`;
  return {
    schema: `
      DROP TABLE IF EXISTS ${t('shipments')}, ${t('payments')}, ${t('orders')}, ${t('products')};
      CREATE TABLE ${t('products')} (sku text PRIMARY KEY, price_cents int NOT NULL, available int NOT NULL CHECK (available >= 0),
        reserved int NOT NULL DEFAULT 0);
      CREATE TABLE ${t('orders')} (id uuid PRIMARY KEY, customer_id text NOT NULL, sku text NOT NULL, quantity int NOT NULL,
        total_cents int NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE ${t('payments')} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), order_id uuid UNIQUE NOT NULL, amount_cents int NOT NULL, status text NOT NULL);
      CREATE TABLE ${t('shipments')} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), order_id uuid UNIQUE NOT NULL, tracking text NOT NULL);
      INSERT INTO ${t('products')} (sku, price_cents, available)
        SELECT 'SKU-00' || i, 100 * i, 100000000 FROM generate_series(1, 5) AS i;`,
    drop: `DROP TABLE IF EXISTS ${t('shipments')}, ${t('payments')}, ${t('orders')}, ${t('products')}`,
    place: `INSERT INTO ${t('orders')} (id, customer_id, sku, quantity, total_cents, status)
         SELECT $1, $2, sku, 1, price_cents, 'PENDING' FROM ${t('products')} WHERE sku = $3 RETURNING total_cents`,
    reserve: `UPDATE ${t('products')} SET available = available - 1, reserved = reserved + 1 WHERE sku = $1 AND available >= 1`,
    charge: `INSERT INTO ${t('payments')} (order_id, amount_cents, status) VALUES ($1, $2, 'CHARGED') ON CONFLICT (order_id) DO NOTHING`,
    ship: `INSERT INTO ${t('shipments')} (order_id, tracking) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING`,
    confirm: `UPDATE ${t('orders')} SET status = 'CONFIRMED', updated_at = now() WHERE id = $1 AND status = 'PENDING'`,
  };
}
