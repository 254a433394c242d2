import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { agent, csrfFrom, loggedIn, login, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { validContact } from './helpers/contacts';
import { ageSessions } from './helpers/security';
import { ageEnrolment, codeAt, enrol, factorMail, keyOn, recoveryCodesOn, startEnrolment } from './helpers/two-factor';

describe('two-step verification (TOTP)', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  /** An administrator who turned two-step verification on; the code of the previous step was spent doing it. */
  async function enrolled() {
    const account = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, account.admin.email, PASSWORD);
    return { ...account, agent: a, csrf, ...(await enrol(a, csrf)) };
  }

  async function passwordStep(email: string): Promise<Agent> {
    const a = agent(portal);
    const res = await login(a, email, PASSWORD);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login/code');
    return a;
  }

  async function sendCode(a: Agent, code: string) {
    const csrf = await csrfFrom(a, '/login/code');
    return a.post('/login/code').type('form').send({ _csrf: csrf, code });
  }

  const totpOf = (userId: number) => portal.db('users').where({ id: userId }).first('totp_secret', 'totp_enabled_at');

  it('enrolment shows the QR code and the key, a wrong first code is refused, a right one gives ten recovery codes', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    expect((await a.get('/me')).text).to.contain('action="/me/two-factor/start"');
    const secret = await startEnrolment(a, csrf);
    // Nothing is kept in the database before the first code: the key lives in this session only.
    expect(await totpOf(admin.userId)).to.deep.equal({ totp_secret: null, totp_enabled_at: null });
    const right = await codeAt(secret, 0);
    const wrong = await a.post('/me/two-factor').type('form').send({ _csrf: csrf, code: String((Number(right) + 1) % 1_000_000).padStart(6, '0') });
    expect(wrong.status).to.equal(422);
    expect(wrong.text).to.contain('Código inválido ou já utilizado.');
    expect(keyOn(wrong.text)).to.equal(secret);
    // Shown in groups of four, as people copy it into an authenticator app.
    expect(wrong.text).to.contain(`<code id="totp-secret">${secret.match(/.{1,4}/g)!.join(' ')}</code>`);
    const ok = await a.post('/me/two-factor').type('form').send({ _csrf: csrf, code: right });
    expect(ok.status).to.equal(200);
    expect(recoveryCodesOn(ok.text)).to.have.length(10);
    // They can be kept as a file (a download of exactly these codes, one per line).
    const file = /<a class="button" download="([^"]+)" href="data:text\/plain;charset=utf-8,([^"]+)"/.exec(ok.text);
    expect(file?.[1]).to.equal('codigos-de-recuperacao.txt');
    expect(decodeURIComponent(file![2]!).trim().split('\n')).to.deep.equal(recoveryCodesOn(ok.text));

    const user = await totpOf(admin.userId);
    expect(user.totp_enabled_at).to.not.equal(null);
    expect(user.totp_secret).not.to.contain(secret);
    expect((await a.get('/me')).text).to.contain('Códigos de recuperação disponíveis: 10.');
    expect((await a.get('/me/two-factor')).headers.location).to.equal('/me');
    const events = await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.two_factor_enabled' }).select('details');
    expect(events).to.have.length(1);
    expect(JSON.stringify(events)).not.to.contain(secret);

    const mail = await factorMail(portal, admin.email, 'um aplicativo autenticador foi ativado');
    expect(mail.subject).to.equal('A forma de entrar na sua conta do Portal mudou');
    expect(mail.text).not.to.contain(secret);
  });

  describe('as an attacker holding the session', () => {
    it('a session whose login is older than 15 minutes cannot start an enrolment, nor see a key', async () => {
      const { admin } = await createAccount(portal.db);
      const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
      await ageSessions(portal.db, admin.userId, 16);
      const page = await a.get('/me/two-factor');
      expect(page.headers.location).to.equal('/me');
      expect(keyOn(page.text)).to.equal(null);
      const start = await a.post('/me/two-factor/start').type('form').send({ _csrf: csrf });
      expect(start.status).to.equal(303);
      expect(start.headers.location).to.equal('/step-up');
      expect((await a.get('/me/two-factor')).headers.location).to.equal('/me');
    });

    it('a key shown while the login was fresh cannot be enabled once it is stale', async () => {
      const { admin } = await createAccount(portal.db);
      const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
      const secret = await startEnrolment(a, csrf);
      await ageSessions(portal.db, admin.userId, 16);
      const res = await a.post('/me/two-factor').type('form').send({ _csrf: csrf, code: await codeAt(secret, 0) });
      expect(res.headers.location).to.equal('/step-up');
      expect((await totpOf(admin.userId)).totp_enabled_at).to.equal(null);
    });

    it('enabling proves no second factor: where the company asks administrators for one, the next act still asks for it', async () => {
      const { accountId, admin } = await createAccount(portal.db);
      await portal.db('account_security').insert({ account_id: accountId, require_second_factor: true, updated_at: new Date() });
      const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
      await enrol(a, csrf);
      const res = await a.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...validContact() });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal('/step-up');
    });

    it('a key seen on the enrolment page is worthless once the person starts again, in the same or another session', async () => {
      const { admin } = await createAccount(portal.db);
      const attacker = await loggedIn(portal, admin.email, PASSWORD);
      const seen = await startEnrolment(attacker.agent, attacker.csrf);
      const again = await startEnrolment(attacker.agent, attacker.csrf);
      expect(again).not.to.equal(seen);
      const stale = await attacker.agent.post('/me/two-factor').type('form').send({ _csrf: attacker.csrf, code: await codeAt(seen, 0) });
      expect(stale.status).to.equal(422);

      // The real person enrols in their own session; the key the attacker saw signs nobody in.
      const person = await loggedIn(portal, admin.email, PASSWORD);
      const { secret } = await enrol(person.agent, person.csrf);
      expect(secret).not.to.equal(seen);
      expect((await sendCode(await passwordStep(admin.email), await codeAt(seen, 0))).status).to.equal(422);
      expect((await sendCode(await passwordStep(admin.email), await codeAt(secret, 0))).status).to.equal(303);
    });

    it('an enrolment started in one session cannot be finished in another', async () => {
      const { admin } = await createAccount(portal.db);
      const first = await loggedIn(portal, admin.email, PASSWORD);
      const secret = await startEnrolment(first.agent, first.csrf);
      const other = await loggedIn(portal, admin.email, PASSWORD);
      expect((await other.agent.get('/me/two-factor')).headers.location).to.equal('/me');
      const res = await other.agent.post('/me/two-factor').type('form').send({ _csrf: other.csrf, code: await codeAt(secret, 0) });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal('/me');
      expect((await totpOf(admin.userId)).totp_enabled_at).to.equal(null);
      expect((await other.agent.get('/me')).text).to.contain('A configuração expirou ou não foi iniciada nesta sessão');
    });

    it('another person signed in on the same browser later cannot finish it either', async () => {
      const { accountId, admin } = await createAccount(portal.db);
      const member = await addMember(portal.db, accountId);
      const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
      const secret = await startEnrolment(a, csrf);
      await a.post('/logout').type('form').send({ _csrf: csrf });
      expect((await login(a, member.email, PASSWORD)).status).to.equal(303);
      const res = await a.post('/me/two-factor').type('form').send({ _csrf: await csrfFrom(a, '/me'), code: await codeAt(secret, 0) });
      expect(res.headers.location).to.equal('/me');
      expect((await totpOf(member.userId)).totp_enabled_at).to.equal(null);
      expect((await totpOf(admin.userId)).totp_enabled_at).to.equal(null);
    });

    it('the key expires after 10 minutes', async () => {
      const { admin } = await createAccount(portal.db);
      const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
      const secret = await startEnrolment(a, csrf);
      await ageEnrolment(portal.db, admin.userId, 11);
      expect((await a.get('/me/two-factor')).headers.location).to.equal('/me');
      const res = await a.post('/me/two-factor').type('form').send({ _csrf: csrf, code: await codeAt(secret, 0) });
      expect(res.headers.location).to.equal('/me');
      expect((await totpOf(admin.userId)).totp_enabled_at).to.equal(null);
    });

    it('a stale session can neither turn it off nor get new recovery codes', async () => {
      const { admin, secret, recoveryCodes, agent: a, csrf } = await enrolled();
      await ageSessions(portal.db, admin.userId, 16);
      const off = await a.post('/me/two-factor/disable').type('form').send({ _csrf: csrf, code: await codeAt(secret, 0) });
      expect(off.headers.location).to.equal('/step-up');
      const codes = await a.post('/me/two-factor/recovery-codes').type('form').send({ _csrf: csrf, code: await codeAt(secret, 1) });
      expect(codes.headers.location).to.equal('/step-up');
      expect((await totpOf(admin.userId)).totp_enabled_at).to.not.equal(null);
      expect((await sendCode(await passwordStep(admin.email), recoveryCodes[0]!)).status).to.equal(303);
    });
  });

  it('login asks for a code after the password; the session is not signed in until it is right', async () => {
    const { admin, secret, accountId } = await enrolled();
    const a = await passwordStep(admin.email);
    expect((await a.get('/me')).headers.location).to.equal('/login');
    expect((await a.get(`/accounts/${accountId}/contacts`)).status).to.equal(302);

    const wrong = await sendCode(a, '12345');
    expect(wrong.status).to.equal(422);
    expect((await a.get('/me')).headers.location).to.equal('/login');

    const ok = await sendCode(a, await codeAt(secret, 0));
    expect(ok.status).to.equal(303);
    expect(ok.headers.location).to.equal('/accounts');
    expect((await a.get('/me')).status).to.equal(200);
  });

  it('a replayed code (the same time step twice) is refused', async () => {
    const { admin, secret } = await enrolled();
    const code = await codeAt(secret, 0);
    expect((await sendCode(await passwordStep(admin.email), code)).status).to.equal(303);
    const replay = await sendCode(await passwordStep(admin.email), code);
    expect(replay.status).to.equal(422);
    expect(replay.text).to.contain('Código inválido ou já utilizado.');
    // And the code already spent to enable it works no more either.
    expect((await sendCode(await passwordStep(admin.email), await codeAt(secret, -1))).status).to.equal(422);
  });

  it('a recovery code signs in once, and its use is audited', async () => {
    const { admin, recoveryCodes } = await enrolled();
    const first = await sendCode(await passwordStep(admin.email), recoveryCodes[0]!.toUpperCase());
    expect(first.status).to.equal(303);
    const again = await sendCode(await passwordStep(admin.email), recoveryCodes[0]!);
    expect(again.status).to.equal(422);
    const events = await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.recovery_code_used' }).select('details');
    expect(events).to.have.length(1);
    expect(JSON.stringify(events)).not.to.contain(recoveryCodes[0]!);
  });

  it('wrong codes are limited', async () => {
    const { admin } = await enrolled();
    const a = await passwordStep(admin.email);
    for (let i = 0; i < 5; i++) expect((await sendCode(a, '000001')).status).to.equal(422);
    const limited = await sendCode(a, '000001');
    expect(limited.status).to.equal(429);
    expect(limited.text).to.contain('Muitas tentativas');
  });

  it('a TOTP code confirms a step-up, and counts as the second factor the company may require', async () => {
    const { admin, secret, accountId, agent: a, csrf } = await enrolled();
    await portal.db('account_security').insert({ account_id: accountId, require_second_factor: true, updated_at: new Date() });
    await ageSessions(portal.db, admin.userId, 16);
    const form = validContact({ name: 'Fábio Fator' });
    expect((await a.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...form })).headers.location).to.equal('/step-up');
    expect((await a.get('/step-up')).text).to.contain('name="code"');
    const confirmed = await a.post('/step-up').type('form').send({ _csrf: csrf, code: await codeAt(secret, 0) });
    expect(confirmed.status).to.equal(303);
    expect(confirmed.headers.location).to.equal('/step-up/continue');
  });

  it('new recovery codes need a current code, are shown once, and the old ones stop working', async () => {
    const { admin, secret, recoveryCodes, agent: a, csrf } = await enrolled();
    const wrong = await a.post('/me/two-factor/recovery-codes').type('form').send({ _csrf: csrf, code: '000001' });
    expect(wrong.status).to.equal(303);
    expect((await a.get('/me')).text).to.contain('Código inválido ou já utilizado.');
    const res = await a.post('/me/two-factor/recovery-codes').type('form').send({ _csrf: csrf, code: await codeAt(secret, 0) });
    expect(res.status).to.equal(200);
    const fresh = recoveryCodesOn(res.text);
    expect(fresh).to.have.length(10);
    expect(fresh).not.to.include(recoveryCodes[0]);
    expect((await a.get('/me')).text).not.to.contain(fresh[0]!);
    expect((await sendCode(await passwordStep(admin.email), recoveryCodes[1]!)).status).to.equal(422);
    expect((await sendCode(await passwordStep(admin.email), fresh[0]!)).status).to.equal(303);
    expect(await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.recovery_codes_regenerated' })).to.have.length(1);
    await factorMail(portal, admin.email, 'novos códigos de recuperação foram gerados');
  });

  it('turning it off needs a current code, is audited and told by e-mail', async () => {
    const { admin, secret, agent: a, csrf } = await enrolled();
    const wrong = await a.post('/me/two-factor/disable').type('form').send({ _csrf: csrf, code: '000001' });
    expect(wrong.status).to.equal(303);
    expect((await totpOf(admin.userId)).totp_enabled_at).to.not.equal(null);
    const res = await a.post('/me/two-factor/disable').type('form').send({ _csrf: csrf, code: await codeAt(secret, 0) });
    expect(res.status).to.equal(303);
    expect(await totpOf(admin.userId)).to.deep.equal({ totp_secret: null, totp_enabled_at: null });
    expect(await portal.db('recovery_codes').where({ user_id: admin.userId })).to.have.length(0);
    expect(await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.two_factor_disabled' })).to.have.length(1);
    expect((await login(agent(portal), admin.email, PASSWORD)).headers.location).to.equal('/accounts');
    await factorMail(portal, admin.email, 'o aplicativo autenticador foi desativado');
  });
});
