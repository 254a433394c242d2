import { Router, type Request, type Response } from 'express';
import QRCode from 'qrcode';
import { actorFrom } from '../audit/actor';
import { Forbidden, TooManyAttempts, ValidationFailed, type FieldErrors } from '../errors';
import { requireLogin } from '../http/guards';
import { STEP_UP_MS } from './step-up';
import { ApprovalLinkInvalid, type StepUpService } from './step-up.service';

const me = (req: Request) => ({ ...actorFrom(req), userId: req.user!.id });

/**
 * /step-up: the confirmation page a sensitive request was sent to (password, TOTP code, or a QR
 * code to approve on a signed-in phone, polled every 2 s), /step-up/continue which posts the kept
 * form again, and /step-up/approve/<token>, the page the QR code opens on the phone.
 */
export function stepUpRoutes(stepUp: StepUpService, link: (path: string) => string) {
  const router = Router();
  router.use('/step-up', requireLogin);

  const confirmPage = async (req: Request, res: Response, errors: FieldErrors = {}, status = 200, error: string | null = null) => {
    const pending = req.session.stepUp!;
    const approval = await stepUp.startApproval(req.user!.id, pending.approvalId);
    pending.approvalId = approval.id;
    const approveUrl = link(`/step-up/approve/${approval.token}`);
    const userId = req.user!.id;
    const [hasCode, secondFactorOnly] = await Promise.all([
      stepUp.hasSecondFactor(userId),
      pending.accountId !== null ? stepUp.secondFactorRequired(pending.accountId, userId) : Promise.resolve(false),
    ]);
    await res.renderPage('step-up/confirm', {
      title: req.t('security.stepUp.title'), errors, error, hasCode, passwordAllowed: !secondFactorOnly,
      approveUrl, qrDataUrl: await QRCode.toDataURL(approveUrl, { margin: 1, width: 220 }),
    }, status);
  };

  router.get('/step-up', async (req, res) => {
    if (!req.session.stepUp) return res.redirect(303, '/accounts');
    await confirmPage(req, res);
  });

  router.post('/step-up', async (req, res) => {
    const pending = req.session.stepUp;
    if (!pending) return res.redirect(303, '/accounts');
    const byCode = typeof req.body.code === 'string' && req.body.code.trim() !== '';
    try {
      if (byCode) await stepUp.confirmWithCode(me(req), pending.accountId, req.body.code);
      else await stepUp.confirmWithPassword(me(req), pending.accountId, req.body.password);
    } catch (err) {
      if (err instanceof ValidationFailed) return confirmPage(req, res, err.fields, 422);
      if (err instanceof Forbidden) return confirmPage(req, res, {}, 403, req.t(err.messageKey));
      if (err instanceof TooManyAttempts) {
        res.set('Retry-After', String(err.retryAfterSeconds));
        return confirmPage(req, res, {}, 429, req.t(err.messageKey, err.params));
      }
      throw err;
    }
    req.session.steppedUpAt = Date.now();
    if (byCode) req.session.secondFactorAt = Date.now();
    res.redirect(303, '/step-up/continue');
  });

  // Polled by the waiting page (hx-trigger="every 2s"): moves on by itself once the phone approved.
  router.get('/step-up/status', async (req, res) => {
    const approvalId = req.session.stepUp?.approvalId;
    const status = approvalId ? await stepUp.approvalStatus(req.user!.id, approvalId) : 'expired';
    if (status === 'approved') {
      req.session.steppedUpAt = req.session.secondFactorAt = Date.now();
      if (req.get('hx-request') === 'true') return res.set('HX-Redirect', '/step-up/continue').status(200).end();
      return res.redirect(303, '/step-up/continue');
    }
    // Still waiting: no content, so HTMX swaps nothing and keeps polling.
    if (status === 'waiting' && req.get('hx-request') === 'true') return res.status(204).end();
    res.render('step-up/_status', { status });
  });

  // The kept form, posted again with a fresh CSRF token (by public/js/step-up.js, or by the button).
  router.get('/step-up/continue', async (req, res) => {
    const pending = req.session.stepUp;
    const last = Math.max(req.session.steppedUpAt ?? 0, req.session.secondFactorAt ?? 0);
    if (!pending || Date.now() - last >= STEP_UP_MS || !pending.url.startsWith('/') || pending.url.startsWith('//')) return res.redirect(303, '/accounts');
    delete req.session.stepUp;
    await res.renderPage('step-up/continue', { title: req.t('security.stepUp.title'), action: pending.url, fields: pending.fields });
  });

  router.get('/step-up/approve/:token', async (req, res) => {
    try {
      await stepUp.approvalFor(req.user!.id, String(req.params.token));
    } catch (err) {
      if (err instanceof ApprovalLinkInvalid || err instanceof Forbidden) {
        return res.renderPage('step-up/approve', { title: req.t('security.stepUp.approveTitle'), state: 'refused', message: req.t(err.messageKey) }, err.status);
      }
      throw err;
    }
    await res.renderPage('step-up/approve', { title: req.t('security.stepUp.approveTitle'), state: 'ask', message: null, token: String(req.params.token) });
  });

  router.post('/step-up/approve/:token', async (req, res) => {
    try {
      await stepUp.approve(me(req), String(req.params.token));
    } catch (err) {
      if (err instanceof ApprovalLinkInvalid || err instanceof Forbidden) {
        return res.renderPage('step-up/approve', { title: req.t('security.stepUp.approveTitle'), state: 'refused', message: req.t(err.messageKey) }, err.status);
      }
      throw err;
    }
    await res.renderPage('step-up/approve', { title: req.t('security.stepUp.approveTitle'), state: 'approved', message: null });
  });

  return router;
}
