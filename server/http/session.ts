import type { NextFunction, Request, Response } from 'express';
import session, { type SessionData } from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import type { Knex } from 'knex';
import { MemberContextRepository } from '../accounts/member-context.repository';
import type { Config } from '../config';

/** `/accounts/12/…`: the pages that need the signed-in user's membership in account 12. */
const ACCOUNT_PATH = /^\/accounts\/(\d{1,15})(?:\/|$)/;

/**
 * connect-session-knex hands a database error to the callback and also rethrows it, and its
 * touch() never calls back on an error. express-session listens only to the callbacks, so a
 * database hiccup became an unhandled rejection (which ends the Node process) or a request that
 * never got an answer. Here the error always goes to the callback and the promise never rejects.
 */
const TOUCH_EVERY_MS = 60_000;

class SessionStore extends ConnectSessionKnexStore {
  private readonly members: MemberContextRepository;
  /** The request express-session is about to read the session for; see `readFor`. */
  private readingFor: Request | undefined;

  constructor(options: ConstructorParameters<typeof ConnectSessionKnexStore>[0] & { knex: Knex }) {
    super(options);
    this.members = new MemberContextRepository(options.knex);
  }

  /** Runs express-session's middleware, telling get() which request it reads the session for. */
  readFor(middleware: (req: Request, res: Response, next: NextFunction) => void, req: Request, res: Response, next: NextFunction) {
    // express-session calls get() synchronously inside its middleware (or not at all), so the
    // field is set and cleared around that call and no other request can see it.
    this.readingFor = ACCOUNT_PATH.test(req.path) ? req : undefined;
    try {
      middleware(req, res, next);
    } finally {
      this.readingFor = undefined;
    }
  }

  /**
   * For an account page, the session and the user's member context in that account come from one
   * statement (MemberContextRepository.loadWithSession): a page view costs two round trips to the
   * database instead of three, and each is a network write and a pass through knex and the
   * driver. accountContext uses the member context only for the same account and user; every
   * other page reads the session alone.
   */
  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void) {
    const req = this.readingFor;
    this.readingFor = undefined;
    const accountId = req ? Number(ACCOUNT_PATH.exec(req.path)?.[1]) : NaN;
    if (!req || !Number.isSafeInteger(accountId) || accountId <= 0) return super.get(sid, callback).catch(() => null);
    return this.readWithMember(req, sid, accountId, callback);
  }

  private async readWithMember(req: Request, sid: string, accountId: number, callback: (err: unknown, session?: SessionData | null) => void) {
    let data: SessionData | null;
    try {
      const { sess, userId, member } = await this.members.loadWithSession(sid, accountId);
      data = sess === null ? null : (JSON.parse(sess) as SessionData);
      if (member && userId !== null) req.prefetchedMember = { accountId, userId, member };
    } catch (err) {
      callback(err); // a database error or an unreadable session row: express-session answers it
      return null;
    }
    callback(null, data);
    return data;
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
  const middleware = session({
    name: 'portal.sid',
    secret: config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: config.trustProxy,
    cookie: { httpOnly: true, sameSite: 'lax', secure: config.env === 'production', maxAge: config.sessionIdleMs },
  });
  return {
    store,
    middleware: (req: Request, res: Response, next: NextFunction) => store.readFor(middleware, req, res, next),
  };
}
