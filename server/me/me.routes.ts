import { Router, type Request, type Response } from 'express';
import { actorFrom } from '../audit/actor';
import { refreshSessionUser } from '../auth/passport';
import { TooManyAttempts, ValidationFailed, type FieldErrors } from '../errors';
import { requireLogin } from '../http/guards';
import { flash } from '../http/locals';
import { LOCALES } from '../i18n';
import type { MeService } from './me.service';

/** "Meu perfil": GET /me, POST /me (name, language), POST /me/password. */
export function meRoutes(me: MeService) {
  const router = Router();
  router.use('/me', requireLogin);

  const page = (req: Request, res: Response, extra: { values?: Record<string, unknown>; errors?: FieldErrors; passwordErrors?: FieldErrors } = {}, status = 200) =>
    res.renderPage('me/profile', {
      title: req.t('me.title'),
      locales: LOCALES,
      values: { name: req.user!.name, email: req.user!.email, locale: req.user!.locale ?? '', ...extra.values },
      errors: extra.errors ?? {},
      passwordErrors: extra.passwordErrors ?? {},
    }, status);

  router.get('/me', (req, res) => page(req, res));

  router.post('/me', async (req, res) => {
    try {
      refreshSessionUser(req, await me.updateProfile({ ...actorFrom(req), userId: req.user!.id }, req.body));
    } catch (err) {
      if (err instanceof ValidationFailed) return page(req, res, { values: req.body, errors: err.fields }, 422);
      throw err;
    }
    flash(req, { type: 'success', key: 'common.saved' });
    res.redirect(303, '/me');
  });

  router.post('/me/password', async (req, res) => {
    try {
      await me.changePassword({ ...actorFrom(req), userId: req.user!.id }, req.body, req.sessionID);
    } catch (err) {
      if (err instanceof ValidationFailed) return page(req, res, { passwordErrors: err.fields }, 422);
      if (err instanceof TooManyAttempts) {
        res.set('Retry-After', String(err.retryAfterSeconds));
        return page(req, res, { passwordErrors: { currentPassword: { key: err.messageKey, params: err.params } } }, 429);
      }
      throw err;
    }
    flash(req, { type: 'success', key: 'me.passwordChanged' });
    res.redirect(303, '/me');
  });

  return router;
}
