import { Router, type NextFunction, type Request, type Response } from 'express';
import { DomainError, TooManyAttempts } from '../errors';
import { retryAfter } from '../http/forms';
import { issueCsrfToken } from '../http/locals';
import { requestMeta } from '../http/request-meta';
import { markSignedIn } from '../http/session';
import type { SetupService } from '../setup/setup.service';
import type { createPassport } from './passport';
import type { SignInFactor } from '../http/guards';
import type { TwoFactorService } from './two-factor.service';

/** A password accepted, the second step not yet done: how long the code page waits. */
const SECOND_STEP_MS = 5 * 60_000;

declare module 'express-session' {
  interface SessionData {
    /** The person whose password was right and who still owes a TOTP or recovery code, or a passkey. */
    pendingLogin?: { user: Express.User; at: number; returnTo?: string };
  }
}

/** The login waiting for its second step, while it may still be finished. */
export function pendingLogin(req: Request) {
  const pending = req.session.pendingLogin;
  return pending && Date.now() - pending.at < SECOND_STEP_MS ? pending : undefined;
}

const safeReturn = (returnTo: unknown) => (typeof returnTo === 'string' && returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/accounts');

/** /login (with its second step /login/code when two-step verification is on), /logout and the front door `/`. */
export function authRoutes(passport: ReturnType<typeof createPassport>, setup: SetupService, twoFactor: TwoFactorService, passkeys: { hasPasskeys(userId: number): Promise<boolean> }) {
  const router = Router();

  router.get('/', async (req, res) => {
    if (req.isAuthenticated()) return res.redirect('/accounts');
    res.redirect((await setup.isNeeded()) ? '/setup' : '/login');
  });

  router.get('/login', async (req, res) => {
    if (req.isAuthenticated()) return res.redirect('/accounts');
    if (await setup.isNeeded()) return res.redirect('/setup');
    issueCsrfToken(req, res);
    // ?email= fills the field after setup or a confirmed invitation: only the password is left to type.
    const hint = typeof req.query.email === 'string' && req.query.email.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(req.query.email) ? req.query.email : '';
    await res.renderPage('auth/login', { title: req.t('auth.title'), email: hint, error: null, loggedOut: req.query.bye === '1' });
  });

  router.post('/login', (req: Request, res: Response, next: NextFunction) => {
    const returnTo = req.session.returnTo;
    passport.authenticate('local', (err: unknown, user: Express.User | false) => {
      // A database that fails (unreachable, a conflict past its reruns) is not a wrong password.
      if (err && !(err instanceof DomainError)) return next(err);
      if (err instanceof DomainError || !user) {
        const key = err instanceof DomainError ? err.messageKey : 'auth.errors.invalidCredentials';
        const params = err instanceof DomainError ? err.params : {};
        const status = err instanceof DomainError ? err.status : 401;
        if (err instanceof TooManyAttempts) retryAfter(res, err);
        return res
          .renderPage('auth/login', { title: req.t('auth.title'), email: String(req.body?.email ?? ''), error: req.t(key, params), loggedOut: false }, status)
          .catch(next);
      }
      Promise.all([twoFactor.isEnabled(user.id), passkeys.hasPasskeys(user.id)]).then(([hasTotp, hasPasskey]) => {
        if (hasTotp || hasPasskey) {
          // Not signed in until the code is right; a new session id all the same (no fixation).
          return req.session.regenerate((regenErr) => {
            if (regenErr) return next(regenErr);
            req.session.pendingLogin = { user, at: Date.now(), returnTo: typeof returnTo === 'string' ? returnTo : undefined };
            res.redirect(303, '/login/code');
          });
        }
        signIn(req, res, next, user, returnTo, null);
      }, next);
    })(req, res, next);
  });

  const codePage = async (req: Request, res: Response, error: string | null, status = 200) => {
    issueCsrfToken(req, res);
    const userId = req.session.pendingLogin!.user.id;
    const [hasTotp, hasPasskey] = await Promise.all([twoFactor.isEnabled(userId), passkeys.hasPasskeys(userId)]);
    return res.renderPage('auth/code', { title: req.t('security.twoFactor.loginTitle'), error, hasTotp, hasPasskey }, status);
  };

  router.get('/login/code', async (req, res) => {
    if (!pendingLogin(req)) return res.redirect(303, '/login');
    await codePage(req, res, null);
  });

  router.post('/login/code', async (req, res, next) => {
    const pending = pendingLogin(req);
    if (!pending) return res.redirect(303, '/login');
    const actor = { userId: pending.user.id, contactId: null, name: pending.user.name, ...requestMeta(req) };
    try {
      if (!(await twoFactor.verifyCode(actor, String(req.body.code ?? '')))) return codePage(req, res, req.t('security.twoFactor.codeWrong'), 422);
    } catch (err) {
      if (!(err instanceof TooManyAttempts)) throw err;
      retryAfter(res, err);
      return codePage(req, res, req.t(err.messageKey, err.params), 429);
    }
    delete req.session.pendingLogin;
    signIn(req, res, next, pending.user, pending.returnTo, 'totp');
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

/** Passport regenerates the session id here (no session fixation); the login counts as a step-up for 15 minutes. */
export function signIn(req: Request, res: Response, next: NextFunction, user: Express.User, returnTo: unknown, secondFactor: SignInFactor | null) {
  req.logIn(user, (loginErr) => {
    if (loginErr) return next(loginErr);
    markSignedIn(req);
    if (secondFactor) {
      req.session.secondFactorAt = Date.now();
      req.session.signInFactor = secondFactor;
    }
    res.redirect(303, safeReturn(returnTo));
  });
}
