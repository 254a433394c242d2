import { expect } from 'chai';
import supertest from 'supertest';
import { addMember, createAccount, PASSWORD, uniqueEmail } from '../support/fixtures';
import { agent, csrfFrom, loggedIn, login, sharedPortal, startPortal, type TestPortal } from '../support/portal';

const INVALID = 'E-mail ou senha inválidos.';
const NO_ACCESS = 'Seu usuário não tem acesso ativo a nenhuma empresa.';
const TOO_MANY = 'Muitas tentativas de acesso. Tente novamente em 15 minuto(s).';

/** The value attribute of the input named `name`, as the browser would fill the field. */
function fieldValue(html: string, name: string): string | undefined {
  const input = new RegExp(`<input[^>]*\\bname="${name}"[^>]*>`).exec(html)?.[0];
  return input ? /\bvalue="([^"]*)"/.exec(input)?.[1] : undefined;
}

/** The session id cookie a response sets ("portal.sid=…"), if any. */
function sessionCookie(res: { headers: Record<string, unknown> }): string | undefined {
  const cookies = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  return cookies.find((c) => c.startsWith('portal.sid='))?.split(';')[0];
}

const userName = (html: string) => /class="user-name">([^<]*)</.exec(html)?.[1];

describe('login', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  it('shows the pt-BR form with E-mail and Senha fields named email and password', async () => {
    await createAccount(portal.db); // with no account at all, /login leads to /setup
    const res = await agent(portal).get('/login');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Entrar no portal');
    expect(res.text).to.match(/<label for="f-email">E-mail/);
    expect(res.text).to.match(/<label for="f-password">Senha/);
    expect(fieldValue(res.text, 'email')).to.equal('');
    expect(fieldValue(res.text, 'password')).to.equal('');
  });

  it('with the right e-mail and password answers 303 to /accounts and opens them', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const a = agent(portal);
    const res = await login(a, admin.email, PASSWORD);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/accounts');
    const accounts = await a.get('/accounts');
    expect(accounts.status).to.equal(302);
    expect(accounts.headers.location).to.equal(`/accounts/${accountId}`);
  });

  it('ignores the case and surrounding spaces of the e-mail', async () => {
    const { admin } = await createAccount(portal.db);
    const res = await login(agent(portal), `  ${admin.email.toUpperCase()} `, PASSWORD);
    expect(res.status).to.equal(303);
  });

  it('a wrong password gives the generic message, keeps the e-mail and does not log in', async () => {
    const { admin } = await createAccount(portal.db);
    const a = agent(portal);
    const res = await login(a, admin.email, 'not the password at all');
    expect(res.status).to.equal(401);
    expect(res.text).to.contain(INVALID);
    expect(fieldValue(res.text, 'email')).to.equal(admin.email);
    expect(fieldValue(res.text, 'password')).to.equal('');
    const after = await a.get('/accounts');
    expect(after.status).to.equal(302);
    expect(after.headers.location).to.equal('/login');
  });

  it('an unknown e-mail gives exactly the same answer as a wrong password', async () => {
    const { admin } = await createAccount(portal.db);
    const unknown = uniqueEmail('nobody');
    const wrongPassword = await login(agent(portal), admin.email, 'not the password at all');
    const unknownEmail = await login(agent(portal), unknown, PASSWORD);
    expect(unknownEmail.status).to.equal(wrongPassword.status);
    expect(unknownEmail.text).to.contain(INVALID);
    expect(fieldValue(unknownEmail.text, 'email')).to.equal(unknown);
    // Same page apart from the e-mail echoed back and the per-session CSRF token.
    const normalize = (html: string, email: string) => html.split(email).join('EMAIL').replace(/(_csrf" value="|x-csrf-token": ")[^"]+/g, '$1TOKEN');
    expect(normalize(unknownEmail.text, unknown)).to.equal(normalize(wrongPassword.text, admin.email));
  });

  it('refuses, with the "no access" message, a user whose only contact is not active', async () => {
    const { accountId } = await createAccount(portal.db);
    const member = await addMember(portal.db, accountId, { status: 'deactivated' });
    const a = agent(portal);
    const res = await login(a, member.email, PASSWORD);
    expect(res.status).to.equal(401);
    expect(res.text).to.contain(NO_ACCESS);
    expect(res.text).not.to.contain(INVALID);
    const after = await a.get('/accounts');
    expect(after.status).to.equal(302);
    expect(after.headers.location).to.equal('/login');
  });

  it('a logged-in user who opens /login goes to /accounts', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.get('/login');
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/accounts');
  });

  it('after login, returns to the page that asked for it', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const a = agent(portal);
    const first = await a.get(`/accounts/${accountId}`);
    expect(first.status).to.equal(302);
    expect(first.headers.location).to.equal('/login');
    const res = await login(a, admin.email, PASSWORD);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/accounts/${accountId}`);
  });

  it('changes the session id at login, and the pre-login id does not become logged in (no fixation)', async () => {
    const { admin } = await createAccount(portal.db);
    const a = agent(portal);
    const page = await a.get('/login');
    const before = sessionCookie(page);
    expect(before, 'the login page starts a session').to.be.a('string');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const res = await a.post('/login').type('form').send({ _csrf: token, email: admin.email, password: PASSWORD });
    expect(res.status).to.equal(303);
    const after = sessionCookie(res);
    expect(after).to.be.a('string');
    expect(after).not.to.equal(before);

    const withOld = await supertest(portal.app).get('/accounts').set('Cookie', before!);
    expect(withOld.status).to.equal(302);
    expect(withOld.headers.location).to.equal('/login');
    const withNew = await supertest(portal.app).get('/accounts').set('Cookie', after!);
    expect(withNew.status).to.equal(302);
    expect(withNew.headers.location).to.match(/^\/accounts\/\d+$/);
  });
});

describe('logout', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  it('POST /logout ends the session: the old cookie no longer opens /accounts', async () => {
    const { admin } = await createAccount(portal.db);
    const a = agent(portal);
    const res = await login(a, admin.email, PASSWORD);
    const cookie = sessionCookie(res)!;
    const ok = await supertest(portal.app).get('/accounts').set('Cookie', cookie);
    expect(ok.headers.location).to.match(/^\/accounts\/\d+$/);

    const token = await csrfFrom(a, '/me');
    const out = await a.post('/logout').type('form').send({ _csrf: token });
    expect(out.status).to.equal(303);
    expect(out.headers.location).to.equal('/login?bye=1');
    const bye = await a.get('/login?bye=1');
    expect(bye.text).to.contain('Você saiu do portal.');

    const replay = await supertest(portal.app).get('/accounts').set('Cookie', cookie);
    expect(replay.status).to.equal(302);
    expect(replay.headers.location).to.equal('/login');
    const me = await supertest(portal.app).get('/me').set('Cookie', cookie);
    expect(me.status).to.equal(302);
    expect(me.headers.location).to.equal('/login');
  });
});

describe('login rate limits', () => {
  it(`after LOGIN_MAX_ATTEMPTS_PER_EMAIL failures, answers 429 for that e-mail, even with the right password`, async () => {
    const portal = await startPortal({ LOGIN_MAX_ATTEMPTS_PER_EMAIL: '3', LOGIN_MAX_ATTEMPTS_PER_IP: '100' });
    const { admin } = await createAccount(portal.db);
    const other = await createAccount(portal.db);
    for (let i = 0; i < 3; i++) {
      const res = await login(agent(portal), admin.email, `wrong password ${i}`);
      expect(res.status, `attempt ${i + 1}`).to.equal(401);
      expect(res.text).to.contain(INVALID);
    }
    const a = agent(portal);
    const blocked = await login(a, admin.email, PASSWORD);
    expect(blocked.status).to.equal(429);
    expect(blocked.text).to.contain(TOO_MANY);
    expect(fieldValue(blocked.text, 'email')).to.equal(admin.email);
    expect(Number(blocked.headers['retry-after'])).to.be.within(1, 15 * 60);
    const after = await a.get('/accounts');
    expect(after.headers.location).to.equal('/login');

    // Only that e-mail is blocked: another person on the same IP still logs in.
    expect((await login(agent(portal), other.admin.email, PASSWORD)).status).to.equal(303);
  });

  it('a successful login clears the failures counted for the e-mail', async () => {
    const portal = await startPortal({ LOGIN_MAX_ATTEMPTS_PER_EMAIL: '3', LOGIN_MAX_ATTEMPTS_PER_IP: '100' });
    const { admin } = await createAccount(portal.db);
    for (const round of [1, 2]) {
      for (let i = 0; i < 2; i++) expect((await login(agent(portal), admin.email, 'wrong password')).status).to.equal(401);
      expect((await login(agent(portal), admin.email, PASSWORD)).status, `round ${round}`).to.equal(303);
    }
  });

  it('an e-mail far longer than any real address gets the generic answer', async () => {
    const portal = await sharedPortal();
    await createAccount(portal.db);
    const res = await login(agent(portal), `${'a'.repeat(400)}@example.test`, PASSWORD);
    expect(res.status).to.equal(401);
    expect(res.text).to.contain(INVALID);
  });

  it('counts unknown e-mails too, so guessing addresses is limited as well', async () => {
    const portal = await startPortal({ LOGIN_MAX_ATTEMPTS_PER_EMAIL: '3', LOGIN_MAX_ATTEMPTS_PER_IP: '100' });
    await createAccount(portal.db);
    const unknown = uniqueEmail('ghost');
    for (let i = 0; i < 3; i++) expect((await login(agent(portal), unknown, PASSWORD)).status).to.equal(401);
    const res = await login(agent(portal), unknown, PASSWORD);
    expect(res.status).to.equal(429);
    expect(res.text).to.contain(TOO_MANY);
  });

  it('30 wrong passwords for one e-mail sent at once: at most 5 are checked, the rest get the lock message', async () => {
    const portal = await startPortal({ LOGIN_MAX_ATTEMPTS_PER_EMAIL: '5', LOGIN_MAX_ATTEMPTS_PER_IP: '100' });
    const { admin } = await createAccount(portal.db);
    const agents = Array.from({ length: 30 }, () => agent(portal));
    const tokens = await Promise.all(agents.map((a) => csrfFrom(a, '/login')));
    const answers = await Promise.all(agents.map((a, i) => a.post('/login').type('form').send({ _csrf: tokens[i], email: admin.email, password: `wrong password ${i}` })));
    const checked = answers.filter((r) => r.status === 401);
    const refused = answers.filter((r) => r.status === 429);
    expect(checked.length).to.be.within(1, 5);
    expect(checked.length + refused.length).to.equal(30);
    for (const r of refused) expect(r.text).to.contain(TOO_MANY);
    expect((await login(agent(portal), admin.email, PASSWORD)).status).to.equal(429);
  });

  it('an accented or upper-case spelling of a blocked e-mail is blocked as well (one person, one counter)', async () => {
    const portal = await startPortal({ LOGIN_MAX_ATTEMPTS_PER_EMAIL: '3', LOGIN_MAX_ATTEMPTS_PER_IP: '100' });
    const { admin } = await createAccount(portal.db);
    for (let i = 0; i < 3; i++) expect((await login(agent(portal), admin.email, `wrong password ${i}`)).status).to.equal(401);
    // "owner.…" as "ówner.…": MySQL's accent-insensitive collation finds the same user.
    const variant = admin.email.replace(/^o/, 'ó').toUpperCase();
    const res = await login(agent(portal), variant, PASSWORD);
    expect(res.status).to.equal(429);
    expect(res.text).to.contain(TOO_MANY);
  });

  it('behind TRUST_PROXY=1, an X-Forwarded-For the client writes itself does not escape the per-IP limit', async () => {
    const portal = await startPortal({ TRUST_PROXY: '1', LOGIN_MAX_ATTEMPTS_PER_EMAIL: '100', LOGIN_MAX_ATTEMPTS_PER_IP: '3' });
    const { admin } = await createAccount(portal.db);
    // The proxy appends the address it saw (203.0.113.7); whatever came before is the client's say.
    const viaProxy = async (email: string, password: string, i: number) => {
      const a = agent(portal);
      const forwarded = `198.51.100.${i}, 203.0.113.7`;
      const token = /name="_csrf" value="([^"]+)"/.exec((await a.get('/login').set('X-Forwarded-For', forwarded)).text)![1]!;
      return a.post('/login').set('X-Forwarded-For', forwarded).type('form').send({ _csrf: token, email, password });
    };
    for (let i = 0; i < 3; i++) expect((await viaProxy(uniqueEmail('spray'), 'whatever-password', i)).status).to.equal(401);
    const res = await viaProxy(admin.email, PASSWORD, 99);
    expect(res.status).to.equal(429);
    expect(res.text).to.contain(TOO_MANY);
  });

  it('after LOGIN_MAX_ATTEMPTS_PER_IP failures from one IP, refuses every e-mail from it with 429', async () => {
    const portal = await startPortal({ LOGIN_MAX_ATTEMPTS_PER_EMAIL: '100', LOGIN_MAX_ATTEMPTS_PER_IP: '3' });
    const { admin } = await createAccount(portal.db);
    for (let i = 0; i < 3; i++) expect((await login(agent(portal), uniqueEmail('spray'), 'whatever-password')).status).to.equal(401);
    const res = await login(agent(portal), admin.email, PASSWORD);
    expect(res.status).to.equal(429);
    expect(res.text).to.contain(TOO_MANY);
  });
});

describe('account picker and layout', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  it('lists every account of a user who belongs to several, and each one opens', async () => {
    const first = await createAccount(portal.db, { name: `Alfa Comércio ${Date.now()}` });
    const second = await createAccount(portal.db, { name: `Beta Serviços ${Date.now()}` });
    await addMember(portal.db, second.accountId, { email: first.admin.email, name: first.admin.name });
    const { agent: a } = await loggedIn(portal, first.admin.email, PASSWORD);
    const res = await a.get('/accounts');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Escolha a empresa');
    expect(res.text).to.contain(`href="/accounts/${first.accountId}"`);
    expect(res.text).to.contain(`href="/accounts/${second.accountId}"`);
    expect(res.text).to.contain('Alfa Comércio');
    expect(res.text).to.contain('Beta Serviços');
    for (const id of [first.accountId, second.accountId]) expect((await a.get(`/accounts/${id}`)).status).to.equal(200);
  });

  it('does not list an account where the contact is deactivated', async () => {
    const first = await createAccount(portal.db);
    const second = await createAccount(portal.db);
    await addMember(portal.db, second.accountId, { email: first.admin.email, status: 'deactivated' });
    const { agent: a } = await loggedIn(portal, first.admin.email, PASSWORD);
    const res = await a.get('/accounts');
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal(`/accounts/${first.accountId}`);
  });

  it("answers 404 for another account's id, a missing id and a malformed one", async () => {
    const mine = await createAccount(portal.db);
    const theirs = await createAccount(portal.db, { name: `Outra Empresa ${Date.now()}` });
    const { agent: a } = await loggedIn(portal, mine.admin.email, PASSWORD);
    for (const path of [`/accounts/${theirs.accountId}`, '/accounts/99999999', '/accounts/abc']) {
      const res = await a.get(path);
      expect(res.status, path).to.equal(404);
      expect(res.text, path).to.contain('Página não encontrada');
      expect(res.text, path).not.to.contain('Outra Empresa');
    }
  });

  it('the layout shows the account name, the user name, "Meu perfil" and "Sair"', async () => {
    const { admin, accountId } = await createAccount(portal.db, { name: 'Comercial Layout Ltda' });
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.get(`/accounts/${accountId}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/class="account-name">Comercial Layout Ltda</);
    expect(userName(res.text)).to.equal(admin.name);
    expect(res.text).to.match(/<a [^>]*href="\/me"[^>]*>Meu perfil<\/a>/);
    expect(res.text).to.match(/<form [^>]*action="\/logout"[^>]*>[\s\S]*?<button [^>]*>Sair<\/button>/);
  });

  it('the menu shows "Usuários do Sistema" to an administrator', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.get(`/accounts/${accountId}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.contain(`href="/accounts/${accountId}/contacts"`);
    expect(res.text).to.contain('Usuários do Sistema');
  });

  it("the menu does not show \"Usuários do Sistema\" to a 'member'", async () => {
    const { accountId } = await createAccount(portal.db, { name: 'Membros S.A.' });
    const member = await addMember(portal.db, accountId, { profile: 'member', name: 'Bruno Membro' });
    const { agent: a } = await loggedIn(portal, member.email, PASSWORD);
    const res = await a.get(`/accounts/${accountId}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Membros S.A.');
    expect(userName(res.text)).to.equal('Bruno Membro');
    expect(res.text).not.to.contain('Usuários do Sistema');
    expect(res.text).not.to.contain(`href="/accounts/${accountId}/contacts"`);
  });

  it('a contact deactivated during an open session loses access on the next request', async () => {
    const { accountId } = await createAccount(portal.db);
    const member = await addMember(portal.db, accountId);
    const { agent: a } = await loggedIn(portal, member.email, PASSWORD);
    expect((await a.get(`/accounts/${accountId}`)).status).to.equal(200);

    await portal.db('contacts').where({ id: member.contactId }).update({ status: 'deactivated' });

    const res = await a.get(`/accounts/${accountId}`);
    expect(res.status).to.equal(404);
    expect(res.text).to.contain('Página não encontrada');
    const picker = await a.get('/accounts');
    expect(picker.status).to.equal(200);
    expect(picker.text).to.contain(NO_ACCESS);
    expect(picker.text).not.to.contain(`href="/accounts/${accountId}"`);
  });
});

describe('anonymous visits', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
    await createAccount(portal.db); // so / leads to /login, not /setup
  });

  const sessionRows = async () => Number((await portal.db('sessions').count({ n: '*' }).first())!.n);

  it('a visit with nothing to keep (home, a missing page, health, a stylesheet) stores no session and sets no cookie', async () => {
    const before = await sessionRows();
    for (const path of ['/', '/no-such-page', '/healthz', '/public/css/portal.css', '/public/no-such-file.css']) {
      const res = await supertest(portal.app).get(path);
      expect(res.status, path).to.be.oneOf([200, 302, 404]);
      expect(sessionCookie(res), path).to.equal(undefined);
    }
    const missing = await supertest(portal.app).get('/no-such-page');
    expect(missing.status).to.equal(404);
    expect(missing.text).to.contain('Página não encontrada');
    expect(await sessionRows()).to.equal(before);
  });

  it('the login form keeps its CSRF token in a session, stored once the form is shown', async () => {
    const before = await sessionRows();
    const a = agent(portal);
    const page = await a.get('/login');
    const cookie = sessionCookie(page);
    expect(cookie).to.be.a('string');
    expect(await sessionRows()).to.equal(before + 1);
    // Shown again, the same session and token serve.
    const again = await a.get('/login');
    expect(sessionCookie(again) ?? cookie).to.equal(cookie);
    expect(/name="_csrf" value="([^"]+)"/.exec(again.text)?.[1]).to.equal(/name="_csrf" value="([^"]+)"/.exec(page.text)?.[1]);
    expect(await sessionRows()).to.equal(before + 1);
  });
});

describe('session idle timeout', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  const sidOf = (cookie: string) => {
    const signed = decodeURIComponent(cookie.slice('portal.sid='.length)); // "s:<sid>.<signature>"
    return signed.slice(2, signed.lastIndexOf('.'));
  };
  /** An expiry as connect-session-knex writes it: a UTC DATETIME on MySQL, an ISO string on SQLite. */
  const storedExpiry = (date: Date) => (portal.db.client.config.client === 'mysql2' ? date.toISOString().slice(0, 19).replace('T', ' ') : date.toISOString());
  const expiresAt = async (sid: string) => new Date((await portal.db('sessions').where({ sid }).first()).expired).getTime();

  it('a page view renews the expiry; a session idle past it no longer opens any page', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const a = agent(portal);
    const sid = sidOf(sessionCookie(await login(a, admin.email, PASSWORD))!);
    // As if the user had been idle for most of the timeout.
    await portal.db('sessions').where({ sid }).update({ expired: storedExpiry(new Date(Date.now() + 90_000)) });
    expect((await a.get(`/accounts/${accountId}/contacts`)).status).to.equal(200);
    // The renewal is written after the page went out: wait for it (at most 2 s).
    const renewedBy = Date.now() + 25 * 60_000;
    for (let i = 0; i < 40 && (await expiresAt(sid)) < renewedBy; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await expiresAt(sid)).to.be.greaterThan(renewedBy);

    await portal.db('sessions').where({ sid }).update({ expired: storedExpiry(new Date(Date.now() - 1_000)) });
    const res = await a.get(`/accounts/${accountId}/contacts`);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/login');
  });
});

describe('session absolute lifetime', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  const sidOf = (cookie: string) => {
    const signed = decodeURIComponent(cookie.slice('portal.sid='.length));
    return signed.slice(2, signed.lastIndexOf('.'));
  };
  /** Moves the session's login time back, as if the person had signed in `hours` ago and kept using it. */
  const signedInHoursAgo = async (sid: string, hours: number) => {
    const row = await portal.db('sessions').where({ sid }).first('sess');
    const sess = JSON.parse(row.sess);
    expect(sess.signedInAt, 'the login time is kept in the session').to.be.a('number');
    sess.signedInAt = Date.now() - hours * 3_600_000;
    await portal.db('sessions').where({ sid }).update({ sess: JSON.stringify(sess) });
  };

  it('a session in use for less than SESSION_MAX_HOURS (12 by default) still opens pages', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const a = agent(portal);
    const sid = sidOf(sessionCookie(await login(a, admin.email, PASSWORD))!);
    await signedInHoursAgo(sid, 11.9);
    expect((await a.get(`/accounts/${accountId}`)).status).to.equal(200);
  });

  it('a session signed in longer ago than SESSION_MAX_HOURS ends, however active it was', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const a = agent(portal);
    const sid = sidOf(sessionCookie(await login(a, admin.email, PASSWORD))!);
    await signedInHoursAgo(sid, 12.1);
    const res = await a.get(`/accounts/${accountId}`);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/login');
    expect(await portal.db('sessions').where({ sid }).first()).to.equal(undefined);
    // Signing in again starts a new lifetime.
    expect((await login(a, admin.email, PASSWORD)).status).to.equal(303);
    expect((await a.get(`/accounts/${accountId}`)).status).to.equal(200);
  });

  it('SESSION_MAX_HOURS sets the lifetime', async () => {
    const short = await startPortal({ SESSION_MAX_HOURS: '1' });
    const { admin, accountId } = await createAccount(short.db);
    const a = agent(short);
    const sid = sidOf(sessionCookie(await login(a, admin.email, PASSWORD))!);
    const row = await short.db('sessions').where({ sid }).first('sess');
    const sess = JSON.parse(row.sess);
    sess.signedInAt = Date.now() - 61 * 60_000;
    await short.db('sessions').where({ sid }).update({ sess: JSON.stringify(sess) });
    expect((await a.get(`/accounts/${accountId}`)).headers.location).to.equal('/login');
  });
});
