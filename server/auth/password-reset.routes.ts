import { Router, type Request, type Response } from 'express';
import { actorFrom } from '../audit/actor';
import { TooManyAttempts, ValidationFailed, type FieldErrors } from '../errors';
import { retryAfter } from '../http/forms';
import { flash, issueCsrfToken } from '../http/locals';
import { ResetLinkInvalid, type PasswordResetService } from './password-reset.service';

/** "Esqueci minha senha": /password/forgot asks for the e-mail, /password/reset/<token> sets a new password. */
export function passwordResetRoutes(resets: PasswordResetService) {
  const router = Router();

  const forgotPage = (req: Request, res: Response, locals: { sent: boolean; error: string | null }, status = 200) => {
    issueCsrfToken(req, res);
    return res.renderPage('auth/forgot', { title: req.t('security.reset.title'), ...locals }, status);
  };

  router.get('/password/forgot', (req, res) => forgotPage(req, res, { sent: false, error: null }));

  router.post('/password/forgot', async (req, res) => {
    try {
      await resets.request(actorFrom(req), req.body.email, req.ip ?? 'unknown', req.locale);
    } catch (err) {
      if (!(err instanceof TooManyAttempts)) throw err;
      retryAfter(res, err);
      return forgotPage(req, res, { sent: false, error: req.t(err.messageKey, err.params) }, 429);
    }
    await forgotPage(req, res, { sent: true, error: null });
  });

  const resetPage = (req: Request, res: Response, errors: FieldErrors = {}, status = 200) => {
    issueCsrfToken(req, res);
    return res.renderPage('auth/reset', { title: req.t('security.reset.title'), invalid: false, errors, token: String(req.params.token) }, status);
  };
  const invalidPage = (req: Request, res: Response) => res.renderPage('auth/reset', { title: req.t('security.reset.title'), invalid: true, errors: {} }, 404);

  router.get('/password/reset/:token', async (req, res) => {
    try {
      await resets.open(String(req.params.token));
    } catch (err) {
      if (err instanceof ResetLinkInvalid) return invalidPage(req, res);
      throw err;
    }
    await resetPage(req, res);
  });

  router.post('/password/reset/:token', async (req, res) => {
    try {
      await resets.reset(actorFrom(req), String(req.params.token), req.body);
    } catch (err) {
      if (err instanceof ResetLinkInvalid) return invalidPage(req, res);
      if (err instanceof ValidationFailed) return resetPage(req, res, err.fields, 422);
      throw err;
    }
    // Signed in or not, this browser starts over: the reset ended every session of the person.
    if (req.isAuthenticated()) await new Promise<void>((resolve, reject) => req.logout((e) => (e ? reject(e) : resolve())));
    flash(req, { type: 'success', key: 'security.reset.done' });
    res.redirect(303, '/login');
  });

  return router;
}
