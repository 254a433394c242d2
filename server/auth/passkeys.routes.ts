import { Router, type NextFunction, type Request, type Response } from 'express';
import { me } from '../audit/actor';
import { ValidationFailed } from '../errors';
import { requireLogin, requireStepUp } from '../http/guards';
import { firstError, idParam } from '../http/forms';
import { flash } from '../http/locals';
import { requestMeta } from '../http/request-meta';
import { pendingLogin, signIn } from './auth.routes';
import type { PasskeyPurpose, PasskeyService } from './passkeys.service';

/** A challenge is answered within minutes or not at all. */
const CHALLENGE_MS = 5 * 60_000;

type ChallengePurpose = 'register' | PasskeyPurpose;

declare module 'express-session' {
  interface SessionData {
    /**
     * The one WebAuthn challenge this session may answer: for what, for whom, since when (and the
     * name being registered). Taken out of the session by the first answer, right or wrong.
     */
    passkeyChallenge?: { purpose: ChallengePurpose; userId: number; challenge: string; at: number; name?: string };
  }
}

/** The session's challenge for this purpose and user, spent now; undefined when there is none or it is stale. */
function takeChallenge(req: Request, purpose: ChallengePurpose, userId: number) {
  const kept = req.session.passkeyChallenge;
  delete req.session.passkeyChallenge;
  if (!kept || kept.purpose !== purpose || kept.userId !== userId || Date.now() - kept.at >= CHALLENGE_MS) return undefined;
  return kept;
}


/**
 * Passkeys: the "Chaves de acesso" part of Meu perfil (add behind a step-up, name, remove behind a
 * step-up), and the passkey answer to /login/code and to /step-up. The browser side is
 * public/js/passkeys.js with @simplewebauthn/browser (served from /public/vendor/).
 */
export function passkeyRoutes(passkeys: PasskeyService) {
  const router = Router();

  // The step-up page (another feature's) shows the passkey button when the person has one.
  const stepUpLocals = async (req: Request, res: Response, next: NextFunction) => {
    if (req.user) res.locals.hasPasskey = await passkeys.hasPasskeys(req.user.id);
    next();
  };
  router.get('/step-up', stepUpLocals);
  router.post('/step-up', stepUpLocals);

  router.use('/me/passkeys', requireLogin);

  // First step: the name, then the page whose button asks the authenticator. Adding a factor is a
  // change to how one signs in: a fresh step-up first, kept fresh until the key is stored.
  router.post('/me/passkeys/new', requireStepUp, async (req, res) => {
    let prepared;
    try {
      prepared = await passkeys.registrationOptions(req.user!, req.body.passkeyName);
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      const first = firstError(err.fields);
      flash(req, { type: 'error', key: first.key, params: first.params });
      return res.redirect(303, '/me#passkeys');
    }
    req.session.passkeyChallenge = { purpose: 'register', userId: req.user!.id, challenge: prepared.options.challenge, at: Date.now(), name: prepared.name };
    await res.renderPage('me/passkey-new', { title: req.t('security.passkeys.addTitle'), name: prepared.name, options: JSON.stringify(prepared.options) });
  });

  // Registering proves no factor: steppedUpAt and secondFactorAt stay as they were.
  router.post('/me/passkeys', requireStepUp, async (req, res) => {
    const kept = takeChallenge(req, 'register', req.user!.id);
    try {
      if (!kept) throw new ValidationFailed({ response: { key: 'security.passkeys.expired' } });
      const added = await passkeys.register(me(req), { challenge: kept.challenge, name: kept.name ?? '' }, req.body.response);
      flash(req, { type: 'success', key: 'security.passkeys.added', params: { name: added.name } });
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      const first = firstError(err.fields);
      flash(req, { type: 'error', key: first.key, params: first.params });
    }
    res.redirect(303, '/me#passkeys');
  });

  router.post('/me/passkeys/:passkeyId/delete', requireStepUp, async (req, res) => {
    const removed = await passkeys.remove(me(req), idParam(req, 'passkeyId'));
    flash(req, { type: 'success', key: 'security.passkeys.removed', params: { name: removed.name } });
    res.redirect(303, '/me#passkeys');
  });

  /** Options for navigator.credentials.get(), as JSON for public/js/passkeys.js; the challenge stays here. */
  const assertionOptions = async (req: Request, res: Response, purpose: PasskeyPurpose, userId: number) => {
    const options = await passkeys.authenticationOptions(userId);
    req.session.passkeyChallenge = { purpose, userId, challenge: options.challenge, at: Date.now() };
    res.json(options);
  };

  // The second step of the login, for a person whose password was right and who has a passkey.
  router.post('/login/passkey/options', async (req, res) => {
    const pending = pendingLogin(req);
    if (!pending) return res.status(401).json({ error: req.t('security.passkeys.expired') });
    await assertionOptions(req, res, 'sign-in', pending.user.id);
  });

  router.post('/login/passkey', async (req, res, next) => {
    const pending = pendingLogin(req);
    if (!pending) return res.redirect(303, '/login');
    const kept = takeChallenge(req, 'sign-in', pending.user.id);
    const actor = { userId: pending.user.id, contactId: null, name: pending.user.name, ...requestMeta(req) };
    try {
      if (!kept) throw new ValidationFailed({ response: { key: 'security.passkeys.expired' } });
      await passkeys.verify(actor, 'sign-in', kept.challenge, req.body.response);
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      flash(req, { type: 'error', key: firstError(err.fields).key });
      return res.redirect(303, '/login/code');
    }
    delete req.session.pendingLogin;
    signIn(req, res, next, pending.user, pending.returnTo, 'passkey');
  });

  router.use('/step-up/passkey', requireLogin);

  router.post('/step-up/passkey/options', async (req, res) => {
    if (!req.session.stepUp) return res.status(409).json({ error: req.t('security.passkeys.expired') });
    await assertionOptions(req, res, 'step-up', req.user!.id);
  });

  // A passkey on /step-up proves a device: it counts as a second factor, like a TOTP code.
  router.post('/step-up/passkey', async (req, res) => {
    const pending = req.session.stepUp;
    if (!pending) return res.redirect(303, '/accounts');
    const kept = takeChallenge(req, 'step-up', req.user!.id);
    try {
      if (!kept) throw new ValidationFailed({ response: { key: 'security.passkeys.expired' } });
      await passkeys.verify(me(req), 'step-up', kept.challenge, req.body.response, pending.accountId);
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      flash(req, { type: 'error', key: firstError(err.fields).key });
      return res.redirect(303, '/step-up');
    }
    req.session.steppedUpAt = req.session.secondFactorAt = Date.now();
    req.session.stepUpProof = { method: 'passkey' };
    res.redirect(303, '/step-up/continue');
  });

  return router;
}
