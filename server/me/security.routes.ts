import { Router, type Request, type Response } from 'express';
import { me } from '../audit/actor';
import { requireStepUp, stepUpFor, requireLogin } from '../http/guards';
import type { StepUpService } from '../auth/step-up.service';
import { ENROLMENT_MS, EnrolmentExpired, type PendingEnrolment, type TwoFactorService } from '../auth/two-factor.service';
import { Conflict, type DomainError, NotFound, TooManyAttempts, ValidationFailed, type FieldErrors } from '../errors';
import { messageOf, positiveId, retryAfter } from '../http/forms';
import { flash } from '../http/locals';

const accountIdParam = (req: Request) => positiveId(req.params.accountId);

declare module 'express-session' {
  interface SessionData {
    /** The TOTP key this session is setting up (sealed), until its first code turns it on. */
    twoFactorEnrolment?: PendingEnrolment;
  }
}

/**
 * The "Segurança" part of Meu perfil: two-step verification (set up, turn off, new recovery codes)
 * and, for primary administrators, the company setting.
 */
export function securityRoutes(twoFactor: TwoFactorService, stepUp: StepUpService) {
  const router = Router();
  router.use('/me', requireLogin);

  // No account context here: the step-up applies the rule of the company in the URL, so switching the
  // rule off asks the second factor the rule itself asks.
  router.post('/me/security/accounts/:accountId', stepUpFor(accountIdParam), async (req, res) => {
    const accountId = accountIdParam(req);
    if (accountId === null) throw new NotFound();
    await stepUp.setRequireSecondFactor(me(req), accountId, req.body.requireSecondFactor === '1');
    flash(req, { type: 'success', key: 'common.saved' });
    res.redirect(303, '/me');
  });

  // Everything below changes how the person signs in: each asks for a fresh step-up first (the
  // password, or a second factor), so a borrowed session alone cannot add, remove or mint a factor.

  /** A refusal (no enrolment, a wrong code, too many tries) told on Meu perfil. */
  const backToMe = (req: Request, res: Response, err: DomainError) => {
    const { key, params } = messageOf(err);
    flash(req, { type: 'error', key, params });
    res.redirect(303, '/me');
  };
  const enrolPage = async (req: Request, res: Response, errors: FieldErrors = {}, status = 200) => {
    const enrolment = await twoFactor.enrolment(req.session.twoFactorEnrolment, req.user!.id, req.user!.email);
    await res.renderPage('me/two-factor', { title: req.t('security.twoFactor.title'), ...enrolment, minutes: ENROLMENT_MS / 60_000, errors, codes: null }, status);
  };
  const codesPage = (req: Request, res: Response, codes: string[], notice: string) =>
    res.renderPage('me/two-factor', { title: req.t('security.twoFactor.title'), codes, notice, errors: {} });
  const codeRefused = (err: unknown): err is DomainError => err instanceof ValidationFailed || err instanceof TooManyAttempts || err instanceof Conflict;

  // "Configurar": a new key for this session, every time (see TwoFactorService.startEnrolment).
  router.post('/me/two-factor/start', requireStepUp, async (req, res) => {
    try {
      req.session.twoFactorEnrolment = await twoFactor.startEnrolment(req.user!.id);
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      return backToMe(req, res, err);
    }
    res.redirect(303, '/me/two-factor');
  });

  // Shows the session's own enrolment only: none (or expired) sends back to Meu perfil.
  router.get('/me/two-factor', async (req, res) => {
    if (await twoFactor.isEnabled(req.user!.id)) return res.redirect(303, '/me');
    try {
      await enrolPage(req, res);
    } catch (err) {
      if (!(err instanceof EnrolmentExpired)) throw err;
      delete req.session.twoFactorEnrolment;
      backToMe(req, res, err);
    }
  });

  router.post('/me/two-factor', requireStepUp, async (req, res) => {
    let codes: string[];
    try {
      codes = await twoFactor.enable(me(req), req.session.twoFactorEnrolment, req.body.code);
    } catch (err) {
      if (err instanceof EnrolmentExpired || err instanceof Conflict) {
        delete req.session.twoFactorEnrolment;
        return backToMe(req, res, err);
      }
      if (!(err instanceof ValidationFailed || err instanceof TooManyAttempts)) throw err;
      if (err instanceof TooManyAttempts) retryAfter(res, err);
      return enrolPage(req, res, { code: messageOf(err) }, err.status);
    }
    delete req.session.twoFactorEnrolment;
    // Enabling proves nothing about who is at the keyboard (the key came from this very session):
    // it sets neither secondFactorAt nor signInFactor.
    await codesPage(req, res, codes, 'security.twoFactor.enabledNow');
  });

  router.post('/me/two-factor/disable', requireStepUp, async (req, res) => {
    try {
      await twoFactor.disable(me(req), req.body.code);
    } catch (err) {
      if (!codeRefused(err)) throw err;
      return backToMe(req, res, err);
    }
    flash(req, { type: 'success', key: 'security.twoFactor.disabledNow' });
    res.redirect(303, '/me');
  });

  // "Gerar novos códigos de recuperação": shown once on this answer, never kept anywhere readable.
  router.post('/me/two-factor/recovery-codes', requireStepUp, async (req, res) => {
    let codes: string[];
    try {
      codes = await twoFactor.regenerateRecoveryCodes(me(req), req.body.code);
    } catch (err) {
      if (!codeRefused(err)) throw err;
      return backToMe(req, res, err);
    }
    await codesPage(req, res, codes, 'security.twoFactor.recoveryRegenerated');
  });

  return router;
}
