import session, { type SessionData } from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import type { Knex } from 'knex';
import type { Config } from '../config';

/**
 * connect-session-knex hands a database error to the callback and also rethrows it, and its
 * touch() never calls back on an error. express-session listens only to the callbacks, so a
 * database hiccup became an unhandled rejection (which ends the Node process) or a request that
 * never got an answer. Here the error always goes to the callback and the promise never rejects.
 */
const TOUCH_EVERY_MS = 60_000;

class SessionStore extends ConnectSessionKnexStore {
  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void) {
    return super.get(sid, callback).catch(() => null);
  }

  override set(sid: string, sess: SessionData, callback?: (err?: unknown) => void) {
    return super.set(sid, sess, callback).catch(() => undefined);
  }

  /**
   * `rolling` renews the expiry on every request, which was an UPDATE and a commit per page view.
   * Once a minute per session is plenty for an idle timeout counted in minutes.
   */
  private readonly touchedAt = new Map<string, number>();

  override touch(sid: string, sess: SessionData, callback?: (err?: unknown) => void) {
    const now = Date.now();
    const last = this.touchedAt.get(sid);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) {
      callback?.();
      return Promise.resolve();
    }
    if (this.touchedAt.size >= 100_000) this.touchedAt.clear(); // bounded: forgetting only costs a write
    this.touchedAt.set(sid, now);
    return super.touch(sid, sess, callback).catch((err: unknown) => callback?.(err));
  }

  override destroy(sid: string, callback?: (err?: unknown) => void) {
    this.touchedAt.delete(sid);
    return super.destroy(sid, callback).catch(() => 0);
  }
}

/**
 * Sessions live in the database (table `sessions`) so any number of app processes share them.
 * `rolling` renews the cookie on every request: the configured time is an idle timeout.
 */
export function sessionMiddleware(config: Config, db: Knex) {
  const store = new SessionStore({
    knex: db,
    tableName: 'sessions',
    createTable: false,
    cleanupInterval: config.env === 'test' ? 0 : 10 * 60_000,
  });
  return {
    store,
    middleware: session({
      name: 'portal.sid',
      secret: config.sessionSecret,
      store,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      proxy: config.trustProxy,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.env === 'production', maxAge: config.sessionIdleMs },
    }),
  };
}
