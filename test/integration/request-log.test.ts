import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import supertest from 'supertest';
import { loadConfig } from '../../server/config';
import { createPortal } from '../../server/portal';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount, PASSWORD } from '../support/fixtures';
import { csrfFrom, login, testEnv } from '../support/portal';
import { validContact } from './helpers/contacts';

/** A portal whose logger writes JSON lines into `lines`. */
async function portalLoggingAt(level: string, lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return createPortal(loadConfig(testEnv({ DATABASE_URL: await freshDatabaseUrl() })), { logger: pino({ level }, sink) });
}

describe('request ids and the request log', () => {
  it('at info: one line per answered request, with its id, method, URL and status; the id is answered as X-Request-Id', async () => {
    const lines: Record<string, unknown>[] = [];
    const portal = await portalLoggingAt('info', lines);
    try {
      const res = await supertest(portal.app).get('/login');
      const id = res.headers['x-request-id'];
      expect(id).to.match(/^[0-9a-f-]{36}$/);
      const idOf = (l: Record<string, unknown>) => (l.req as { id?: string } | undefined)?.id;
      const line = lines.find((l) => idOf(l) === id);
      expect(line, JSON.stringify(lines)).to.not.equal(undefined);
      expect(line!.req).to.include({ method: 'GET', url: '/login' });
      expect((line!.res as { statusCode: number }).statusCode).to.equal(res.status);
      // A proxy's own id is kept, so one id follows the request through every log.
      const given = await supertest(portal.app).get('/login').set('X-Request-Id', 'lb-7f3a.01');
      expect(given.headers['x-request-id']).to.equal('lb-7f3a.01');
      expect(lines.some((l) => idOf(l) === 'lb-7f3a.01')).to.equal(true);
    } finally {
      await portal.close();
    }
  });

  it('never logs the session cookie, the CSRF token or credentials: neither sent nor set', async () => {
    const lines: Record<string, unknown>[] = [];
    const portal = await portalLoggingAt('info', lines);
    try {
      const { admin } = await createAccount(portal.db);
      const agent = supertest.agent(portal.app);
      const loggedIn = await login(agent, admin.email, PASSWORD);
      const cookie = String(([] as string[]).concat(loggedIn.headers['set-cookie'] ?? []).find((c) => c.startsWith('portal.sid=')) ?? '').split(';')[0]!;
      expect(cookie).to.match(/^portal\.sid=.{20,}/);
      await agent.get('/me').set('X-CSRF-Token', 'token-de-teste-123').set('Authorization', 'Basic c2VncmVkbw==');
      const text = JSON.stringify(lines);
      expect(lines.length).to.be.at.least(3);
      for (const secret of [cookie.slice('portal.sid='.length), 'token-de-teste-123', 'c2VncmVkbw==', PASSWORD]) expect(text).to.not.contain(secret);
      const sent = lines.find((l) => (l.req as { headers: Record<string, string> }).headers?.cookie);
      expect((sent!.req as { headers: Record<string, string> }).headers.cookie).to.equal('[redacted]');
      const set = lines.find((l) => (l.res as { headers?: Record<string, string> } | undefined)?.headers?.['set-cookie']);
      expect((set!.res as { headers: Record<string, string> }).headers['set-cookie']).to.equal('[redacted]');
      expect((sent!.req as { headers: Record<string, string> }).headers.host).to.be.a('string');
    } finally {
      await portal.close();
    }
  });

  it('below info nothing is logged for a request, and every answer still carries an id (a bad one given is replaced)', async () => {
    const lines: Record<string, unknown>[] = [];
    const portal = await portalLoggingAt('warn', lines);
    try {
      const res = await supertest(portal.app).get('/login').set('X-Request-Id', 'no spaces <allowed>');
      expect(res.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
      expect(lines).to.deep.equal([]);
    } finally {
      await portal.close();
    }
  });

  it('keeps no query string values and no URL headers of HTMX or the browser: a search for a CPF, an e-mail or a name stays out', async () => {
    const lines: Record<string, unknown>[] = [];
    const portal = await portalLoggingAt('info', lines);
    try {
      const searched = '/accounts/1/contacts?q=529.982.247-25&email=fulano%40example.test&name=Joana+Sigilo';
      const res = await supertest(portal.app)
        .get(searched)
        .set('HX-Request', 'true')
        .set('HX-Current-URL', `http://localhost${searched}`)
        .set('Referer', `http://localhost${searched}`)
        .set('HX-Prompt', 'Joana Sigilo');
      const text = JSON.stringify(lines);
      for (const personal of ['529.982.247-25', '52998224725', 'fulano', 'Joana', 'Sigilo']) expect(text).not.to.contain(personal);
      // What the line is for stays: which page, with which parameters, and how it was answered.
      const line = lines.find((l) => (l.req as { id?: string } | undefined)?.id === res.headers['x-request-id']);
      expect((line!.req as { url: string }).url).to.equal('/accounts/1/contacts?q=&email=&name=');
      expect((line!.res as { statusCode: number }).statusCode).to.equal(res.status);
    } finally {
      await portal.close();
    }
  });

  it("logs a database error without the values of its statement (the contact's CPF, e-mail, the actor's name)", async () => {
    const lines: Record<string, unknown>[] = [];
    const portal = await portalLoggingAt('info', lines);
    try {
      const { accountId, admin } = await createAccount(portal.db);
      const agent = supertest.agent(portal.app);
      expect((await login(agent, admin.email, PASSWORD)).status).to.equal(303);
      const csrf = await csrfFrom(agent, '/me');
      // The audit insert, last in the transaction, fails: its statement carries the new contact.
      await portal.db.schema.alterTable('audit_events', (t) => t.renameColumn('details', 'details_gone'));
      const contact = validContact({ name: 'Joana Sigilo' });
      const res = await agent.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...contact });
      expect(res.status).to.equal(500);
      const errors = lines.filter((l) => l.err);
      expect(errors.length, JSON.stringify(lines)).to.be.at.least(1);
      expect(JSON.stringify(errors)).to.match(/insert into `audit_events`/);
      const text = JSON.stringify(lines);
      for (const personal of [contact.document!.replace(/\D/g, ''), contact.email!, 'Joana Sigilo', admin.name]) expect(text).not.to.contain(personal);
    } finally {
      await portal.close();
    }
  });
});
