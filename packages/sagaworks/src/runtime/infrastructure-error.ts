/**
 * SQLSTATE codes (and classes) of faults in the infrastructure rather than in the business: the database is
 * unreachable, shutting down, out of connections, read-only, or gave up on a statement or a lock. Retrying later
 * can succeed; nothing about the order, payment or booking is wrong.
 */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '57P', '58'];
const TRANSIENT_SQLSTATES = new Set([
  '25006', // read_only_sql_transaction: a replica, or default_transaction_read_only
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout)
]);

/** Errors of Node's sockets, and pg's own, when the connection itself fails. */
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
/**
 * The words of pg, its pool, TypeORM and PGlite when a connection is gone, for errors that carry no code (as
 * seen when a real PostgreSQL is stopped under load, and when a session is ended after a session fault).
 */
const TRANSIENT_MESSAGE =
  /connection terminated|terminating connection|timeout exceeded when trying to connect|connection timeout|client has encountered a connection error|client was closed|connection (?:is )?(?:closed|not open|lost)|cannot use a pool after calling end|the database system is|server closed the connection|PGlite pool has ended|driver not connected|connection is not established|query runner (?:was )?already released|QueryRunner(?:Provider)?AlreadyReleased/i;

function codeOf(error: object): string | undefined {
  const direct = (error as { code?: unknown }).code;
  if (typeof direct === 'string') return direct;
  // TypeORM's QueryFailedError keeps the driver's error beside its own.
  const driver = (error as { driverError?: unknown }).driverError;
  const nested = driver && typeof driver === 'object' ? (driver as { code?: unknown }).code : undefined;
  return typeof nested === 'string' ? nested : undefined;
}

/** The SQLSTATE or socket code an error carries (its own, its driver's, or its cause's), if any. */
export function infrastructureCodeOf(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 3) return undefined;
  return codeOf(error) ?? infrastructureCodeOf((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * Whether an error a handler threw is an infrastructure fault (database or network) rather than a business
 * failure. The saga runtime waits out such a fault: the step is dispatched again after a capped backoff, as the
 * same attempt, and never fails or compensates because of it.
 */
export function isTransientInfrastructureError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  // Classified already (a transport's own fault, or a handler's error as the process that ran it judged it).
  const judged = (error as { transient?: unknown }).transient;
  if (typeof judged === 'boolean') return judged;
  const code = infrastructureCodeOf(error);
  if (code && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code))) return true;
  if (code && /^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) return true;
  // TypeORM's released-runner errors are known by their class name; the driver's text sits beside its own.
  const driver = (error as { driverError?: { message?: unknown } }).driverError;
  const words = [(error as { name?: unknown }).name, (error as { message?: unknown }).message, driver?.message].filter(
    (w) => typeof w === 'string',
  );
  if (TRANSIENT_MESSAGE.test(words.join(' '))) return true;
  // Node's happy-eyeballs connect fails with an AggregateError whose own message is empty.
  const inner = (error as { errors?: unknown }).errors;
  return Array.isArray(inner) && inner.some((e) => isTransientInfrastructureError(e, depth + 1));
}

const MAX_REASON = 300;

/** What a SQLSTATE (or socket code) means, in words an operator reads; codes not listed fall to their class. */
const FAULT_BY_CODE: Record<string, string> = {
  '25006': 'the database is read-only',
  '40001': 'a serialization failure',
  '40P01': 'a deadlock',
  '55P03': 'a lock wait timed out',
  '57014': 'a statement timed out',
  '57P01': 'the database ended the session',
  '57P02': 'the database ended the session',
  '57P03': 'the database is starting or shutting down',
  '53300': 'too many database connections',
};
const FAULT_BY_CLASS: [prefix: string, words: string][] = [
  ['08', 'the database connection failed'],
  ['53', 'the database is out of resources'],
  ['57', 'the database stopped the statement'],
  ['58', 'the database had a system error'],
];

function describeCode(code: string): string {
  if (FAULT_BY_CODE[code]) return FAULT_BY_CODE[code];
  if (TRANSIENT_NODE_CODES.has(code)) return 'the database could not be reached';
  return FAULT_BY_CLASS.find(([prefix]) => code.startsWith(prefix))?.[1] ?? 'a database error';
}

/**
 * The reason stored (and served) for an error a handler threw. A database error is stored as what it means and
 * its SQLSTATE ("the database is read-only (25006)"), never the driver's text, which can quote a statement's
 * values (an address, a payment reference), nor the driver's class names; the full error goes to the log only.
 * Other errors are the handler's own words, kept short.
 */
export function classifiedReason(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  const code = infrastructureCodeOf(error);
  // A socket code (ECONNRESET) names the driver's plumbing, not the database's answer: only a SQLSTATE is shown.
  if (code) return TRANSIENT_NODE_CODES.has(code) ? describeCode(code) : `${describeCode(code)} (${code})`;
  if (name === 'QueryFailedError') return 'a database error';
  const message = error instanceof Error ? error.message : String(error);
  // Classified where it was thrown (a transport's fault, a handler's error in another process): its own words.
  const judged = typeof (error as { transient?: unknown } | null)?.transient === 'boolean';
  if (!judged && isTransientInfrastructureError(error)) return 'the database connection was lost';
  return message.length > MAX_REASON ? `${message.slice(0, MAX_REASON)}…` : message;
}
