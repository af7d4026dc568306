import { CreateSagaTables1764000000000 } from './1764000000000-create-saga-tables.js';
import { CreateSagaBatchFunction1765000000000 } from './1765000000000-create-saga-batch-function.js';
import { IndexSagaList1766000000000 } from './1766000000000-index-saga-list.js';
import { AllowStalledStatus1768000000000 } from './1768000000000-allow-stalled-status.js';
import { IndexSagaLeases1768000000100 } from './1768000000100-index-saga-leases.js';
import { StoreTransitionsInOneStatement1768000000200 } from './1768000000200-store-transitions-in-one-statement.js';

/** The saga module's migrations; add them to the host app's `migrations` list. */
export const sagaMigrations = [
  CreateSagaTables1764000000000,
  CreateSagaBatchFunction1765000000000,
  IndexSagaList1766000000000,
  AllowStalledStatus1768000000000,
  IndexSagaLeases1768000000100,
  StoreTransitionsInOneStatement1768000000200,
];
