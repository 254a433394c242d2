import { Router, type Request, type Response } from 'express';
import { me as self } from '../audit/actor';
import { refreshSessionUser } from '../auth/passport';
import { ValidationFailed, type FieldErrors } from '../errors';
import { answerForm } from '../http/forms';
import { requireLogin } from '../http/guards';
import { flash } from '../http/locals';
import { LOCALES } from '../i18n';
import type { StepUpService } from '../auth/step-up.service';
import type { PasskeyService } from '../auth/passkeys.service';
import type { TwoFactorService } from '../auth/two-factor.service';
import { EmailLinkInvalid, type EmailChangeService } from './email-change.service';
import type { MeService } from './me.service';

/** "Meu perfil": GET /me, POST /me (name, language), POST /me/password. */
export function meRoutes(me: MeService, twoFactor: TwoFactorService, stepUp: StepUpService, emailChange: EmailChangeService, passkeys: PasskeyService) {
  const router = Router();
  router.use('/me', requireLogin);

  const page = async (req: Request, res: Response, extra: { values?: Record<string, unknown>; errors?: FieldErrors; passwordErrors?: FieldErrors; emailErrors?: FieldErrors; newEmail?: string } = {}, status = 200) =>
    res.renderPage('me/profile', {
      security: { twoFactor: await twoFactor.status(req.user!.id), companies: await stepUp.companySettings(req.user!.id) },
      passkeys: await passkeys.list(req.user!.id),
      title: req.t('me.title'),
      locales: LOCALES,
      values: { name: req.user!.name, email: req.user!.email, locale: req.user!.locale ?? '', ...extra.values },
      errors: extra.errors ?? {},
      passwordErrors: extra.passwordErrors ?? {},
      emailErrors: extra.emailErrors ?? {},
      newEmail: extra.newEmail ?? '',
    }, status);

  router.get('/me', (req, res) => page(req, res));

  router.post('/me', async (req, res) => {
    await answerForm(req, res, async () => {
      refreshSessionUser(req, await me.updateProfile(self(req), req.body));
      flash(req, { type: 'success', key: 'common.saved' });
      res.redirect(303, '/me');
    }, { invalid: (errors, status) => page(req, res, { values: req.body, errors }, status) });
  });

  router.post('/me/password', async (req, res) => {
    await answerForm(req, res, async () => {
      await me.changePassword(self(req), req.body, req.sessionID);
      flash(req, { type: 'success', key: 'me.passwordChanged' });
      res.redirect(303, '/me');
    }, { invalid: (passwordErrors, status) => page(req, res, { passwordErrors }, status), limitedField: 'currentPassword' });
  });

  router.post('/me/email', async (req, res) => {
    await answerForm(req, res, async () => {
      const sentTo = await emailChange.request(self(req), req.body, req.locale);
      flash(req, { type: 'info', key: 'security.emailChange.sent', params: { email: sentTo } });
      res.redirect(303, '/me');
    }, { invalid: (emailErrors, status) => page(req, res, { emailErrors, newEmail: String(req.body.newEmail ?? '') }, status), limitedField: 'password' });
  });

  // The link from the e-mail: a page with a button, so a mail scanner opening links confirms nothing.
  router.get('/me/email/confirm/:token', async (req, res) => {
    try {
      const { newEmail } = await emailChange.pending(req.user!.id, String(req.params.token));
      await res.renderPage('me/email-confirm', { title: req.t('security.emailChange.confirmTitle'), newEmail, token: String(req.params.token), invalid: false });
    } catch (err) {
      if (!(err instanceof EmailLinkInvalid)) throw err;
      await res.renderPage('me/email-confirm', { title: req.t('security.emailChange.confirmTitle'), invalid: true }, 404);
    }
  });

  router.post('/me/email/confirm/:token', async (req, res) => {
    let newEmail: string;
    try {
      newEmail = await emailChange.confirm(self(req), String(req.params.token));
    } catch (err) {
      if (err instanceof EmailLinkInvalid) return res.renderPage('me/email-confirm', { title: req.t('security.emailChange.confirmTitle'), invalid: true }, 404);
      if (err instanceof ValidationFailed) return page(req, res, { emailErrors: err.fields }, 409);
      throw err;
    }
    refreshSessionUser(req, { email: newEmail });
    flash(req, { type: 'success', key: 'security.emailChange.done', params: { email: newEmail } });
    res.redirect(303, '/me');
  });

  return router;
}
