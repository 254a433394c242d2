import { Router, type Request, type Response } from 'express';
import { actingIn } from '../audit/actor';
import { isDomainError, ValidationFailed, type FieldErrors } from '../errors';
import { idParam } from '../http/forms';
import { requirePermission, requireStepUp } from '../http/guards';
import { flash } from '../http/locals';
import { formatDateTime } from '../i18n/format';
import { CORE_FLAGS } from '../plugins/core-manifest';
import type { ErasureService } from './erasure.service';

/**
 * "Privacidade (LGPD)", mounted at /accounts/:accountId/privacy, for the owner and holders of
 * account.settings: the erasure period and the people who left (deactivated, deleted) with their
 * "Excluir dados pessoais". A deleted contact has no page any more, so the company's list of
 * people who left is where an administrator answers a person's request.
 */
export function privacyRoutes(erasure: ErasureService) {
  const router = Router({ mergeParams: true });
  router.use(requirePermission(CORE_FLAGS.accountSettings));
  const base = (req: Request) => `/accounts/${req.ctx!.account.id}/privacy`;

  const page = async (req: Request, res: Response, errors: FieldErrors = {}, value?: string, status = 200) => {
    const days = await erasure.erasureDaysOf(req.ctx!.account.id);
    const overview = await erasure.overview(req.ctx!.account.id, days);
    await res.renderPage('privacy/page', { title: req.t('privacy.title'), ...overview, base: base(req), errors, value: value ?? String(days) }, status);
  };

  /** A refusal told on the LGPD page, its date in the reader's language. */
  const refused = (req: Request, res: Response, err: unknown) => {
    if (!isDomainError(err) || err.status !== 409) throw err;
    const params = { ...err.params, ...(typeof err.params.date === 'string' ? { date: formatDateTime(new Date(err.params.date), req.locale) } : {}) };
    flash(req, { type: 'error', key: err.messageKey, params });
    res.redirect(303, base(req));
  };

  router.get('/', (req, res) => page(req, res));

  router.post('/settings', async (req, res) => {
    try {
      await erasure.setErasureDays(actingIn(req), req.body.erasureDays);
    } catch (err) {
      if (err instanceof ValidationFailed) return page(req, res, err.fields, String(req.body.erasureDays ?? ''), 422);
      throw err;
    }
    flash(req, { type: 'success', key: 'common.saved' });
    res.redirect(303, base(req));
  });

  router.get('/erase/:contactId', async (req, res) => {
    try {
      const person = await erasure.candidate(req.ctx!.account.id, idParam(req, 'contactId'));
      await res.renderPage('privacy/erase', { title: req.t('privacy.erase.title'), person, base: base(req) });
    } catch (err) {
      refused(req, res, err);
    }
  });

  router.post('/erase/:contactId', requireStepUp, async (req, res) => {
    let pseudonym: string;
    try {
      pseudonym = await erasure.erase(actingIn(req), idParam(req, 'contactId'));
    } catch (err) {
      return refused(req, res, err);
    }
    flash(req, { type: 'success', key: 'privacy.erase.done', params: { pseudonym } });
    res.redirect(303, base(req));
  });

  return router;
}
