import { enrol } from './helpers/two-factor';
import { expect } from 'chai';
import { generate } from 'otplib';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { PasskeyRepository } from '../../server/auth/passkeys.repository';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest, migratorOptions } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount, PASSWORD } from '../support/fixtures';
import { sharedSmtp, to } from '../support/mail';
import { agent, csrfFrom, loggedIn, login, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { SoftAuthenticator } from '../support/webauthn';
import { validContact } from './helpers/contacts';
import { ageSessions, postReplay } from './helpers/security';

/** The test portal's PUBLIC_URL: the origin a browser reports and the relying party's id (portal.test). */
const ORIGIN = 'http://portal.test';
const REFUSED = 'Não foi possível confirmar a chave de acesso. Tente novamente.';
const EXPIRED = 'O pedido expirou. Tente novamente.';

const decodeHtml = (s: string) => s.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('passkeys (WebAuthn second factor)', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  const passkeysOf = (userId: number) => portal.db('passkeys').where({ user_id: userId }).orderBy('id').select('id', 'name', 'credential_id', 'last_used_at');
  const flashOn = async (a: Agent, path: string) => decodeHtml((await a.get(path)).text);

  /** Step one of adding: the name, then the page carrying the registration options. */
  async function registrationOptions(a: Agent, csrf: string, name: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const page = await a.post('/me/passkeys/new').type('form').send({ _csrf: csrf, passkeyName: name });
    expect(page.status, 'the registration page').to.equal(200);
    return JSON.parse(decodeHtml(/data-options="([^"]+)"/.exec(page.text)![1]!));
  }

  async function addPasskey(a: Agent, csrf: string, name: string, auth = new SoftAuthenticator(ORIGIN)) {
    const options = await registrationOptions(a, csrf, name);
    const res = await a.post('/me/passkeys').type('form').send({ _csrf: csrf, response: JSON.stringify(auth.register(options)) });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/me#passkeys');
    return auth;
  }

  /** An account administrator signed in with the password, with one passkey. */
  async function withPasskey(name = 'Notebook do trabalho') {
    const account = await createAccount(portal.db);
    const session = await loggedIn(portal, account.admin.email, PASSWORD);
    const auth = await addPasskey(session.agent, session.csrf, name);
    return { ...account, ...session, auth };
  }

  async function passwordStep(email: string): Promise<{ agent: Agent; csrf: string }> {
    const a = agent(portal);
    const res = await login(a, email, PASSWORD);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login/code');
    return { agent: a, csrf: await csrfFrom(a, '/login/code') };
  }

  async function assertionOptions(a: Agent, csrf: string, url: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const res = await a.post(url).set('x-csrf-token', csrf).set('accept', 'application/json');
    expect(res.status, url).to.equal(200);
    return res.body;
  }

  const sendAssertion = (a: Agent, csrf: string, url: string, response: unknown) => a.post(url).type('form').send({ _csrf: csrf, response: JSON.stringify(response) });

  async function mailSaying(email: string, text: string) {
    await portal.deliverMail();
    return (await sharedSmtp()).waitFor((m) => to(email)(m) && (m.text ?? '').includes(text));
  }

  it('adding a passkey asks for a fresh step-up first, keeps the name, lists it, mails the person and audits no key material', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    await ageSessions(portal.db, admin.userId, 16);

    const asked = await a.post('/me/passkeys/new').type('form').send({ _csrf: csrf, passkeyName: 'Notebook do trabalho' });
    expect(asked.status).to.equal(303);
    expect(asked.headers.location).to.equal('/step-up');
    const confirmed = await a.post('/step-up').type('form').send({ _csrf: csrf, password: PASSWORD });
    expect(confirmed.headers.location).to.equal('/step-up/continue');
    const page = await postReplay(a, (await a.get('/step-up/continue')).text);
    expect(page.status).to.equal(200);
    expect(decodeHtml(page.text)).to.contain('A chave será salva como "Notebook do trabalho".');
    const options: PublicKeyCredentialCreationOptionsJSON = JSON.parse(decodeHtml(/data-options="([^"]+)"/.exec(page.text)![1]!));
    expect(options.rp.id).to.equal('portal.test');
    expect(options.user.name).to.equal(admin.email);
    const auth = new SoftAuthenticator(ORIGIN);
    const added = await a.post('/me/passkeys').type('form').send({ _csrf: csrf, response: JSON.stringify(auth.register(options)) });
    expect(added.headers.location).to.equal('/me#passkeys');

    await addPasskey(a, csrf, 'Celular');
    const me = await flashOn(a, '/me');
    expect(me).to.contain('Chave de acesso "Celular" adicionada.');
    expect(me).to.contain('Notebook do trabalho');
    expect(me).to.contain('ainda não usada');
    const rows = await passkeysOf(admin.userId);
    expect(rows.map((r) => r.name)).to.deep.equal(['Notebook do trabalho', 'Celular']);
    expect(rows[0].credential_id).to.equal(auth.id);

    // The same name twice would make "Remover" ambiguous.
    await a.post('/me/passkeys/new').type('form').send({ _csrf: csrf, passkeyName: ' celular ' });
    expect(await flashOn(a, '/me')).to.contain('Você já tem uma chave de acesso com este nome.');

    const mail = await mailSaying(admin.email, 'uma chave de acesso foi cadastrada (Notebook do trabalho)');
    expect(mail.subject).to.equal('A forma de entrar na sua conta do Portal mudou');
    const events = await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.passkey_added' }).select('details');
    expect(events).to.have.length(2);
    const stored = await portal.db('passkeys').where({ user_id: admin.userId }).select('public_key', 'credential_id');
    for (const { public_key, credential_id } of stored) {
      expect(JSON.stringify(events)).not.to.contain(public_key);
      expect(JSON.stringify(events)).not.to.contain(credential_id);
    }
  });

  it('the registration answer is refused once the step-up is stale, from another session, a second time, or made for another site', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const other = await loggedIn(portal, admin.email, PASSWORD);

    // Made for this session's challenge, answered in another session of the same person.
    const options = await registrationOptions(a, csrf, 'Chave USB');
    const answer = new SoftAuthenticator(ORIGIN).register(options);
    await other.agent.post('/me/passkeys').type('form').send({ _csrf: other.csrf, response: JSON.stringify(answer) });
    expect(await flashOn(other.agent, '/me')).to.contain(EXPIRED);
    expect(await passkeysOf(admin.userId)).to.have.length(0);

    // For another site (a phishing page relaying the ceremony): its origin is in what was signed.
    const phished = await registrationOptions(a, csrf, 'Chave USB');
    await a.post('/me/passkeys').type('form').send({ _csrf: csrf, response: JSON.stringify(new SoftAuthenticator('http://evil.test').register(phished)) });
    expect(await flashOn(a, '/me')).to.contain(REFUSED);
    expect(await passkeysOf(admin.userId)).to.have.length(0);

    // The step-up went stale between the two steps: asked again, and the kept answer goes in after it.
    const fresh = await registrationOptions(a, csrf, 'Chave USB');
    const kept = new SoftAuthenticator(ORIGIN).register(fresh);
    await ageSessions(portal.db, admin.userId, 16);
    const stale = await a.post('/me/passkeys').type('form').send({ _csrf: csrf, response: JSON.stringify(kept) });
    expect(stale.headers.location).to.equal('/step-up');
    expect(await passkeysOf(admin.userId)).to.have.length(0);
    await a.post('/step-up').type('form').send({ _csrf: csrf, password: PASSWORD });
    expect((await postReplay(a, (await a.get('/step-up/continue')).text)).headers.location).to.equal('/me#passkeys');
    expect((await passkeysOf(admin.userId)).map((r) => r.name)).to.deep.equal(['Chave USB']);

    // The challenge was spent: the same answer again adds nothing.
    await a.post('/me/passkeys').type('form').send({ _csrf: csrf, response: JSON.stringify(kept) });
    expect(await flashOn(a, '/me')).to.contain(EXPIRED);
    expect(await passkeysOf(admin.userId)).to.have.length(1);
  });

  it('registering proves nothing: it neither confirms a step-up nor counts as a second factor', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    await ageSessions(portal.db, admin.userId, 14);
    await addPasskey(a, csrf, 'Notebook do trabalho');
    await ageSessions(portal.db, admin.userId, 2);
    const res = await a.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...validContact() });
    expect(res.headers.location).to.equal('/step-up');

    // Where the company asks administrators for a second factor, the enrolling session still has none.
    const strict = await createAccount(portal.db);
    await portal.db('account_security').insert({ account_id: strict.accountId, require_second_factor: true, updated_at: new Date() });
    const s = await loggedIn(portal, strict.admin.email, PASSWORD);
    await addPasskey(s.agent, s.csrf, 'Celular');
    const asked = await s.agent.post(`/accounts/${strict.accountId}/contacts`).type('form').send({ _csrf: s.csrf, ...validContact() });
    expect(asked.headers.location).to.equal('/step-up');
  });

  it('sign-in: after the password a person with a passkey owes it; password + passkey signs in and counts as a second factor', async () => {
    const { admin, accountId, auth } = await withPasskey();
    await portal.db('account_security').insert({ account_id: accountId, require_second_factor: true, updated_at: new Date() });
    const { agent: a, csrf } = await passwordStep(admin.email);
    expect((await a.get('/me')).headers.location).to.equal('/login');
    const page = await a.get('/login/code');
    expect(page.text).to.contain('Usar chave de acesso');
    expect(page.text).to.contain('src="/public/vendor/simplewebauthn-browser.min.js"');
    expect(page.text, 'no TOTP on: no code field').not.to.contain('name="code"');
    expect((await a.get('/public/vendor/simplewebauthn-browser.min.js')).text).to.contain('SimpleWebAuthnBrowser');

    const options = await assertionOptions(a, csrf, '/login/passkey/options');
    expect(options.rpId).to.equal('portal.test');
    expect(options.allowCredentials!.map((c) => c.id)).to.deep.equal([auth.id]);
    const res = await sendAssertion(a, csrf, '/login/passkey', auth.authenticate(options));
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/accounts');
    const me = await a.get('/me');
    expect(me.status).to.equal(200);
    expect(me.text).to.contain('último uso em');

    // A proven second factor: the company's rule for administrators is met without asking again.
    const meCsrf = await csrfFrom(a, '/me');
    const add = await a.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: meCsrf, ...validContact() });
    expect(add.headers.location).not.to.equal('/step-up');
    const events = await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.passkey_used' }).select('details');
    expect(events.map((e) => JSON.parse(e.details).purpose)).to.deep.equal(['sign-in']);
  });

  it('a person with an authenticator app and a passkey is offered both, and either signs in', async () => {
    const { admin, auth, agent: a, csrf } = await withPasskey();
    const { secret } = await enrol(a, csrf);
    const codeAt = (steps: number) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });

    const byCode = await passwordStep(admin.email);
    const page = await byCode.agent.get('/login/code');
    expect(page.text).to.contain('name="code"');
    expect(page.text).to.contain('Usar chave de acesso');
    expect((await byCode.agent.post('/login/code').type('form').send({ _csrf: byCode.csrf, code: await codeAt(0) })).headers.location).to.equal('/accounts');

    const byPasskey = await passwordStep(admin.email);
    const options = await assertionOptions(byPasskey.agent, byPasskey.csrf, '/login/passkey/options');
    expect((await sendAssertion(byPasskey.agent, byPasskey.csrf, '/login/passkey', auth.authenticate(options))).headers.location).to.equal('/accounts');
  });

  it("an assertion made with another person's passkey is refused, and that person is not signed in", async () => {
    const victim = await withPasskey('Chave da Bia');
    const attacker = await withPasskey('Chave do Caio');
    const { agent: a, csrf } = await passwordStep(victim.admin.email);
    const options = await assertionOptions(a, csrf, '/login/passkey/options');
    // The attacker's own authenticator answers the victim's challenge: a valid signature, wrong owner.
    const res = await sendAssertion(a, csrf, '/login/passkey', attacker.auth.authenticate({ ...options, allowCredentials: [] }));
    expect(res.headers.location).to.equal('/login/code');
    expect(await flashOn(a, '/login/code')).to.contain(REFUSED);
    expect((await a.get('/me')).headers.location).to.equal('/login');
  });

  it("sign-in refuses a replayed answer, another session's challenge, another site's and a counter that went back", async () => {
    const { admin, auth } = await withPasskey();
    const first = await passwordStep(admin.email);
    const second = await passwordStep(admin.email);
    const firstOptions = await assertionOptions(first.agent, first.csrf, '/login/passkey/options');
    await assertionOptions(second.agent, second.csrf, '/login/passkey/options');
    const answer = auth.authenticate(firstOptions);

    // Answered in the other session: its own challenge differs, and it is spent by the attempt.
    await sendAssertion(second.agent, second.csrf, '/login/passkey', answer);
    expect(await flashOn(second.agent, '/login/code')).to.contain(REFUSED);
    expect((await second.agent.get('/me')).headers.location).to.equal('/login');

    expect((await sendAssertion(first.agent, first.csrf, '/login/passkey', answer)).headers.location).to.equal('/accounts');

    // The same answer later, in a new login that asked for (or never asked for) options.
    const third = await passwordStep(admin.email);
    await sendAssertion(third.agent, third.csrf, '/login/passkey', answer);
    expect(await flashOn(third.agent, '/login/code')).to.contain(EXPIRED);
    await assertionOptions(third.agent, third.csrf, '/login/passkey/options');
    await sendAssertion(third.agent, third.csrf, '/login/passkey', answer);
    expect(await flashOn(third.agent, '/login/code')).to.contain(REFUSED);

    const phished = await assertionOptions(third.agent, third.csrf, '/login/passkey/options');
    await sendAssertion(third.agent, third.csrf, '/login/passkey', auth.authenticate(phished, { rpId: 'evil.test' }));
    expect(await flashOn(third.agent, '/login/code')).to.contain(REFUSED);

    // A signature counter below the last one seen: a cloned authenticator.
    const cloned = await assertionOptions(third.agent, third.csrf, '/login/passkey/options');
    await sendAssertion(third.agent, third.csrf, '/login/passkey', auth.authenticate(cloned, { counter: 1 }));
    expect(await flashOn(third.agent, '/login/code')).to.contain(REFUSED);
    expect((await third.agent.get('/me')).headers.location).to.equal('/login');
  });

  it('a challenge answered after five minutes is refused', async () => {
    const { admin, auth } = await withPasskey();
    const { agent: a, csrf } = await passwordStep(admin.email);
    const options = await assertionOptions(a, csrf, '/login/passkey/options');
    // The challenge (not the login waiting for it) was handed out six minutes ago.
    for (const row of await portal.db('sessions').select('sid', 'sess')) {
      let sess;
      try {
        sess = JSON.parse(row.sess);
      } catch {
        continue;
      }
      if (sess?.passkeyChallenge?.userId !== admin.userId) continue;
      sess.passkeyChallenge.at -= 6 * 60_000;
      await portal.db('sessions').where({ sid: row.sid }).update({ sess: JSON.stringify(sess) });
    }
    await sendAssertion(a, csrf, '/login/passkey', auth.authenticate(options));
    expect(await flashOn(a, '/login/code')).to.contain(EXPIRED);
    expect((await a.get('/me')).headers.location).to.equal('/login');
  });

  it('step-up with a passkey confirms, counts as a second factor, and its answer works once', async () => {
    const { admin, accountId, auth, agent: a, csrf } = await withPasskey();
    await portal.db('account_security').insert({ account_id: accountId, require_second_factor: true, updated_at: new Date() });
    const form = validContact({ name: 'Paula Passkey' });
    expect((await a.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...form })).headers.location).to.equal('/step-up');
    const page = await a.get('/step-up');
    expect(page.text).to.contain('Usar chave de acesso');
    // The password is not enough for this administrator.
    expect((await a.post('/step-up').type('form').send({ _csrf: csrf, password: PASSWORD })).status).to.equal(403);

    const options = await assertionOptions(a, csrf, '/step-up/passkey/options');
    const answer = auth.authenticate(options);
    const res = await sendAssertion(a, csrf, '/step-up/passkey', answer);
    expect(res.headers.location).to.equal('/step-up/continue');
    const done = await postReplay(a, (await a.get('/step-up/continue')).text);
    expect(done.status).to.equal(303);
    expect(await portal.db('contacts').where({ account_id: accountId, email: form.email }).first()).to.not.equal(undefined);
    const approved = await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.step_up_approved' }).select('details');
    expect(approved.map((e) => JSON.parse(e.details).method)).to.deep.equal(['passkey']);

    // Asked again later: the answer already given does not confirm a second time.
    await ageSessions(portal.db, admin.userId, 16);
    await a.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...validContact() });
    expect((await sendAssertion(a, csrf, '/step-up/passkey', answer)).headers.location).to.equal('/step-up');
    expect(await flashOn(a, '/step-up')).to.contain(EXPIRED);
    expect((await a.get('/step-up/continue')).headers.location).to.equal('/accounts');

    // Someone without passkeys is not offered one.
    const plain = await createAccount(portal.db);
    const p = await loggedIn(portal, plain.admin.email, PASSWORD);
    await ageSessions(portal.db, plain.admin.userId, 16);
    await p.agent.post(`/accounts/${plain.accountId}/contacts`).type('form').send({ _csrf: p.csrf, ...validContact() });
    expect((await p.agent.get('/step-up')).text).not.to.contain('Usar chave de acesso');
  });

  it("removing needs a fresh step-up; another person's passkey is a 404; the person is mailed; with none left the login asks no second step", async () => {
    const owner = await withPasskey('Notebook do trabalho');
    const intruder = await withPasskey('Outra');
    const [target] = await passkeysOf(owner.admin.userId);

    const foreign = await intruder.agent.post(`/me/passkeys/${target.id}/delete`).type('form').send({ _csrf: intruder.csrf });
    expect(foreign.status).to.equal(404);
    expect(await passkeysOf(owner.admin.userId)).to.have.length(1);

    await ageSessions(portal.db, owner.admin.userId, 16);
    const asked = await owner.agent.post(`/me/passkeys/${target.id}/delete`).type('form').send({ _csrf: owner.csrf });
    expect(asked.headers.location).to.equal('/step-up');
    expect(await passkeysOf(owner.admin.userId)).to.have.length(1);
    await owner.agent.post('/step-up').type('form').send({ _csrf: owner.csrf, password: PASSWORD });
    const removed = await postReplay(owner.agent, (await owner.agent.get('/step-up/continue')).text);
    expect(removed.headers.location).to.equal('/me#passkeys');
    expect(await flashOn(owner.agent, '/me')).to.contain('Chave de acesso "Notebook do trabalho" removida.');
    expect(await passkeysOf(owner.admin.userId)).to.have.length(0);
    await mailSaying(owner.admin.email, 'uma chave de acesso foi removida (Notebook do trabalho)');
    const events = await portal.db('audit_events').where({ actor_user_id: owner.admin.userId, action: 'user.passkey_removed' }).select('details');
    expect(events).to.have.length(1);

    const res = await login(agent(portal), owner.admin.email, PASSWORD);
    expect(res.headers.location).to.equal('/accounts');

    // An administrator's "reset second factor" removes them all at once.
    const repo = new PasskeyRepository();
    expect(await portal.db.transaction((trx) => repo.deleteAllOf(trx, intruder.admin.userId))).to.equal(1);
    expect(await passkeysOf(intruder.admin.userId)).to.have.length(0);
  });

  it('migration: down drops the table, up makes it again; credential ids differing only in case are two passkeys', async () => {
    const db = createDb(loadConfig({ ...process.env, DATABASE_URL: await freshDatabaseUrl() }).database);
    try {
      await migrateLatest(db, [coreMigrations]);
      await db.migrate.down({ ...migratorOptions(coreMigrations), name: '20261203000011_passkeys' });
      expect(await db.schema.hasTable('passkeys')).to.equal(false);
      await db.migrate.up({ ...migratorOptions(coreMigrations), name: '20261203000011_passkeys' });
      const { admin } = await createAccount(db);
      const row = (credential_id: string) => ({ user_id: admin.userId, credential_id, public_key: 'x', counter: 0, name: credential_id, created_at: new Date() });
      await db('passkeys').insert(row('aBc'));
      await db('passkeys').insert(row('AbC'));
      expect(await db('passkeys').where({ credential_id: 'aBc' }).select('name')).to.deep.equal([{ name: 'aBc' }]);
      let refused = false;
      await db('passkeys').insert(row('aBc')).catch(() => (refused = true));
      expect(refused, 'unique credential id').to.equal(true);
    } finally {
      await db.destroy();
    }
  });
});
