import { Router, type Request } from 'express';
import { actorFrom } from '../audit/actor';
import { stepUpFor } from '../auth/step-up';
import type { StepUpService } from '../auth/step-up.service';
import type { TwoFactorService } from '../auth/two-factor.service';
import { NotFound, TooManyAttempts, ValidationFailed, type FieldErrors } from '../errors';
import { requireLogin } from '../http/guards';
import { flash } from '../http/locals';

const me = (req: Request) => ({ ...actorFrom(req), userId: req.user!.id });
const accountIdParam = (req: Request) => {
  const id = Number(req.params.accountId);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
};

/** The "Segurança" part of Meu perfil: two-step verification and, for primary administrators, the company setting. */
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

  const enrolPage = async (req: Request, errors: FieldErrors = {}, status = 200) => {
    const enrolment = await twoFactor.enrolment(req.user!.id, req.user!.email);
    return { view: 'me/two-factor', locals: { title: req.t('security.twoFactor.title'), ...enrolment, errors, codes: null }, status };
  };

  router.get('/me/two-factor', async (req, res) => {
    if (await twoFactor.isEnabled(req.user!.id)) return res.redirect(303, '/me');
    const page = await enrolPage(req);
    await res.renderPage(page.view, page.locals, page.status);
  });

  router.post('/me/two-factor', async (req, res) => {
    let codes: string[];
    try {
      codes = await twoFactor.enable(me(req), req.body.code);
    } catch (err) {
      if (!(err instanceof ValidationFailed || err instanceof TooManyAttempts)) throw err;
      const fields = err instanceof ValidationFailed ? err.fields : { code: { key: err.messageKey, params: err.params } };
      const page = await enrolPage(req, fields, err.status);
      return res.renderPage(page.view, page.locals, page.status);
    }
    // A second factor was just proven: it counts like a step-up confirmation.
    req.session.secondFactorAt = Date.now();
    await res.renderPage('me/two-factor', { title: req.t('security.twoFactor.title'), codes, errors: {} });
  });

  router.post('/me/two-factor/disable', async (req, res) => {
    try {
      await twoFactor.disable(me(req), req.body);
    } catch (err) {
      if (!(err instanceof ValidationFailed || err instanceof TooManyAttempts)) throw err;
      const first = err instanceof ValidationFailed ? Object.values(err.fields)[0]! : { key: err.messageKey, params: err.params };
      flash(req, { type: 'error', key: first.key, params: first.params });
      return res.redirect(303, '/me');
    }
    flash(req, { type: 'success', key: 'security.twoFactor.disabledNow' });
    res.redirect(303, '/me');
  });

  return router;
}
