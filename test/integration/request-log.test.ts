import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import supertest from 'supertest';
import { loadConfig } from '../../server/config';
import { createPortal } from '../../server/portal';
import { freshDatabaseUrl } from '../support/databases';
import { addMember, createAccount, PASSWORD, uniqueEmail } from '../support/fixtures';
import { agent, csrfFrom, loggedIn, login, startPortal, testEnv } from '../support/portal';
import { validContact } from './helpers/contacts';
import { mailedLink, registration } from './helpers/invitations';
import { ageSessions, approvalPath, enableTotp, loggedInWithTotp, mailFor } from './helpers/security';

/** A logger writing JSON lines into `lines`. */
function loggerInto(level: string, lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level }, sink);
}

/** A portal whose logger writes JSON lines into `lines`. */
async function portalLoggingAt(level: string, lines: Record<string, unknown>[]) {
  return createPortal(loadConfig(testEnv({ DATABASE_URL: await freshDatabaseUrl() })), { logger: loggerInto(level, lines) });
}

/** Posts a form the way the browser does: the page first (its CSRF token), then the form. */
async function submit(a: ReturnType<typeof agent>, path: string, page: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const csrf = await csrfFrom(a, page);
  return a.post(path).set(headers).type('form').send({ _csrf: csrf, ...form });
}

type Line = { req?: { id?: string; method?: string; url?: string; headers?: Record<string, string> }; res?: { statusCode?: number; headers?: Record<string, string> } };
/** The path of an e-mailed link, with the token it carries. */
const linkIn = (text: string | undefined, re: RegExp) => {
  const path = re.exec(text ?? '')?.[1];
  if (!path) throw new Error(`no link ${re} in: ${text}`);
  return path;
};

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

  it('a journey through every e-mailed link logs the route pattern, never the token (nor in Referer, HX-Current-URL or Location)', async () => {
    const lines: Record<string, unknown>[] = [];
    const portal = await startPortal({}, { logger: loggerInto('info', lines) });
    const tokens: string[] = [];
    const used = (path: string) => {
      tokens.push(path.split('/').pop()!);
      return path;
    };
    // The browser sends the page's address along with what the page does (a form post, an HTMX call).
    const from = (path: string) => ({ Referer: `http://portal.test${path}`, 'HX-Current-URL': `http://portal.test${path}` });
    const { accountId, admin } = await createAccount(portal.db);

    // "Esqueci minha senha": the link is opened, then the form on it posted.
    const stranger = agent(portal);
    const asked = await submit(stranger, '/password/forgot', '/password/forgot', { email: admin.email });
    expect(asked.status, asked.text).to.equal(200);
    const reset = used(linkIn((await mailFor(portal, admin.email)).text, /https?:\/\/[^/\s]+(\/password\/reset\/[\w-]+)/));
    expect((await stranger.get(reset)).status).to.equal(200);
    const newPassword = 'Ventania-Azul-7382-Tucano';
    const resetDone = await submit(stranger, reset, reset, { password: newPassword, passwordConfirmation: newPassword }, from(reset));
    expect(resetDone.status).to.equal(303);

    // An invitation: opened, registered (a Referer), then its confirmation link opened and confirmed.
    const s = await loggedIn(portal, admin.email, newPassword);
    const invited = uniqueEmail('convidada');
    expect((await s.agent.post(`/accounts/${accountId}/invitations`).type('form').send({ _csrf: s.csrf, profile: 'member', addresses: invited })).status).to.equal(200);
    const invitation = used((await mailedLink(portal, invited, '/invitations/')).path);
    const person = agent(portal);
    expect((await person.get(invitation)).status).to.equal(200);
    const registered = await submit(person, invitation, invitation, registration(), from(invitation));
    expect(registered.status).to.equal(200);
    const confirmation = used((await mailedLink(portal, invited, '/invitations/confirm/')).path);
    expect((await person.get(confirmation)).status).to.equal(200);
    expect((await submit(person, confirmation, confirmation, {}, from(confirmation))).status).to.equal(200);
    // Someone with a login opens an invitation, signs in and is sent back to it (a Location with the token).
    const other = await createAccount(portal.db);
    expect((await s.agent.post(`/accounts/${accountId}/invitations`).type('form').send({ _csrf: s.csrf, profile: 'member', addresses: other.admin.email })).status).to.equal(200);
    const toJoin = used((await mailedLink(portal, other.admin.email, '/invitations/')).path);
    const joiner = agent(portal);
    expect((await joiner.get(toJoin)).status).to.equal(200);
    const signedIn = await login(joiner, other.admin.email, PASSWORD);
    expect(signedIn.headers.location).to.equal(toJoin);
    expect((await submit(joiner, `${toJoin}/accept`, toJoin, {}, from(toJoin))).status).to.equal(303);

    // A change of e-mail, confirmed from the link; first opened without a session (sent to the login).
    const newEmail = uniqueEmail('novo');
    expect((await s.agent.post('/me/email').type('form').send({ _csrf: s.csrf, newEmail, password: newPassword })).status).to.equal(303);
    const change = used(linkIn((await mailFor(portal, newEmail)).text, /https?:\/\/[^/\s]+(\/me\/email\/confirm\/[\w-]+)/));
    expect((await agent(portal).get(change)).status).to.equal(302);
    expect((await s.agent.get(change)).status).to.equal(200);
    expect((await s.agent.post(change).set(from(change)).type('form').send({ _csrf: s.csrf })).status).to.equal(303);

    // A step-up approval link (the QR code's), opened by another session and by nobody signed in.
    const member = await addMember(portal.db, accountId);
    await ageSessions(portal.db, admin.userId, 16);
    await s.agent.post(`/accounts/${accountId}/contacts/${member.contactId}/permissions`).type('form').send({ _csrf: s.csrf, profile: 'observer' });
    const approval = used(approvalPath((await s.agent.get('/step-up')).text));
    // Approved only from a session that proved a second factor at sign-in.
    const secret = await enableTotp(portal, admin.userId);
    await (await loggedInWithTotp(portal, newEmail, newPassword, secret)).agent.get(approval).set(from(approval));
    await agent(portal).get(approval);
    // A path no route knows, carrying a token, is a 404 logged with its long segments masked.
    await agent(portal).get(`${invitation}/nao-existe`);

    await new Promise((resolve) => setImmediate(resolve));
    const text = JSON.stringify(lines);
    expect(tokens).to.have.length(6);
    for (const token of tokens) {
      expect(token).to.match(/^[\w-]{43}$/);
      expect(text, `token ${token} in the log`).not.to.contain(token);
    }
    // What the lines are for stays: which page was asked for, and how it was answered.
    const urls = (lines as Line[]).map((l) => `${l.req?.method} ${l.req?.url} ${l.res?.statusCode}`);
    expect(urls).to.include.members([
      'GET /password/reset/:token 200', 'POST /password/reset/:token 303',
      'GET /invitations/:token 200', 'POST /invitations/:token 200', 'GET /invitations/confirm/:token 200', 'POST /invitations/confirm/:token 200',
      'POST /invitations/:token/accept 303', 'POST /login 303',
      'GET /me/email/confirm/:token 200', 'POST /me/email/confirm/:token 303',
      `POST /accounts/:accountId/contacts/:contactId/permissions 303`,
      'GET /step-up/approve/:token 200', 'GET /step-up/approve/:masked 302', 'GET /invitations/:masked/nao-existe 404',
    ]);
    const backToInvitation = (lines as Line[]).find((l) => l.req?.url === '/login' && l.res?.statusCode === 303 && l.res.headers?.location?.startsWith('/invitations/'));
    expect(backToInvitation?.res?.headers?.location).to.equal('/invitations/:masked');
    const fromPage = (lines as Line[]).find((l) => l.req?.url === '/password/reset/:token' && l.req.method === 'POST');
    expect(fromPage?.req?.headers).to.include({ referer: 'http://portal.test/password/reset/:masked', 'hx-current-url': 'http://portal.test/password/reset/:masked' });
  });
});
