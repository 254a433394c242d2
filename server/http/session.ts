import session from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import type { Knex } from 'knex';
import type { Config } from '../config';

/**
 * Sessions live in the database (table `sessions`) so any number of app processes share them.
 * `rolling` renews the cookie on every request: the configured time is an idle timeout.
 */
export function sessionMiddleware(config: Config, db: Knex) {
  const store = new ConnectSessionKnexStore({
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
