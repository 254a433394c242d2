import { expect } from 'chai';
import { generate } from 'otplib';
import { createAccount, PASSWORD } from '../support/fixtures';
import { agent, csrfFrom, loggedIn, login, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { validContact } from './helpers/contacts';
import { ageSessions } from './helpers/security';

/** The code an authenticator app shows `stepsFromNow` time steps away (each step is used once). */
const codeAt = (secret: string, stepsFromNow: number) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + stepsFromNow * 30 });

describe('two-step verification (TOTP)', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  /** An administrator who turned two-step verification on; the code of the previous step was spent doing it. */
  async function enrolled() {
    const account = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, account.admin.email, PASSWORD);
    const page = await a.get('/me/two-factor');
    expect(page.status).to.equal(200);
    expect(page.text).to.match(/<img class="qr-code" src="data:image\/png;base64,/);
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.text)![1]!;
    const enabled = await a.post('/me/two-factor').type('form').send({ _csrf: csrf, code: await codeAt(secret, -1) });
    expect(enabled.status).to.equal(200);
    const recoveryCodes = [...enabled.text.matchAll(/<li><code>([a-f0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);
    return { ...account, agent: a, csrf, secret, recoveryCodes };
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

  it('enrolment shows the QR code and the key, a wrong first code is refused, a right one gives ten recovery codes', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec((await a.get('/me/two-factor')).text)![1]!;
    const right = await codeAt(secret, 0);
    const wrong = await a.post('/me/two-factor').type('form').send({ _csrf: csrf, code: String((Number(right) + 1) % 1_000_000).padStart(6, '0') });
    expect(wrong.status).to.equal(422);
    expect(wrong.text).to.contain('Código inválido ou já utilizado.');
    const ok = await a.post('/me/two-factor').type('form').send({ _csrf: csrf, code: right });
    expect(ok.status).to.equal(200);
    expect([...ok.text.matchAll(/<li><code>[a-f0-9-]+<\/code><\/li>/g)]).to.have.length(10);

    const user = await portal.db('users').where({ id: admin.userId }).first('totp_secret', 'totp_enabled_at');
    expect(user.totp_enabled_at).to.not.equal(null);
    expect(user.totp_secret).not.to.contain(secret);
    expect((await a.get('/me')).text).to.contain('Códigos de recuperação disponíveis: 10.');
    expect((await a.get('/me/two-factor')).headers.location).to.equal('/me');
    const events = await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.two_factor_enabled' }).select('details');
    expect(events).to.have.length(1);
    expect(JSON.stringify(events)).not.to.contain(secret);
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

  it('turning it off needs the password and a code, and is audited', async () => {
    const { admin, secret, agent: a, csrf } = await enrolled();
    await a.post('/me/two-factor/disable').type('form').send({ _csrf: csrf, password: 'wrong password', code: await codeAt(secret, 0) });
    expect(await portal.db('users').where({ id: admin.userId }).first('totp_enabled_at').then((u) => u.totp_enabled_at)).to.not.equal(null);
    const res = await a.post('/me/two-factor/disable').type('form').send({ _csrf: csrf, password: PASSWORD, code: await codeAt(secret, 0) });
    expect(res.status).to.equal(303);
    const user = await portal.db('users').where({ id: admin.userId }).first('totp_secret', 'totp_enabled_at');
    expect(user).to.deep.equal({ totp_secret: null, totp_enabled_at: null });
    expect(await portal.db('recovery_codes').where({ user_id: admin.userId })).to.have.length(0);
    expect(await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.two_factor_disabled' })).to.have.length(1);
    expect((await login(agent(portal), admin.email, PASSWORD)).headers.location).to.equal('/accounts');
  });
});
