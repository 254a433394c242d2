import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import type { Knex } from 'knex';
import pino from 'pino';
import supertest from 'supertest';
import { createDb } from '../../server/db/knex';
import { createI18n, type Locale } from '../../server/i18n';
import { MailService } from '../../server/mail/mail.service';
import { MailWorker, type MailWorkerOptions } from '../../server/mail/mail.worker';
import { startSmtp, to, type SmtpListener } from '../support/mail';
import { startPortal, type TestPortal } from '../support/portal';

const silent = pino({ level: 'silent' });
const address = (label: string) => `${label}-${randomBytes(4).toString('hex')}@example.test`;

async function mailServiceFor(portal: TestPortal): Promise<MailService> {
  return new MailService({ db: portal.db, publicUrl: portal.config.publicUrl, i18n: await createI18n() });
}

/** Writes one message in its own committed transaction, as a service does with its change. */
async function enqueueCheck(portal: TestPortal, mail: MailService, recipient: string, locale: Locale = 'pt-BR'): Promise<number> {
  return portal.db.transaction((trx) => mail.enqueue(trx, { accountId: null, to: recipient, locale, template: 'mail-check', params: {} }));
}

/** A worker with a clock the test moves, so back-off can be waited out without waiting. */
function workerWithClock(db: Knex, options: Partial<MailWorkerOptions> & { smtpUrl: string | null }) {
  const clock = { now: new Date() };
  const worker = new MailWorker(db, silent, { from: 'Portal <no-reply@portal.test>', clock: () => clock.now, ...options });
  return { worker, advance: (ms: number) => (clock.now = new Date(clock.now.getTime() + ms)) };
}

describe('e-mail delivery (outbox → worker → SMTP)', () => {
  let smtp: SmtpListener;
  let portal: TestPortal;
  let mail: MailService;
  before(async () => {
    smtp = await startSmtp();
    portal = await startPortal({ SMTP_URL: smtp.url, MAIL_FROM: 'Portal ACME <portal@acme.test>' });
    mail = await mailServiceFor(portal);
  });
  after(() => smtp.close());

  it('a message written in a committed transaction arrives with its subject, text and HTML parts, links starting with PUBLIC_URL', async () => {
    const recipient = address('ana');
    await enqueueCheck(portal, mail, recipient);
    expect(await portal.deliverMail()).to.equal(1);

    const arrived = await smtp.waitFor(to(recipient));
    expect(arrived.subject).to.equal('Teste de envio do Portal');
    expect(arrived.from?.text).to.equal('"Portal ACME" <portal@acme.test>');
    expect(arrived.text).to.contain('a entrega de mensagens do Portal está funcionando');
    expect(arrived.text).to.contain('http://portal.test/login');
    expect(arrived.html).to.be.a('string');
    expect(arrived.html as string).to.contain('href="http://portal.test/login"');
    expect(arrived.html as string).to.contain('Portal do Cliente');
  });

  it('renders in the locale it is given', async () => {
    const recipient = address('john');
    await enqueueCheck(portal, mail, recipient, 'en');
    await portal.deliverMail();
    const arrived = await smtp.waitFor(to(recipient));
    expect(arrived.subject).to.equal('Portal delivery test');
    expect(arrived.text).to.contain('Open the Portal: http://portal.test/login');
  });

  it('a rolled-back transaction sends nothing', async () => {
    const recipient = address('rolled-back');
    const failing = await portal.db
      .transaction(async (trx) => {
        await mail.enqueue(trx, { accountId: null, to: recipient, locale: 'pt-BR', template: 'mail-check', params: {} });
        throw new Error('the change failed');
      })
      .then(() => null, (err: Error) => err);
    expect(failing?.message).to.equal('the change failed');

    expect(await portal.deliverMail()).to.equal(0);
    expect((await mail.recent()).map((m) => m.to)).not.to.include(recipient);
    expect(smtp.messages.filter(to(recipient))).to.have.length(0);
  });

  it('names from older rows cannot add lines to the text, the subject or the headers, and a recipient with a line break is refused', async () => {
    const recipient = address('linhas');
    await portal.db.transaction((trx) =>
      mail.enqueue(trx, {
        accountId: null, to: recipient, locale: 'pt-BR', template: 'invitation',
        params: { inviterName: 'Ana\r\nhttp://evil.example/login\r\n', accountName: 'ACME\u2028Bcc: vitima@evil.example\u0085x', path: '/invitations/abc', days: 7 },
      }),
    );
    await portal.deliverMail();
    const arrived = await smtp.waitFor(to(recipient));
    expect(arrived.subject).to.equal('Ana http://evil.example/login convidou você para o Portal do Cliente de ACME Bcc: vitima@evil.example x');
    expect(arrived.text).to.contain('Ana http://evil.example/login convidou você');
    expect(arrived.text!.split('\n').filter((line) => line.trim().startsWith('http://evil'))).to.deep.equal([]);
    expect(arrived.text).not.to.match(/[\u2028\u2029\u0085]/);
    expect(arrived.headers.has('bcc')).to.equal(false);

    const refused = await portal.db
      .transaction((trx) => mail.enqueue(trx, { accountId: null, to: `${address('a')}\r\nBcc: vitima@evil.example`, locale: 'pt-BR', template: 'mail-check', params: {} }))
      .then(() => null, (err: Error) => err);
    expect(refused?.message).to.match(/recipient/);
    expect((await mail.recent()).map((m) => m.to).filter((t) => t.includes('vitima'))).to.deep.equal([]);
  });

  it('an SMTP server that refuses, then recovers, still delivers the message exactly once, after a back-off', async () => {
    const recipient = address('retry');
    await enqueueCheck(portal, mail, recipient);
    const { worker, advance } = workerWithClock(portal.db, { smtpUrl: smtp.url, retryBaseMs: 30_000 });

    smtp.refuseNext(1);
    expect(await worker.runOnce()).to.equal(0);
    expect(await worker.runOnce(), 'retried before its back-off ran out').to.equal(0);
    advance(31_000);
    expect(await worker.runOnce()).to.equal(1);
    advance(3_600_000);
    expect(await worker.runOnce()).to.equal(0);
    await worker.stop();

    await smtp.waitFor(to(recipient));
    expect(smtp.messages.filter(to(recipient))).to.have.length(1);
  });

  it('gives up after the last attempt: the message is marked failed with the server answer and not sent again', async () => {
    const recipient = address('gives-up');
    const id = await enqueueCheck(portal, mail, recipient);
    const { worker, advance } = workerWithClock(portal.db, { smtpUrl: smtp.url, maxAttempts: 2, retryBaseMs: 1_000 });
    smtp.refuseNext(2);
    expect(await worker.runOnce()).to.equal(0);
    advance(1_500);
    expect(await worker.runOnce()).to.equal(0);
    advance(3_600_000);
    expect(await worker.runOnce()).to.equal(0);
    await worker.stop();

    const failed = await mail.find(id);
    expect(failed).to.include({ status: 'failed', attempts: 2 });
    expect(failed!.lastError).to.match(/451/);
    // Given up on, its links are no one's to follow: the body goes, what it was and why it failed stay.
    expect(failed).to.include({ text: '', html: '', subject: 'Teste de envio do Portal', to: recipient });
    expect(smtp.messages.filter(to(recipient))).to.have.length(0);
  });

  it('once sent, the outbox keeps no usable link: the body is removed, the subject, address and dates stay', async () => {
    const recipient = address('sent');
    const id = await enqueueCheck(portal, mail, recipient);
    expect((await mail.find(id))!.text).to.contain('http://portal.test/login');
    expect(await portal.deliverMail()).to.equal(1);
    expect((await smtp.waitFor(to(recipient))).text).to.contain('http://portal.test/login');
    const row = await portal.db('mail_outbox').where({ id }).first();
    expect(row).to.include({ status: 'sent', text: '', html: '', subject: 'Teste de envio do Portal', to_address: recipient });
    expect(row.sent_at).not.to.equal(null);
    expect(JSON.stringify(row)).not.to.contain('portal.test/login');
  });

  it('a job row is prepared when claimed, in one transaction with what its preparer writes: a failure is retried and leaves nothing behind; nothing to send deletes the row', async () => {
    const typed = address('typed');
    const recipient = address('prepared');
    const sideEffect = address('side-effect');
    const queue = (to: string) => portal.db.transaction((trx) => mail.enqueueJob(trx, { name: 'check-job', to, locale: 'pt-BR', data: { asked: to } }));
    const id = await queue(typed);
    const nobodyAddress = address('nobody');
    const nobody = await queue(nobodyAddress);
    const seen: unknown[] = [];
    let failures = 1;
    const { worker, advance } = workerWithClock(portal.db, {
      smtpUrl: smtp.url,
      retryBaseMs: 1_000,
      jobs: {
        'check-job': async (trx, job) => {
          seen.push(job.data);
          await mail.enqueue(trx, { accountId: null, to: sideEffect, locale: 'pt-BR', template: 'mail-check', params: {} });
          if (failures-- > 0) throw new Error('database hiccup');
          if (job.to !== typed) return null;
          return { accountId: null, to: recipient, locale: 'en', template: 'mail-check', ...(await mail.render({ locale: 'en', template: 'mail-check', params: {} })) };
        },
      },
    });
    expect(await worker.runOnce()).to.equal(1); // the first failed, the second found nothing
    // The failed preparation wrote nothing; the one that found nobody committed what it wrote.
    expect(await portal.db('mail_outbox').where({ to_address: sideEffect })).to.have.length(1);
    expect(await portal.db('mail_outbox').where({ id: nobody }).first()).to.equal(undefined);
    expect(await mail.find(id)).to.include({ status: 'pending', attempts: 1, job: 'check-job' });
    advance(1_500);
    expect(await worker.runOnce()).to.be.at.least(1);
    await worker.stop();
    expect(seen).to.deep.equal([{ asked: typed }, { asked: nobodyAddress }, { asked: typed }]);
    const arrived = await smtp.waitFor(to(recipient));
    expect(arrived.subject).to.equal('Portal delivery test');
    expect(await mail.find(id)).to.include({ status: 'sent', to: recipient, template: 'mail-check', job: null, text: '' });
    expect(smtp.messages.filter(to(typed))).to.have.length(0);
    await portal.deliverMail(); // the side effects' messages, so later tests count only theirs
  });

  it('two workers running at once (each with its own connections) deliver each message exactly once', async () => {
    const recipients = Array.from({ length: 12 }, (_, i) => address(`pair-${i}`));
    for (const r of recipients) await enqueueCheck(portal, mail, r);
    const otherProcessDb = createDb(portal.config.database);
    try {
      const a = new MailWorker(portal.db, silent, { smtpUrl: smtp.url, from: portal.config.mail.from });
      const b = new MailWorker(otherProcessDb, silent, { smtpUrl: smtp.url, from: portal.config.mail.from });
      const [sentByA, sentByB] = await Promise.all([a.runOnce(), b.runOnce()]);
      await Promise.all([a.stop(), b.stop()]);
      expect(sentByA + sentByB).to.equal(recipients.length);
    } finally {
      await otherProcessDb.destroy();
    }
    for (const r of recipients) await smtp.waitFor(to(r));
    for (const r of recipients) expect(smtp.messages.filter(to(r)), r).to.have.length(1);
  });
});

describe('outbox retention (MAIL_RETENTION_DAYS)', () => {
  const DAY = 24 * 3_600_000;

  it('deletes sent, kept and given-up messages older than the retention, a bounded batch at a time; pending ones stay', async () => {
    const smtp = await startSmtp();
    try {
      const portal = await startPortal({ SMTP_URL: smtp.url, MAIL_RETENTION_DAYS: '30' });
      expect(portal.config.mail.retentionDays).to.equal(30);
      const mail = await mailServiceFor(portal);
      const sent = [await enqueueCheck(portal, mail, address('old-1')), await enqueueCheck(portal, mail, address('old-2')), await enqueueCheck(portal, mail, address('old-3'))];
      const { worker, advance } = workerWithClock(portal.db, { smtpUrl: smtp.url, retentionDays: portal.config.mail.retentionDays, purgeBatch: 2 });
      expect(await worker.runOnce()).to.equal(3);
      const failing = await enqueueCheck(portal, mail, address('old-failed'));
      smtp.refuseNext(1);
      const { worker: givingUp } = workerWithClock(portal.db, { smtpUrl: smtp.url, maxAttempts: 1 });
      expect(await givingUp.runOnce()).to.equal(0);
      await givingUp.stop();
      const waiting = await enqueueCheck(portal, mail, address('old-pending'));
      await portal.db('mail_outbox').where({ id: waiting }).update({ next_attempt_at: new Date(Date.now() + 365 * DAY) });

      advance(29 * DAY);
      expect(await worker.purge(), 'younger than the retention').to.equal(0);
      advance(2 * DAY);
      expect(await worker.purge(), 'one batch').to.equal(2);
      expect(await worker.purge()).to.equal(2);
      expect(await worker.purge()).to.equal(0);
      const left = (await portal.db('mail_outbox').select('id')).map((r) => Number(r.id));
      for (const id of [...sent, failing]) expect(left).not.to.include(id);
      expect(left).to.deep.equal([waiting]);
      await worker.stop();
    } finally {
      await smtp.close();
    }
  });

  it('the running worker purges on its own', async () => {
    const portal = await startPortal({ SMTP_URL: '' });
    const mail = await mailServiceFor(portal);
    const id = await enqueueCheck(portal, mail, address('purged'));
    await portal.deliverMail();
    await portal.db('mail_outbox').where({ id }).update({ created_at: new Date(Date.now() - 31 * 24 * 3_600_000) });
    const worker = new MailWorker(portal.db, silent, { smtpUrl: null, from: 'Portal <no-reply@portal.test>', pollMs: 20 });
    worker.start();
    try {
      for (let i = 0; i < 100 && (await portal.db('mail_outbox').where({ id }).first()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await portal.db('mail_outbox').where({ id }).first()).to.equal(undefined);
    } finally {
      await worker.stop();
    }
  });
});

describe('/dev/mail', () => {
  it('in development without SMTP_URL, lists kept messages, shows one with its text, links and sandboxed HTML, and the worker prints its links', async () => {
    const portal = await startPortal({ NODE_ENV: 'development', SMTP_URL: '' });
    const mail = await mailServiceFor(portal);
    const recipient = address('dev');
    const id = await enqueueCheck(portal, mail, recipient);

    const printed: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void printed.push(args.join(' '));
    try {
      expect(await portal.deliverMail()).to.equal(1);
    } finally {
      console.log = original;
    }
    expect(printed.join('\n')).to.contain(recipient).and.to.contain('http://portal.test/login');

    const list = await supertest(portal.app).get('/dev/mail');
    expect(list.status).to.equal(200);
    expect(list.text).to.contain(recipient);
    expect(list.text).to.contain('Teste de envio do Portal');
    expect(list.text).to.contain('Guardada (sem SMTP)');
    expect(list.text).to.contain(`href="/dev/mail/${id}"`);

    const one = await supertest(portal.app).get(`/dev/mail/${id}`);
    expect(one.status).to.equal(200);
    expect(one.text).to.contain('a entrega de mensagens do Portal está funcionando');
    expect(one.text).to.contain('href="http://portal.test/login"');
    expect(one.text).to.match(/<iframe[^>]+sandbox[^>]+src="\/dev\/mail\/\d+\/html"/);

    const html = await supertest(portal.app).get(`/dev/mail/${id}/html`);
    expect(html.status).to.equal(200);
    expect(html.headers['content-security-policy']).to.match(/^sandbox; default-src 'none'/);
    expect(html.text).to.contain('href="http://portal.test/login"');

    expect((await supertest(portal.app).get('/dev/mail/999999')).status).to.equal(404);
    expect((await supertest(portal.app).get('/dev/mail/abc')).status).to.equal(404);
  });

  it('a kept message is logged by its id and template, never its links (they carry one-time tokens)', async () => {
    const portal = await startPortal({ SMTP_URL: '' });
    const mail = await mailServiceFor(portal);
    const id = await enqueueCheck(portal, mail, address('kept-log'));
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(chunk.toString()), done()) }));
    const worker = new MailWorker(portal.db, logger, { smtpUrl: null, from: 'Portal <no-reply@portal.test>' });
    expect(await worker.runOnce()).to.equal(1);
    await worker.stop();
    expect(lines.join('')).to.contain(`"mailId":${id}`).and.to.contain('mail kept in the outbox');
    expect(lines.join('')).not.to.contain('portal.test/login');
  });

  it('in development shows a message the worker gave up on as failed, with the server answer', async () => {
    const smtp = await startSmtp();
    try {
      const portal = await startPortal({ NODE_ENV: 'development', SMTP_URL: smtp.url });
      const mail = await mailServiceFor(portal);
      const id = await enqueueCheck(portal, mail, address('failing'));
      smtp.refuseNext(1);
      const { worker } = workerWithClock(portal.db, { smtpUrl: smtp.url, maxAttempts: 1 });
      expect(await worker.runOnce()).to.equal(0);
      await worker.stop();
      const list = await supertest(portal.app).get('/dev/mail');
      expect(list.text).to.contain('Falhou');
      expect(list.text).to.contain('451');
      expect((await supertest(portal.app).get(`/dev/mail/${id}`)).text).to.contain('Falhou');
    } finally {
      await smtp.close();
    }
  });

  it('in development shows a sent message without its body: "conteúdo removido após o envio"', async () => {
    const smtp = await startSmtp();
    try {
      const portal = await startPortal({ NODE_ENV: 'development', SMTP_URL: smtp.url });
      const mail = await mailServiceFor(portal);
      const id = await enqueueCheck(portal, mail, address('gone'));
      expect(await portal.deliverMail()).to.equal(1);
      const one = await supertest(portal.app).get(`/dev/mail/${id}`);
      expect(one.status).to.equal(200);
      expect(one.text).to.contain('Teste de envio do Portal').and.to.contain('Enviada');
      expect(one.text).to.contain('Conteúdo removido após o envio');
      expect(one.text).not.to.contain('http://portal.test/login');
      expect(one.text).not.to.contain('<iframe');
    } finally {
      await smtp.close();
    }
  });

  for (const NODE_ENV of ['production', 'test']) {
    it(`does not exist in ${NODE_ENV}`, async () => {
      const portal = await startPortal({ NODE_ENV });
      expect((await supertest(portal.app).get('/dev/mail')).status).to.equal(404);
      expect((await supertest(portal.app).get('/dev/mail/1')).status).to.equal(404);
    });
  }
});
