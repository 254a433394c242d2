import type { Knex } from 'knex';
import { RateLimiterMySQL, RateLimiterSQLite, type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { isMysql } from '../db/knex';
import { rerunOnConflict } from '../db/transaction';
import { TooManyAttempts } from '../errors';

export interface LoginLimits {
  perEmail: number;
  perIp: number;
  blockSeconds: number;
}

/**
 * A counter kept in the database (table `rate_limits`), so every app process shares it. Blocked
 * for `seconds` once `points` attempts were counted within that time.
 */
export function databaseLimiter(db: Knex, database: string | null, keyPrefix: string, points: number, seconds: number): RateLimiterAbstract {
  const common = { storeClient: db, storeType: 'knex', tableName: 'rate_limits', tableCreated: true, keyPrefix, points, duration: seconds, blockDuration: seconds };
  return isMysql(db)
    ? new GaleraSafeMySQLLimiter({ ...common, dbName: database ?? undefined, clearExpiredByTimeout: false })
    : new RateLimiterSQLite({ ...common, clearExpiredByTimeout: false });
}

type Options = { [key: string]: unknown };

/**
 * On Galera two nodes counting one key at once (two sign-ins of one person, or of one address)
 * conflict at commit and one gets a deadlock error (1213); the library's upsert was rolled back
 * whole, so it is counted again instead of failing the sign-in.
 */
class GaleraSafeMySQLLimiter extends RateLimiterMySQL {
  override consume(key: string | number, points?: number, options?: Options) {
    return rerunOnConflict(() => super.consume(key, points, options));
  }

  override penalty(key: string | number, points?: number, options?: Options) {
    return rerunOnConflict(() => super.penalty(key, points, options));
  }

  override reward(key: string | number, points?: number, options?: Options) {
    return rerunOnConflict(() => super.reward(key, points, options));
  }

  override block(key: string | number, seconds: number, options?: Options) {
    return rerunOnConflict(() => super.block(key, seconds, options));
  }

  override delete(key: string | number, options?: Options) {
    return rerunOnConflict(() => super.delete(key, options));
  }
}

/**
 * Login attempts counted per e-mail and per IP. Every attempt is counted before the password is
 * verified, so guesses sent at the same moment cannot all pass between a read and a late count;
 * a success gives the points back.
 */
export class LoginLimiter {
  private readonly byEmail: RateLimiterAbstract;
  private readonly byIp: RateLimiterAbstract;

  /** `keyPrefix` names the counters: `login`, or `password_reset` for "Esqueci minha senha". */
  constructor(db: Knex, limits: LoginLimits, database: string | null, keyPrefix = 'login') {
    this.byEmail = databaseLimiter(db, database, `${keyPrefix}_email`, limits.perEmail, limits.blockSeconds);
    this.byIp = databaseLimiter(db, database, `${keyPrefix}_ip`, limits.perIp, limits.blockSeconds);
  }

  /** Counts one attempt; throws TooManyAttempts when either counter is past its limit. */
  async consume(emailKey: string, ip: string): Promise<void> {
    const results = await Promise.allSettled([this.byEmail.consume(emailKey), this.byIp.consume(ip)]);
    throwIfLimited(results);
  }

  async succeeded(emailKey: string, ip: string): Promise<void> {
    await Promise.all([this.byEmail.delete(emailKey), this.byIp.reward(ip, 1)]);
  }
}

/** consume() rejects with a RateLimiterRes when the limit is passed: that is TooManyAttempts. */
export function throwIfLimited(results: PromiseSettledResult<unknown>[]): void {
  const limited = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
  if (limited.length === 0) return;
  const failure = limited.find((reason) => !(reason instanceof RateLimiterRes));
  if (failure !== undefined) throw failure;
  const waitMs = Math.max(...limited.map((reason) => (reason as RateLimiterRes).msBeforeNext));
  throw new TooManyAttempts(Math.max(1, Math.ceil(waitMs / 1000)));
}

/** LGPD erasure of a login: the counters keyed by its e-mail (`login_email:<address>` and the like) go. */
export async function forgetCountersOf(q: Knex | Knex.Transaction, email: string): Promise<void> {
  await q('rate_limits').whereRaw("?? like ? escape '!'", ['key', `%:${email.replace(/[!%_]/g, (c) => `!${c}`)}`]).delete();
}
