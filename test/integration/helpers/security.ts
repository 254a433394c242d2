import type { Knex } from 'knex';
import { generate, generateSecret } from 'otplib';
import { SecretBox } from '../../../server/auth/secret-box';
import { sharedSmtp, to, type ParsedMail } from '../../support/mail';
import { agent, csrfFrom, login, type Agent, type TestPortal } from '../../support/portal';
import { readQrDataUrl } from '../../support/qr';

/** Moves every login and confirmation time in the user's stored sessions `minutes` into the past. */
export async function ageSessions(db: Knex, userId: number, minutes: number): Promise<void> {
  const shift = minutes * 60_000;
  for (const row of await db('sessions').select('sid', 'sess')) {
    let sess;
    try {
      sess = JSON.parse(row.sess);
    } catch {
      continue; // other tests store rows that are not JSON on purpose
    }
    if (sess?.passport?.user?.id !== userId) continue;
    for (const key of ['signedInAt', 'steppedUpAt', 'secondFactorAt']) if (typeof sess[key] === 'number') sess[key] -= shift;
    await db('sessions').where({ sid: row.sid }).update({ sess: JSON.stringify(sess) });
  }
}

const decodeHtml = (s: string) => s.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The form /step-up/continue posts again: its action and fields (repeated names kept). */
export function replayForm(html: string): { action: string; fields: [string, string][] } {
  const form = /<form id="step-up-replay" method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error('no replay form on the page');
  const fields = [...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [decodeHtml(m[1]!), decodeHtml(m[2]!)] as [string, string]);
  return { action: decodeHtml(form[1]!), fields };
}

/** Posts the replay form the way the browser does (repeated names as repeated fields). */
export function postReplay(a: Agent, html: string) {
  const { action, fields } = replayForm(html);
  const body = fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return a.post(action).type('form').send(body);
}

/** The approval path the confirmation page's QR code holds, read from the image as a phone would. */
export function approvalPath(html: string): string {
  const src = /<img class="qr-code" src="(data:image\/png;base64,[^"]+)"/.exec(html)?.[1];
  if (!src) throw new Error('no QR code on the page');
  return new URL(readQrDataUrl(src)).pathname;
}

/** The short code the confirmation page shows beside its QR code (ABCD-EFGH). */
export function shortCodeOf(html: string): string {
  const code = /id="step-up-short-code">([A-Z0-9-]+)</.exec(html)?.[1];
  if (!code) throw new Error('no short code on the page');
  return code;
}

/** The code an authenticator app shows `stepsFromNow` time steps away (each step is used once). */
export const codeAt = (secret: string, stepsFromNow: number) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + stepsFromNow * 30 });

/**
 * Waits out the last seconds of a 30-second time step. A code `stepsFromNow` away is accepted within
 * one step of the server's clock: computed at 29.9 s and checked at 30.1 s, a code one step back is
 * two steps back and refused. Call before a login or enrolment that uses such a code.
 */
export async function clearOfStepEdge(marginMs = 5000): Promise<void> {
  const left = 30_000 - (Date.now() % 30_000);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 100));
}

/** Turns two-step verification on for a user as enrolment leaves it (secret sealed, enabled); returns the secret. */
export async function enableTotp(portal: TestPortal, userId: number): Promise<string> {
  const secret = generateSecret();
  await portal.db('users').where({ id: userId }).update({ totp_secret: new SecretBox(portal.config.sessionSecret).seal(secret), totp_enabled_at: new Date(), totp_last_step: null });
  return secret;
}

/** A new session signed in with the password and the TOTP code of `step` (a session that proved a second factor). */
export async function loggedInWithTotp(portal: TestPortal, email: string, password: string, secret: string, step = 0): Promise<{ agent: Agent; csrf: string }> {
  await clearOfStepEdge();
  const a = agent(portal);
  const first = await login(a, email, password);
  if (first.headers.location !== '/login/code') throw new Error(`login as ${email} did not ask for a code: ${first.status} ${first.headers.location}`);
  const csrf = await csrfFrom(a, '/login/code');
  const second = await a.post('/login/code').type('form').send({ _csrf: csrf, code: await codeAt(secret, step) });
  if (second.status !== 303 || second.headers.location === '/login/code') throw new Error(`the code step failed for ${email}: ${second.status}`);
  return { agent: a, csrf: await csrfFrom(a, '/me') };
}

/**
 * The message for `email` at the run's SMTP listener. One worker run sends a batch of the oldest
 * messages, and other tests leave theirs in the shared outbox: runs until this one has arrived.
 */
export async function mailFor(portal: TestPortal, email: string): Promise<ParsedMail> {
  await portal.deliverMail();
  return (await sharedSmtp()).waitFor(to(email));
}
