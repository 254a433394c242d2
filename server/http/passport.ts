import type { Request } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { Knex } from 'knex';
import type { AuthService } from '../auth/auth.service';
import { UserRepository } from '../users/users.repository';

/**
 * One Passport instance per app. The strategy defers to AuthService (rate limits, generic
 * answer); the session keeps only the user id and the user is re-read on every request.
 */
export function createPassport(db: Knex, auth: AuthService) {
  const instance = new passport.Passport();
  const users = new UserRepository(db);
  instance.use(
    new LocalStrategy({ usernameField: 'email', passwordField: 'password', passReqToCallback: true }, (req, email, password, done) => {
      auth
        .authenticate(email, password, req.ip ?? 'unknown')
        .then(({ user }) => done(null, { id: user.id, email: user.email, name: user.name, locale: user.locale }))
        .catch((err) => done(err));
    }),
  );
  // The session keeps the few fields every page shows, so a page view does not re-read the user;
  // the profile page refreshes them (refreshSessionUser) when the person changes them.
  instance.serializeUser((user, done) => done(null, sessionUser(user)));
  instance.deserializeUser((stored: number | Express.User, done) => {
    if (typeof stored === 'object' && stored !== null) return done(null, stored);
    users
      .findById(stored)
      .then((u) => done(null, u ? { id: u.id, email: u.email, name: u.name, locale: u.locale } : false))
      .catch(done);
  });
  return instance;
}

const sessionUser = (u: Express.User): Express.User => ({ id: u.id, email: u.email, name: u.name, locale: u.locale });

/** After the person changed their name or language: the session's copy follows. */
export function refreshSessionUser(req: Request, changes: Partial<Pick<Express.User, 'name' | 'locale'>>): void {
  const session = req.session as unknown as { passport?: { user?: Express.User } };
  if (!req.user || !session.passport) return;
  Object.assign(req.user, changes);
  session.passport.user = sessionUser(req.user);
}
