import type { Request } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { AuthService } from './auth.service';

/** One Passport instance per app. The strategy defers to AuthService (rate limits, generic answer). */
export function createPassport(auth: AuthService) {
  const instance = new passport.Passport();
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
    auth
      .findUser(stored)
      .then((u) => done(null, u ? { id: u.id, email: u.email, name: u.name, locale: u.locale } : false))
      .catch(done);
  });
  return instance;
}

const sessionUser = (u: Express.User): Express.User => ({ id: u.id, email: u.email, name: u.name, locale: u.locale });

/** After the person changed their name, language or e-mail: the session's copy follows. */
export function refreshSessionUser(req: Request, changes: Partial<Pick<Express.User, 'name' | 'locale' | 'email'>>): void {
  const session = req.session as unknown as { passport?: { user?: Express.User } };
  if (!req.user || !session.passport) return;
  Object.assign(req.user, changes);
  session.passport.user = sessionUser(req.user);
}
