import type { NextFunction, Request, Response } from 'express';
import { Forbidden } from '../errors';
import type { CheckedFlag } from '../plugins/core-manifest';

/** Pages for signed-in users only: a page asked for goes to the login form and comes back after it. */
export function requireLogin(req: Request, res: Response, next: NextFunction) {
  if (req.isAuthenticated()) return next();
  if (req.method === 'GET' && req.accepts('html')) {
    if (req.session) req.session.returnTo = req.originalUrl;
    if (req.get('hx-request') === 'true') {
      res.set('HX-Redirect', '/login').status(401).end();
      return;
    }
    return res.redirect('/login');
  }
  res.status(401).type('text').send('Unauthorized');
}

/** The one route guard: 403 unless the current contact holds `key` in this account (after accountContext). */
export function requirePermission<K extends string>(key: K & CheckedFlag<K>) {
  const flag: string = key; // checked at the call site; a plain name from here on
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.ctx?.can(flag)) throw new Forbidden();
    next();
  };
}

/** How long a login or a confirmation lets a person do sensitive acts without being asked again. */
export const STEP_UP_MS = 15 * 60_000;

declare module 'express-session' {
  interface SessionData {
    /** The last confirmation on /step-up (ms since the epoch). */
    steppedUpAt?: number;
    /** The last time the person proved a second factor (a TOTP code at login or on /step-up, or a QR approval). */
    secondFactorAt?: number;
    /**
     * The second factor this session proved when it signed in (a TOTP code or a passkey). Only such a
     * session may approve another session's QR step-up: a password-only session proves no device.
     */
    signInFactor?: SignInFactor;
    /** The request that waits for a confirmation: replayed as a form post once confirmed. */
    stepUp?: PendingStepUp;
    /** How the last confirmation on /step-up was given (kept with `steppedUpAt`), for the audit trail. */
    stepUpProof?: StepUpProof;
  }
}

/** How a person confirmed on /step-up: their password, a TOTP code, a passkey, or a QR approval from another signed-in device. */
export interface StepUpProof {
  method: 'password' | 'code' | 'passkey' | 'qr';
  /** The approving device in short ("Chrome 131 · Android"), for a QR approval. */
  device?: string | null;
}

/**
 * What let a sensitive request through requireStepUp: a recent sign-in (with the factor it proved)
 * or a recent confirmation. Carried by the request's audit actor into its events.
 */
export interface StepUpConfirmation {
  method: StepUpProof['method'] | 'sign_in';
  /** When it was given (ISO 8601). */
  at: string;
  device?: string | null;
  factor?: SignInFactor | null;
}

/** What a session proved besides the password when it signed in. */
export type SignInFactor = 'totp' | 'passkey';

export interface PendingStepUp {
  method: 'POST';
  url: string;
  /** The form's fields without the CSRF token, repeated names kept in order. */
  fields: [string, string][];
  accountId: number | null;
  /** The QR approval shown on the confirmation page (a `step_up_approvals` id). */
  approvalId?: number;
}

/** What requireStepUp asks the step-up feature: set on every request by the app (see stepUpPolicy). */
export interface StepUpPolicy {
  /**
   * True when the company asks its administrators for a second factor and this user administers it.
   * `known`: the request's own account context, when the guarded page is that company's.
   */
  secondFactorRequired(accountId: number, userId: number, known?: { isOwner: boolean; can(flag: string): boolean }): Promise<boolean>;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      stepUpPolicy?: StepUpPolicy;
      /** Set by requireStepUp when it lets the request through: how the act was confirmed. */
      stepUpConfirmation?: StepUpConfirmation;
    }
  }
}

export function stepUpPolicy(policy: StepUpPolicy) {
  return (req: Request, _res: Response, next: NextFunction) => {
    req.stepUpPolicy = policy;
    next();
  };
}

const isRecent = (at: number | undefined, now: number) => typeof at === 'number' && now - at < STEP_UP_MS;

/**
 * GitHub's "sudo mode" for sensitive acts: an unsafe request from a session whose last login or
 * confirmation is older than 15 minutes is kept in the session and the person is sent to
 * /step-up; after confirming, the kept form is posted again. Where the company asks
 * administrators for a second factor, only a second factor counts for them. `accountOf` names the
 * company whose rule applies: the one of the page (`req.ctx`) or, on a page outside any company
 * (the company's own security setting under /me), the one in the URL.
 */
export function stepUpFor(accountOf: (req: Request) => number | null) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || !req.user) return next();
    const now = Date.now();
    const s = req.session;
    const pass = () => {
      req.stepUpConfirmation = confirmationOf(s, now);
      next();
    };
    if (isRecent(s.secondFactorAt, now)) return pass();
    const accountId = accountOf(req);
    if (isRecent(s.signedInAt, now) || isRecent(s.steppedUpAt, now)) {
      // Closed when the app forgot to wire the policy: a company's rule is never skipped silently.
      if (!req.stepUpPolicy) throw new Error('requireStepUp: no step-up policy on the request (app.use(stepUpPolicy(...)) missing)');
      // On the company's own pages the request already knows who administers it; elsewhere the policy reads it.
      const known = req.ctx && req.ctx.account.id === accountId ? req.ctx : undefined;
      const strict = accountId !== null && (await req.stepUpPolicy.secondFactorRequired(accountId, req.user.id, known));
      if (!strict) return pass();
    }
    s.stepUp = { method: 'POST', url: req.originalUrl, fields: formFields(req.body), accountId };
    if (req.get('hx-request') === 'true') {
      res.set('HX-Redirect', '/step-up').status(200).end();
      return;
    }
    res.redirect(303, '/step-up');
  };
}

/** The newest of the recent sign-in and the recent confirmation: what the guard accepted. */
function confirmationOf(s: Request['session'], now: number): StepUpConfirmation | undefined {
  const signedIn = isRecent(s.signedInAt, now) ? s.signedInAt! : 0;
  const steppedUp = isRecent(s.steppedUpAt, now) && s.stepUpProof ? s.steppedUpAt! : 0;
  if (steppedUp && steppedUp >= signedIn) return { ...s.stepUpProof!, at: new Date(steppedUp).toISOString() };
  if (signedIn) return { method: 'sign_in', at: new Date(signedIn).toISOString(), factor: s.signInFactor ?? null };
  return undefined;
}

/** The step-up of a page below /accounts/:accountId: that company's rule applies. */
export const requireStepUp = stepUpFor((req) => req.ctx?.account.id ?? null);

function formFields(body: unknown): [string, string][] {
  if (!body || typeof body !== 'object') return [];
  const fields: [string, string][] = [];
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (name === '_csrf') continue;
    for (const v of Array.isArray(value) ? value : [value]) fields.push([name, String(v ?? '')]);
  }
  return fields;
}
