import { expect } from 'chai';
import { readableDetails } from '../../server/audit/event-format';
import { createAccount, PASSWORD } from '../support/fixtures';
import { agent, loggedIn, login, sharedPortal, startPortal, type TestPortal } from '../support/portal';

const NEW_PASSWORD = 'uma nova senha bem longa';
const TOO_MANY = 'Muitas tentativas de acesso. Tente novamente em 15 minuto(s).';

const userName = (html: string) => /class="user-name">([^<]*)</.exec(html)?.[1];
const fieldError = (html: string, name: string) => new RegExp(`id="f-${name}-error">([^<]*)<`).exec(html)?.[1];
function fieldValue(html: string, name: string): string | undefined {
  const input = new RegExp(`<input[^>]*\\bname="${name}"[^>]*>`).exec(html)?.[0];
  return input ? /\bvalue="([^"]*)"/.exec(input)?.[1] : undefined;
}

describe('Meu perfil (/me)', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  const auditOf = (userId: number, action: string) =>
    portal.db('audit_events').where({ actor_user_id: userId, action }).select('account_id', 'target_type', 'target_id', 'details', 'personal');

  it('needs a login', async () => {
    const res = await agent(portal).get('/me');
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/login');
  });

  it('shows the pt-BR page with the name and the e-mail', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.get('/me');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('<html lang="pt-BR">');
    expect(res.text).to.match(/<h1[^>]*>Meu perfil<\/h1>/);
    expect(fieldValue(res.text, 'name')).to.equal(admin.name);
    expect(res.text).to.contain(`value="${admin.email}"`);
  });

  it('changes the name: shown in the layout at once, and an audit event is written', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post('/me').type('form').send({ _csrf: csrf, name: '  Ana Renomeada ', locale: '' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/me');
    const page = await a.get('/me');
    expect(page.text).to.contain('Registro salvo com sucesso!');
    expect(userName(page.text)).to.equal('Ana Renomeada');
    expect(fieldValue(page.text, 'name')).to.equal('Ana Renomeada');

    const events = await auditOf(admin.userId, 'user.profile_updated');
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ account_id: null, target_type: 'user', target_id: String(admin.userId) });
    const details = readableDetails(events[0]) as { before: { name: string }; after: { name: string } };
    expect(details.before.name).to.equal(admin.name);
    expect(details.after.name).to.equal('Ana Renomeada');
  });

  it('a blank name is refused inline with 422 and nothing changes', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post('/me').type('form').send({ _csrf: csrf, name: '   ', locale: '' });
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'name')).to.equal('Campo obrigatório.');
    expect((await portal.db('users').where({ id: admin.userId }).first('name')).name).to.equal(admin.name);
    expect(await auditOf(admin.userId, 'user.profile_updated')).to.have.length(0);
  });

  it('an unknown language is refused with 422', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post('/me').type('form').send({ _csrf: csrf, name: admin.name, locale: 'fr' });
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Idioma inválido.');
    expect((await portal.db('users').where({ id: admin.userId }).first('locale')).locale).to.equal(null);
  });

  it('the language setting "en" makes pages English, whatever the browser asks for', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post('/me').type('form').send({ _csrf: csrf, name: admin.name, locale: 'en' });
    expect(res.status).to.equal(303);
    const me = await a.get('/me').set('Accept-Language', 'es');
    expect(me.text).to.contain('<html lang="en">');
    expect(me.text).to.match(/<h1[^>]*>My profile<\/h1>/);
    expect(me.text).to.match(/<option value="en"\s+selected/);
    const home = await a.get(`/accounts/${accountId}`);
    expect(home.text).to.match(/<button [^>]*>Sign out<\/button>/);
    expect(home.text).not.to.contain('Meu perfil');

    // Back to automatic: the browser's language again.
    await a.post('/me').type('form').send({ _csrf: csrf, name: admin.name, locale: '' });
    const auto = await a.get('/me').set('Accept-Language', 'es');
    expect(auto.text).to.match(/<h1[^>]*>Mi perfil<\/h1>/);
  });

  it('without a setting, Accept-Language es gives Spanish, and an unknown language gives pt-BR', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    const es = await a.get('/me').set('Accept-Language', 'es-AR,es;q=0.9,en;q=0.5');
    expect(es.text).to.contain('<html lang="es">');
    expect(es.text).to.match(/<h1[^>]*>Mi perfil<\/h1>/);
    const fr = await a.get('/me').set('Accept-Language', 'fr-FR,fr;q=0.9');
    expect(fr.text).to.match(/<h1[^>]*>Meu perfil<\/h1>/);
    const anonymous = await agent(portal).get('/login').set('Accept-Language', 'es');
    expect(anonymous.text).to.contain('<html lang="es">');
  });

  it('a wrong current password is refused inline with 422 and the password stays', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post('/me/password').type('form').send({
      _csrf: csrf, currentPassword: 'not the current one', newPassword: NEW_PASSWORD, newPasswordConfirmation: NEW_PASSWORD,
    });
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'currentPassword')).to.equal('Senha atual incorreta.');
    expect(res.text).not.to.contain(NEW_PASSWORD);
    expect((await login(agent(portal), admin.email, PASSWORD)).status).to.equal(303);
    expect(await auditOf(admin.userId, 'user.password_changed')).to.have.length(0);
  });

  it('refuses a new password that is too short or not confirmed', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const short = await a.post('/me/password').type('form').send({ _csrf: csrf, currentPassword: PASSWORD, newPassword: 'curta', newPasswordConfirmation: 'curta' });
    expect(short.status).to.equal(422);
    expect(fieldError(short.text, 'newPassword')).to.equal('A senha precisa ter pelo menos 10 caracteres.');
    const mismatch = await a.post('/me/password').type('form').send({ _csrf: csrf, currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirmation: 'outra coisa qualquer' });
    expect(mismatch.status).to.equal(422);
    expect(fieldError(mismatch.text, 'newPasswordConfirmation')).to.equal('As senhas não conferem.');
    expect((await login(agent(portal), admin.email, PASSWORD)).status).to.equal(303);
  });

  describe('the registration rules apply to a new password: 422 next to the field, nothing written', () => {
    const cases: [string, (email: string) => string, string][] = [
      ['a common password', () => 'password123', 'Esta senha é muito comum ou fácil de adivinhar. Escolha outra.'],
      ['a keyboard row', () => 'qwertyuiop', 'Esta senha é muito comum ou fácil de adivinhar. Escolha outra.'],
      ['the e-mail', (email) => email, 'A senha não pode conter o seu e-mail.'],
      ['the e-mail\'s name part with a suffix', (email) => `${email.split('@')[0]}2026!`, 'A senha não pode conter o seu e-mail.'],
    ];
    for (const [title, weak, message] of cases) {
      it(title, async () => {
        const { admin } = await createAccount(portal.db);
        const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
        const hashBefore = (await portal.db('users').where({ id: admin.userId }).first('password_hash')).password_hash as string;
        const password = weak(admin.email);
        const res = await a.post('/me/password').type('form').send({ _csrf: csrf, currentPassword: PASSWORD, newPassword: password, newPasswordConfirmation: password });
        expect(res.status).to.equal(422);
        expect(fieldError(res.text, 'newPassword')).to.equal(message);
        expect((await portal.db('users').where({ id: admin.userId }).first('password_hash')).password_hash).to.equal(hashBefore);
        expect(await auditOf(admin.userId, 'user.password_changed')).to.have.length(0);
        expect((await login(agent(portal), admin.email, password)).status).to.equal(401);
        expect((await login(agent(portal), admin.email, PASSWORD)).status).to.equal(303);
      });
    }

    it('in the person\'s language', async () => {
      const { admin } = await createAccount(portal.db);
      await portal.db('users').where({ id: admin.userId }).update({ locale: 'en' });
      const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
      const res = await a.post('/me/password').type('form').send({ _csrf: csrf, currentPassword: PASSWORD, newPassword: '1234567890', newPasswordConfirmation: '1234567890' });
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'newPassword')).to.equal('This password is too common or easy to guess. Choose another.');
      expect((await login(agent(portal), admin.email, PASSWORD)).status).to.equal(303);
    });
  });

  it('changes the password: the old one no longer logs in, the new one does; audited without the password', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post('/me/password').type('form').send({
      _csrf: csrf, currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirmation: NEW_PASSWORD,
    });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/me');
    expect((await a.get('/me')).text).to.contain('Senha alterada com sucesso!');

    const old = await login(agent(portal), admin.email, PASSWORD);
    expect(old.status).to.equal(401);
    expect(old.text).to.contain('E-mail ou senha inválidos.');
    expect((await login(agent(portal), admin.email, NEW_PASSWORD)).status).to.equal(303);

    const events = await auditOf(admin.userId, 'user.password_changed');
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ account_id: null, target_type: 'user', target_id: String(admin.userId) });
    const hash = (await portal.db('users').where({ id: admin.userId }).first('password_hash')).password_hash as string;
    for (const secret of [NEW_PASSWORD, PASSWORD, hash]) expect(String(events[0].details ?? '')).not.to.contain(secret);
  });

  it('a new password ends the sessions open in other browsers, keeps this one, and leaves other people signed in', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const other = await createAccount(portal.db);
    const { agent: here, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const { agent: laptop } = await loggedIn(portal, admin.email, PASSWORD);
    const { agent: phone } = await loggedIn(portal, admin.email, PASSWORD);
    const { agent: someoneElse } = await loggedIn(portal, other.admin.email, PASSWORD);
    for (const a of [here, laptop, phone]) expect((await a.get(`/accounts/${accountId}/contacts`)).status).to.equal(200);
    // A session row that is not JSON (a broken write, another app's format) must not stop the change.
    await portal.db('sessions').insert({ sid: `broken-${accountId}`, sess: '{not json', expired: new Date(Date.now() + 60_000) });

    let res;
    try {
      res = await here.post('/me/password').type('form').send({ _csrf: csrf, currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirmation: NEW_PASSWORD });
    } finally {
      await portal.db('sessions').where({ sid: `broken-${accountId}` }).delete();
    }
    expect(res.status).to.equal(303);
    expect((await here.get('/me')).text).to.contain('As sessões abertas em outros navegadores foram encerradas.');
    expect((await here.get(`/accounts/${accountId}/contacts`)).status).to.equal(200);
    for (const a of [laptop, phone]) {
      const after = await a.get(`/accounts/${accountId}/contacts`);
      expect(after.status).to.equal(302);
      expect(after.headers.location).to.equal('/login');
    }
    expect((await someoneElse.get(`/accounts/${other.accountId}/contacts`)).status).to.equal(200);
    const [event] = await auditOf(admin.userId, 'user.password_changed');
    expect(JSON.parse(String(event!.details))).to.deep.equal({ endedSessions: 2 });
  });
});

describe('Meu perfil: wrong current passwords are limited', () => {
  const change = (a: Awaited<ReturnType<typeof loggedIn>>, currentPassword: string) =>
    a.agent.post('/me/password').type('form').send({ _csrf: a.csrf, currentPassword, newPassword: NEW_PASSWORD, newPasswordConfirmation: NEW_PASSWORD });

  it('after LOGIN_MAX_ATTEMPTS_PER_EMAIL wrong current passwords, refuses with 429 even the right one', async () => {
    const portal = await startPortal({ LOGIN_MAX_ATTEMPTS_PER_EMAIL: '3' });
    const { admin } = await createAccount(portal.db);
    const session = await loggedIn(portal, admin.email, PASSWORD);
    for (let i = 0; i < 3; i++) {
      const res = await change(session, `wrong password ${i}`);
      expect(res.status, `try ${i + 1}`).to.equal(422);
      expect(fieldError(res.text, 'currentPassword')).to.equal('Senha atual incorreta.');
    }
    const blocked = await change(session, PASSWORD);
    expect(blocked.status).to.equal(429);
    expect(fieldError(blocked.text, 'currentPassword')).to.equal(TOO_MANY);
    expect(Number(blocked.headers['retry-after'])).to.be.within(1, 15 * 60);
    // The password did not change.
    expect((await login(agent(portal), admin.email, NEW_PASSWORD)).status).to.equal(401);
    expect((await login(agent(portal), admin.email, PASSWORD)).status).to.equal(303);
  });

  it('20 wrong current passwords sent at once: at most 3 are checked', async () => {
    const portal = await startPortal({ LOGIN_MAX_ATTEMPTS_PER_EMAIL: '3' });
    const { admin } = await createAccount(portal.db);
    const session = await loggedIn(portal, admin.email, PASSWORD);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => change(session, `wrong password ${i}`)));
    expect(answers.filter((r) => r.status === 422).length).to.be.within(1, 3);
    expect(answers.filter((r) => r.status === 429).length).to.be.at.least(17);
  });

  it('a successful change clears the wrong tries counted before it', async () => {
    const portal = await startPortal({ LOGIN_MAX_ATTEMPTS_PER_EMAIL: '3' });
    const { admin } = await createAccount(portal.db);
    const session = await loggedIn(portal, admin.email, PASSWORD);
    for (let i = 0; i < 2; i++) expect((await change(session, 'wrong password')).status).to.equal(422);
    expect((await change(session, PASSWORD)).status).to.equal(303);
    const back = (current: string) =>
      session.agent.post('/me/password').type('form').send({ _csrf: session.csrf, currentPassword: current, newPassword: PASSWORD, newPasswordConfirmation: PASSWORD });
    for (let i = 0; i < 2; i++) expect((await back('wrong password')).status).to.equal(422);
    expect((await back(NEW_PASSWORD)).status).to.equal(303);
  });
});
