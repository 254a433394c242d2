/**
 * The SMTP server is away for a while (its port refuses connections): invitations sent meanwhile
 * wait in the outbox, retried with the worker's back-off, and each is delivered exactly once when
 * a server listens on the same port again. What the administrator sees meanwhile claims nothing
 * the portal does not know.
 */
import { expect } from 'chai';
import pino from 'pino';
import { uniqueEmail } from '../support/fixtures';
import { startSmtp, to, type SmtpListener } from '../support/mail';
import { startPortal, type TestPortal } from '../support/portal';
import { MailWorker } from '../../server/mail/mail.worker';
import { decode, expectCountersExact, newAdmin } from './helpers/contacts';
import { invite, outcomes } from './helpers/invitations';

describe('mail while the SMTP server is down', () => {
  let portal: TestPortal;
  let smtp: SmtpListener | null = null;
  const accountIds: number[] = [];

  after(async () => {
    await smtp?.close();
    if (portal) await expectCountersExact(portal.db, accountIds);
  });

  it('waits in the outbox with back-off, then is delivered once per message when the server returns on the same port', async () => {
    const down = await startSmtp();
    const port = Number(new URL(down.url).port);
    await down.close();
    // Development, so that /dev/mail shows the outbox as it is.
    portal = await startPortal({ NODE_ENV: 'development', SMTP_URL: down.url });
    const clock = { now: new Date() };
    const advance = (ms: number) => (clock.now = new Date(clock.now.getTime() + ms));
    const worker = new MailWorker(portal.db, pino({ level: 'silent' }), {
      smtpUrl: down.url, from: portal.config.mail.from, jobs: portal.mailJobs, retryBaseMs: 30_000, clock: () => clock.now,
    });

    const s = await newAdmin(portal, accountIds);
    const emails = [uniqueEmail('ana'), uniqueEmail('bruno'), uniqueEmail('carla')];
    const res = await invite(s, { addresses: emails.join(' ') });
    expect(res.status).to.equal(200);
    expect(outcomes(res.text)).to.deep.equal(Object.fromEntries(emails.map((e) => [e, 'Convidado'])));
    const rows = () => portal.db('mail_outbox').where({ account_id: s.accountId }).orderBy('id');
    const ids = (await portal.db('mail_outbox').whereIn('to_address', emails).select('id')).map((r) => Number(r.id));
    expect(ids).to.have.length(3);
    const outbox = () => portal.db('mail_outbox').whereIn('id', ids).orderBy('id');

    clock.now = new Date(); // the worker's clock starts after the rows were written
    // Down: every attempt fails on the connection, and is put off by the back-off.
    expect(await worker.runOnce()).to.equal(0);
    for (const row of await outbox()) {
      expect(row).to.include({ status: 'pending', attempts: 1 });
      expect(row.last_error).to.match(/ECONNREFUSED/);
    }
    expect(await worker.runOnce(), 'retried before its back-off ran out').to.equal(0);
    expect((await outbox()).map((r) => Number(r.attempts))).to.deep.equal([1, 1, 1]);
    advance(31_000);
    expect(await worker.runOnce()).to.equal(0);
    expect((await outbox()).map((r) => Number(r.attempts))).to.deep.equal([2, 2, 2]);

    // What is shown meanwhile: the invitations as pending, with the link's validity, and (in
    // development) the outbox says the messages are queued, with the server's failure.
    const pending = decode((await s.agent.get(`${s.base}?status=pending`)).text);
    for (const e of emails) expect(pending).to.contain(e);
    expect(pending).to.contain('Link válido até');
    const devMail = decode((await s.agent.get('/dev/mail')).text);
    const devRows = devMail.split('<tr>').filter((r) => emails.some((e) => r.includes(e)));
    expect(devRows).to.have.length(3);
    for (const r of devRows) {
      expect(r).to.contain('Na fila').and.to.contain('ECONNREFUSED');
      expect(r).not.to.contain('Enviada');
    }

    // Back on the same port: the next attempt after the back-off delivers each message once.
    smtp = await startSmtp({ port });
    expect(smtp.url).to.equal(down.url);
    expect(await worker.runOnce(), 'still inside the back-off').to.equal(0);
    advance(61_000);
    expect(await worker.runOnce()).to.equal(3);
    advance(3_600_000);
    expect(await worker.runOnce()).to.equal(0);
    await worker.stop();

    for (const e of emails) {
      const arrived = await smtp.waitFor(to(e));
      expect(arrived.text).to.match(/http:\/\/portal\.test\/invitations\/[A-Za-z0-9_-]{43}/);
      expect(smtp.messages.filter(to(e)), e).to.have.length(1);
    }
    for (const row of await outbox()) expect(row).to.include({ status: 'sent', attempts: 3, last_error: null, claim_token: null });
    expect((await rows()).filter((r) => r.status !== 'sent')).to.deep.equal([]);
    const after = decode((await s.agent.get('/dev/mail')).text).split('<tr>').filter((r) => emails.some((e) => r.includes(e)));
    for (const r of after) expect(r).to.contain('Enviada').and.not.to.contain('ECONNREFUSED');
  });
});
