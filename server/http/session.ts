import type { NextFunction, Request, Response } from 'express';
import session, { type SessionData } from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { rerunOnConflict } from '../db/transaction';

const TOUCH_EVERY_MS = 60_000;

declare module 'express-session' {
  interface SessionData {
    /** When the person signed in (ms since the epoch): the session's absolute lifetime counts from it. */
    signedInAt?: number;
  }
}

/**
 * connect-session-knex hands a database error to the callback and also rethrows it, and its
 * touch() never calls back on an error. express-session listens only to the callbacks, so a
 * database hiccup became an unhandled rejection (which ends the Node process) or a request that
 * never got an answer. Here the error always goes to the callback and the promise never rejects.
 */
class SessionStore extends ConnectSessionKnexStore {
  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void) {
    return super.get(sid, callback).catch(() => null);
  }

  /**
   * On a Galera cluster two writes of one session reach different nodes (passport saves the new
   * session at sign-in, express-session saves it again with the sign-in time as the answer goes out,
   * each on whichever pooled connection is free): the second one's node may not have applied the
   * first yet, and certification aborts it (1213). The 303 still went out and the next page found a
   * session without its sign-in time — signed out. The upsert is one statement of its own: rerun it.
   */
  override set(sid: string, sess: SessionData, callback?: (err?: unknown) => void) {
    return rerunOnConflict(() => super.set(sid, sess)).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
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
    // express-session holds the response until touch() calls back, and this UPDATE commits (a log
    // flush): 32 sessions renewed in the same second held 32 pages for it. The session was just
    // read unexpired and the renewal only moves its expiry later, so the page goes out now; a
    // failed renewal is retried on the session's next request.
    callback?.();
    return super.touch(sid, sess).catch(() => {
      if (this.touchedAt.get(sid) === now) this.touchedAt.delete(sid);
    });
  }

  override destroy(sid: string, callback?: (err?: unknown) => void) {
    this.touchedAt.delete(sid);
    return rerunOnConflict(() => super.destroy(sid)).then(
      (deleted) => {
        callback?.();
        return deleted;
      },
      (err: unknown) => {
        callback?.(err);
        return 0;
      },
    );
  }
}

/**
 * Sessions live in the database (table `sessions`) so any number of app processes share them.
 * `rolling` renews the cookie on every request: the configured time is an idle timeout; on top of
 * it a login lasts at most `sessionMaxMs`. An anonymous session is stored only once something is
 * put in it (`saveUninitialized: false`).
 */
export function sessionMiddleware(config: Config, db: Knex) {
  const store = new SessionStore({
    knex: db,
    tableName: 'sessions',
    createTable: false,
    cleanupInterval: config.env === 'test' ? 0 : 10 * 60_000,
  });
  const middleware = session({
    name: 'portal.sid',
    secret: config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: config.env === 'production', maxAge: config.sessionIdleMs },
  });
  return { store, middleware: [middleware, saveBeforeRedirect, endExpiredLogins(config.sessionMaxMs)] };
}

/**
 * express-session writes a changed session while the answer's last byte waits for it; a browser
 * follows a redirect as soon as it has the headers, so the next page could be read before the
 * session was written (signed in, then sent to the login page: seen on a Galera cluster, where a
 * commit takes longer). A redirect that changed the session therefore waits for the write.
 */
function saveBeforeRedirect(req: Request, res: Response, next: NextFunction) {
  const startedAs = { id: req.sessionID, json: JSON.stringify(req.session) };
  const redirect = res.redirect;
  res.redirect = function (this: Response, ...args: unknown[]) {
    const send = () => (redirect as (...a: unknown[]) => void).apply(this, args);
    if (!req.session || (req.sessionID === startedAs.id && JSON.stringify(req.session) === startedAs.json)) return send();
    req.session.save((err) => (err ? next(err) : send()));
  } as Response['redirect'];
  next();
}

/** To call once the person is signed in: their session's lifetime starts now. */
export function markSignedIn(req: Request): void {
  req.session.signedInAt = Date.now();
}

/**
 * A signed-in session older than `maxMs` (or with no login time) is replaced by an empty one:
 * the request goes on anonymous, and the old row is deleted.
 */
function endExpiredLogins(maxMs: number) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const s = req.session as (typeof req.session & { passport?: { user?: unknown } }) | undefined;
    if (!s?.passport?.user) return next();
    if (typeof s.signedInAt === 'number' && Date.now() - s.signedInAt < maxMs) return next();
    s.regenerate((err) => next(err));
  };
}
