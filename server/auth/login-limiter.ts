import type { Knex } from 'knex';
import { RateLimiterMySQL, RateLimiterSQLite, type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { isMysql } from '../db/knex';
import { TooManyAttempts } from '../errors';

export interface LoginLimits {
  perEmail: number;
  perIp: number;
  blockSeconds: number;
}

/**
 * Failed logins counted per e-mail and per IP in the database (table `rate_limits`), so every app
 * process shares the counters. Only failures consume points; a success clears the e-mail's count.
 */
export class LoginLimiter {
  private readonly byEmail: RateLimiterAbstract;
  private readonly byIp: RateLimiterAbstract;

  constructor(db: Knex, limits: LoginLimits, database: string | null) {
    const make = (keyPrefix: string, points: number) => {
      const common = { storeClient: db, storeType: 'knex', tableName: 'rate_limits', tableCreated: true, keyPrefix, points, duration: limits.blockSeconds, blockDuration: limits.blockSeconds };
      return isMysql(db)
        ? new RateLimiterMySQL({ ...common, dbName: database ?? undefined, clearExpiredByTimeout: false })
        : new RateLimiterSQLite({ ...common, clearExpiredByTimeout: false });
    };
    this.byEmail = make('login_email', limits.perEmail);
    this.byIp = make('login_ip', limits.perIp);
  }

  /** Throws TooManyAttempts when either counter is already exhausted. */
  async assertAllowed(email: string, ip: string): Promise<void> {
    const [e, i] = await Promise.all([this.byEmail.get(email), this.byIp.get(ip)]);
    for (const [res, limit] of [[e, this.byEmail.points], [i, this.byIp.points]] as const) {
      if (res && res.consumedPoints >= limit) throw new TooManyAttempts(Math.ceil(res.msBeforeNext / 1000));
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await Promise.all([this.byEmail.consume(email).catch(swallowLimit), this.byIp.consume(ip).catch(swallowLimit)]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.byEmail.delete(email);
  }
}

// consume() rejects with RateLimiterRes once the limit is reached: that is the count we wanted.
function swallowLimit(err: unknown): void {
  if (!(err instanceof RateLimiterRes)) throw err;
}
