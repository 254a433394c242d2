import type { Knex } from 'knex';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  /** Back-off before attempt n+1 is a random wait in [0, min(maxDelayMs, baseDelayMs·2ⁿ)] ("full jitter"). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each rerun (e.g. to count them); never throws into the work. */
  onRetry?: (err: unknown, attempt: number) => void;
}

/**
 * Ten attempts, waits growing to a second: writes from several Galera nodes to one hot row (a
 * company's counters while its people add contacts at once; a node lost under load) can collide again
 * and again for a few seconds (test/cluster/faults.test.ts). Bounded: what still fails is answered 503
 * "send it again" in words (server/http/errors.ts).
 */
const DEFAULTS = { attempts: 10, baseDelayMs: 20, maxDelayMs: 1000 };

/**
 * Errors after which the whole transaction was rolled back by the server and running it again is
 * safe and may succeed:
 * - 1213 ER_LOCK_DEADLOCK: an InnoDB deadlock, and how Galera reports a certification failure or
 *   a brute-force abort (another node's write to the same rows committed first).
 * Not retried: 1205 (lock wait timeout) rolls back only the statement by default and means a lock
 * was held for innodb_lock_wait_timeout (50 s): rerunning would hold the request minutes behind a
 * long transaction instead of reporting it. Lost connections are not retried either: whether a
 * COMMIT in flight was applied is unknown, so the work might happen twice.
 */
export function isRetryable(err: unknown): boolean {
  const e = err as { errno?: unknown; code?: unknown } | null;
  return !!e && (e.errno === 1213 || e.code === 'ER_LOCK_DEADLOCK');
}

/**
 * Runs `work` in a transaction and, when the database aborted it for a conflict (see
 * `isRetryable`), runs the WHOLE of it again in a new transaction, at most `attempts` times. `work`
 * may therefore run more than once: it must only touch the database through `trx` and keep
 * anything that leaves the process (mail, files, HTTP calls) out — mail goes through the outbox,
 * which is a table. Inside an outer transaction (a `Knex.Transaction` passed as `db`) it only
 * opens a savepoint and never retries: a deadlock rolled back the outer transaction too, so only
 * the outer helper may rerun.
 */
export async function inTransaction<T>(db: Knex | Knex.Transaction, work: (trx: Knex.Transaction) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  if ((db as Knex.Transaction).isTransaction) return db.transaction(work);
  return rerunOnConflict(() => db.transaction(work), options);
}

/**
 * The rerun loop of `inTransaction`, for work that is one transaction of its own not opened through
 * knex (a library's, e.g. the rate limiter's upsert): the database rolled all of it back, so
 * running it again is safe.
 */
export async function rerunOnConflict<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { attempts, baseDelayMs, maxDelayMs } = { ...DEFAULTS, ...options };
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
      try {
        options.onRetry?.(err, attempt);
      } catch {
        // a counter's failure must not change the outcome of the work
      }
      await sleep(Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt));
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
