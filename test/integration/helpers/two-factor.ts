import { expect } from 'chai';
import type { Knex } from 'knex';
import { sharedSmtp, to, type ParsedMail } from '../../support/mail';
import type { Agent, TestPortal } from '../../support/portal';
import { clearOfStepEdge, codeAt } from './security';

export { codeAt };

/** The key the enrolment page shows, or null when the page shows none. */
/** The key as the enrolment page shows it, in groups of four; without the spaces. */
export const keyOn = (html: string) => /id="totp-secret">([A-Z2-7 ]+)</.exec(html)?.[1]?.replace(/ /g, '') ?? null;

/** "Configurar" on Meu perfil: a new key for this session; answers the key the page then shows. */
export async function startEnrolment(a: Agent, csrf: string): Promise<string> {
  const start = await a.post('/me/two-factor/start').type('form').send({ _csrf: csrf });
  expect(start.status).to.equal(303);
  expect(start.headers.location).to.equal('/me/two-factor');
  const page = await a.get('/me/two-factor');
  expect(page.status).to.equal(200);
  expect(page.text).to.match(/<img class="qr-code" src="data:image\/png;base64,/);
  return keyOn(page.text)!;
}

/** Turns TOTP on in this session; the code of the previous time step is spent doing it. */
export async function enrol(a: Agent, csrf: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  await clearOfStepEdge();
  const secret = await startEnrolment(a, csrf);
  const enabled = await a.post('/me/two-factor').type('form').send({ _csrf: csrf, code: await codeAt(secret, -1) });
  expect(enabled.status).to.equal(200);
  return { secret, recoveryCodes: recoveryCodesOn(enabled.text) };
}

export const recoveryCodesOn = (html: string) => [...html.matchAll(/<li><code>([a-f0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);

/** Moves the start of the enrolment waiting in the user's sessions `minutes` into the past. */
export async function ageEnrolment(db: Knex, userId: number, minutes: number): Promise<void> {
  for (const row of await db('sessions').select('sid', 'sess')) {
    let sess;
    try {
      sess = JSON.parse(row.sess);
    } catch {
      continue;
    }
    if (sess?.passport?.user?.id !== userId || !sess.twoFactorEnrolment) continue;
    sess.twoFactorEnrolment.startedAt -= minutes * 60_000;
    await db('sessions').where({ sid: row.sid }).update({ sess: JSON.stringify(sess) });
  }
}

/** The "your sign-in changed" message to `email` whose text contains `line` (delivering the outbox until it arrives). */
export async function factorMail(portal: TestPortal, email: string, line: string): Promise<ParsedMail> {
  await portal.deliverMail();
  return (await sharedSmtp()).waitFor((m) => to(email)(m) && (m.text ?? '').includes(line));
}
