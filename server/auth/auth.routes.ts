import { Router, type NextFunction, type Request, type Response } from 'express';
import { DomainError } from '../errors';
import { issueCsrfToken } from '../http/locals';
import { markSignedIn } from '../http/session';
import type { SetupService } from '../setup/setup.service';
import type { createPassport } from './passport';

/** /login, /logout and the front door `/`. */
export function authRoutes(passport: ReturnType<typeof createPassport>, setup: SetupService) {
  const router = Router();

  router.get('/', async (req, res) => {
    if (req.isAuthenticated()) return res.redirect('/accounts');
    res.redirect((await setup.isNeeded()) ? '/setup' : '/login');
  });

  router.get('/login', async (req, res) => {
    if (req.isAuthenticated()) return res.redirect('/accounts');
    if (await setup.isNeeded()) return res.redirect('/setup');
    issueCsrfToken(req, res);
    await res.renderPage('auth/login', { title: req.t('auth.title'), email: '', error: null, loggedOut: req.query.bye === '1' });
  });

  router.post('/login', (req: Request, res: Response, next: NextFunction) => {
    const returnTo = req.session.returnTo;
    passport.authenticate('local', (err: unknown, user: Express.User | false) => {
      if (err instanceof DomainError || !user) {
        const key = err instanceof DomainError ? err.messageKey : 'auth.errors.invalidCredentials';
        const params = err instanceof DomainError ? err.params : {};
        const status = err instanceof DomainError ? err.status : 401;
        if (err instanceof DomainError && err.status === 429) res.set('Retry-After', String((err as unknown as { retryAfterSeconds: number }).retryAfterSeconds));
        return res
          .renderPage('auth/login', { title: req.t('auth.title'), email: String(req.body?.email ?? ''), error: req.t(key, params), loggedOut: false }, status)
          .catch(next);
      }
      if (err) return next(err);
      // Passport regenerates the session id here (no session fixation).
      req.logIn(user, (loginErr) => {
        if (loginErr) return next(loginErr);
        markSignedIn(req);
        const safe = typeof returnTo === 'string' && returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/accounts';
        res.redirect(303, safe);
      });
    })(req, res, next);
  });

  router.post('/logout', (req, res, next) => {
    req.logout((err) => {
      if (err) return next(err);
      req.session.destroy((destroyErr) => {
        if (destroyErr) return next(destroyErr);
        res.clearCookie('portal.sid');
        res.redirect(303, '/login?bye=1');
      });
    });
  });

  return router;
}
