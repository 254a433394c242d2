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
  instance.serializeUser((user, done) => done(null, user.id));
  instance.deserializeUser((id: number, done) => {
    users
      .findById(id)
      .then((u) => done(null, u ? { id: u.id, email: u.email, name: u.name, locale: u.locale } : false))
      .catch(done);
  });
  return instance;
}
