/**
 * SIGTERM while the mail worker of a real portal process (server/main.ts) is in the middle of an
 * SMTP conversation whose DATA the server is slow to answer: the process finishes that message,
 * claims no other, and exits 0; the next start on the same database sends the rest. Every message
 * arrives at the SMTP listener exactly once.
 */
import { expect } from 'chai';
import { createI18n } from '../../server/i18n';
import { MailService } from '../../server/mail/mail.service';
import { freshDatabaseUrl } from '../support/databases';
import { uniqueEmail } from '../support/fixtures';
import { startSmtp, to, type SmtpListener } from '../support/mail';
import { exitOf, printed, startMain, within, type MainProcess } from '../support/main-process';
import { startPortal } from '../support/portal';

describe('SIGTERM while mail is being sent', () => {
  let smtp: SmtpListener;
  const running: MainProcess[] = [];

  before(async () => {
    smtp = await startSmtp();
  });
  after(async () => {
    for (const m of running) if (m.child.exitCode === null) m.child.kill('SIGKILL');
    await smtp.close();
  });

  it('the message in flight is finished, the others wait for the next start; each arrives once, and the process exits 0', async function () {
    this.timeout(60_000);
    const DATABASE_URL = await freshDatabaseUrl();
    // Migrations and three queued messages on the database the process will use.
    const setup = await startPortal({ DATABASE_URL, SMTP_URL: '' });
    const mail = new MailService({ db: setup.db, publicUrl: setup.config.publicUrl, i18n: await createI18n() });
    const recipients = [uniqueEmail('um'), uniqueEmail('dois'), uniqueEmail('tres')];
    for (const r of recipients) await setup.db.transaction((trx) => mail.enqueue(trx, { accountId: null, to: r, locale: 'pt-BR', template: 'mail-check', params: {} }));
    const outbox = () => setup.db('mail_outbox').whereIn('to_address', recipients).orderBy('id');

    const env = { NODE_ENV: 'test', DATABASE_URL, SESSION_SECRET: 'x'.repeat(40), SMTP_URL: smtp.url, LOG_LEVEL: 'info' };
    const slow = smtp.holdData();
    const first = await startMain(env);
    running.push(first);
    const firstExit = exitOf(first);
    await within(slow.holding, 15_000, 'the worker sending its first message');

    first.child.kill('SIGTERM');
    await printed(first, '"msg":"stopping"');
    slow.release(); // the server answers the DATA at last
    expect(await within(firstExit, 20_000, 'the process exiting')).to.equal(0);

    // One message left during the stop; the others were not taken, so nothing holds them.
    expect(smtp.messages.filter((m) => recipients.some((r) => to(r)(m)))).to.have.length(1);
    const afterStop = await outbox();
    expect(afterStop.map((r) => r.status)).to.deep.equal(['sent', 'pending', 'pending']);
    expect(afterStop.map((r) => r.claim_token)).to.deep.equal([null, null, null]);
    expect(afterStop.map((r) => Number(r.attempts))).to.deep.equal([1, 0, 0]);

    // The next start on the same database sends the rest.
    const second = await startMain(env);
    running.push(second);
    const secondExit = exitOf(second);
    for (const r of recipients) await smtp.waitFor(to(r), 15_000);
    await within((async () => {
      while ((await outbox()).some((r) => r.status !== 'sent')) await new Promise((resolve) => setTimeout(resolve, 50));
    })(), 10_000, 'the rows marked sent');
    second.child.kill('SIGTERM');
    expect(await within(secondExit, 20_000, 'the second process exiting')).to.equal(0);

    for (const r of recipients) expect(smtp.messages.filter(to(r)), r).to.have.length(1);
    expect((await outbox()).map((r) => [r.status, Number(r.attempts)])).to.deep.equal([['sent', 1], ['sent', 1], ['sent', 1]]);
  });
});
