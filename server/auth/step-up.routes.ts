import { Router, type Request, type Response } from 'express';
import { me } from '../audit/actor';
import { Forbidden, TooManyAttempts, ValidationFailed, type FieldErrors } from '../errors';
import { requireLogin, STEP_UP_MS } from '../http/guards';
import { messageOf, retryAfter } from '../http/forms';
import { requestMeta } from '../http/request-meta';
import { ApprovalLinkInvalid, type ApprovalDetails, type Approver, type StepUpService } from './step-up.service';

const approver = (req: Request): Approver => ({ ...me(req), sessionId: req.sessionID, factor: req.session.signInFactor });
/** Shown as ABCD-EFGH: easier to read aloud and to type. */
const grouped = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

/**
 * /step-up: the confirmation page a sensitive request was sent to (password, TOTP code, or a QR
 * code and short code to approve on another signed-in device, polled every 2 s), /step-up/continue
 * which posts the kept form again, and the approving device's pages: /step-up/approve/<token> (what
 * the QR code opens) and /step-up/approve (where the short code is typed).
 */
export function stepUpRoutes(stepUp: StepUpService, link: (path: string) => string) {
  const router = Router();
  router.use('/step-up', requireLogin);

  const confirmPage = async (req: Request, res: Response, errors: FieldErrors = {}, status = 200, error: string | null = null) => {
    const pending = req.session.stepUp!;
    const userId = req.user!.id;
    const { userAgent, ip } = requestMeta(req);
    const approval = await stepUp.startApproval({ userId, sessionId: req.sessionID, userAgent, ip }, pending);
    pending.approvalId = approval.id;
    const [hasCode, secondFactorOnly] = await Promise.all([
      stepUp.hasSecondFactor(userId),
      pending.accountId !== null ? stepUp.secondFactorRequired(pending.accountId, userId) : Promise.resolve(false),
    ]);
    // The link is only inside the QR code: a link on this page would let this very session approve itself.
    // qrcode is imported here, on first use, not with the app: start-up is paid on every start.
    await res.renderPage('step-up/confirm', {
      title: req.t('security.stepUp.title'), errors, error, hasCode, passwordAllowed: !secondFactorOnly,
      qrDataUrl: await (await import('qrcode')).default.toDataURL(link(`/step-up/approve/${approval.token}`), { margin: 1, width: 220 }),
      shortCode: grouped(approval.code), approveAddress: link('/step-up/approve').replace(/^https?:\/\//, ''),
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
        retryAfter(res, err);
        return confirmPage(req, res, {}, 429, req.t(err.messageKey, err.params));
      }
      throw err;
    }
    req.session.steppedUpAt = Date.now();
    req.session.stepUpProof = { method: byCode ? 'code' : 'password' };
    if (byCode) req.session.secondFactorAt = Date.now();
    res.redirect(303, '/step-up/continue');
  });

  // Polled by the waiting page (hx-trigger="every 2s"): moves on by itself once the phone approved.
  router.get('/step-up/status', async (req, res) => {
    const approvalId = req.session.stepUp?.approvalId;
    const { status, device } = approvalId ? await stepUp.approvalStatus(req.user!.id, req.sessionID, approvalId) : { status: 'expired', device: null };
    if (status === 'approved') {
      req.session.steppedUpAt = req.session.secondFactorAt = Date.now();
      req.session.stepUpProof = { method: 'qr', device };
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

  const approvePage = (req: Request, res: Response, locals: { state: 'ask' | 'code' | 'approved' | 'refused'; details?: ApprovalDetails; action?: string; code?: string; error?: FieldErrors[string] | null; message?: string | null }, status = 200) =>
    res.renderPage('step-up/approve', { title: req.t('security.stepUp.approveTitle'), details: null, action: '', code: '', error: null, message: null, ...locals }, status);

  /** Runs one approving step; a refusal (expired, another person, the same session, no second factor) is a page that says why. */
  const approving = async (req: Request, res: Response, step: () => Promise<void>, onCodeError = false) => {
    try {
      await step();
    } catch (err) {
      if (err instanceof ApprovalLinkInvalid || err instanceof Forbidden) return approvePage(req, res, { state: 'refused', message: req.t(err.messageKey) }, err.status);
      if (onCodeError && (err instanceof ValidationFailed || err instanceof TooManyAttempts)) {
        if (err instanceof TooManyAttempts) retryAfter(res, err);
        return approvePage(req, res, { state: 'code', error: messageOf(err) }, err.status);
      }
      throw err;
    }
  };

  router.get('/step-up/approve', async (req, res) => {
    if (!req.session.signInFactor) return approvePage(req, res, { state: 'refused', message: req.t('security.approval.needsFactor') }, 403);
    await approvePage(req, res, { state: 'code' });
  });

  // The short code typed on the phone: first shows what it approves, then (confirm=1) approves it.
  router.post('/step-up/approve', (req, res) =>
    approving(req, res, async () => {
      if (req.body.confirm === '1') {
        await stepUp.approveByCode(approver(req), req.body.code);
        return approvePage(req, res, { state: 'approved' });
      }
      const details = await stepUp.approvalByCode(approver(req), req.body.code);
      await approvePage(req, res, { state: 'ask', details, action: '/step-up/approve', code: String(req.body.code ?? '') });
    }, true),
  );

  router.get('/step-up/approve/:token', (req, res) =>
    approving(req, res, async () => {
      const details = await stepUp.approvalFor(approver(req), String(req.params.token));
      await approvePage(req, res, { state: 'ask', details, action: `/step-up/approve/${String(req.params.token)}` });
    }),
  );

  router.post('/step-up/approve/:token', (req, res) =>
    approving(req, res, async () => {
      await stepUp.approve(approver(req), String(req.params.token));
      await approvePage(req, res, { state: 'approved' });
    }),
  );

  return router;
}
