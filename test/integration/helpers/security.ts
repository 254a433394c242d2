import type { Knex } from 'knex';
import { sharedSmtp, to, type ParsedMail } from '../../support/mail';
import type { Agent, TestPortal } from '../../support/portal';

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

/** The approval path the confirmation page shows under its QR code. */
export function approvalPath(html: string): string {
  const href = /id="step-up-approve-link" href="([^"]+)"/.exec(html)?.[1];
  if (!href) throw new Error('no approval link on the page');
  return new URL(decodeHtml(href)).pathname;
}

/**
 * The message for `email` at the run's SMTP listener. One worker run sends a batch of the oldest
 * messages, and other tests leave theirs in the shared outbox: runs until this one has arrived.
 */
export async function mailFor(portal: TestPortal, email: string): Promise<ParsedMail> {
  await portal.deliverMail();
  return (await sharedSmtp()).waitFor(to(email));
}
