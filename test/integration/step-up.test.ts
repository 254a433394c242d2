import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type TestPortal } from '../support/portal';
import { validContact } from './helpers/contacts';
import { ageSessions, approvalPath, postReplay, replayForm } from './helpers/security';

const CONFIRM_TITLE = 'Confirme que é você';

describe('step-up ("sudo mode") before sensitive acts', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  const contactByEmail = (accountId: number, email: string) => portal.db('contacts').where({ account_id: accountId, email }).first();

  /** An administrator whose login is 16 minutes old, with a fresh CSRF token. */
  async function staleAdmin() {
    const account = await createAccount(portal.db);
    const session = await loggedIn(portal, account.admin.email, PASSWORD);
    await ageSessions(portal.db, account.admin.userId, 16);
    return { ...account, ...session, base: `/accounts/${account.accountId}/contacts` };
  }

  it('a fresh login counts as a confirmation: adding a contact goes straight through', async () => {
    const { accountId, admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const form = validContact();
    const res = await a.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...form });
    expect(res.status).to.equal(303);
    expect(res.headers.location).not.to.equal('/step-up');
    expect(await contactByEmail(accountId, form.email!)).to.not.equal(undefined);
  });

  it('after 15 minutes "add contact" asks for the password; what was typed is posted after confirming', async () => {
    const s = await staleAdmin();
    const form = validContact({ name: 'Débora Digitada', phone: '91234-5678' });
    const res = await s.agent.post(s.base).type('form').send({ _csrf: s.csrf, ...form });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/step-up');
    expect(await contactByEmail(s.accountId, form.email!)).to.equal(undefined);

    const page = await s.agent.get('/step-up');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain(CONFIRM_TITLE);
    expect(page.text).to.match(/<img class="qr-code" src="data:image\/png;base64,/);

    const confirmed = await s.agent.post('/step-up').type('form').send({ _csrf: s.csrf, password: PASSWORD });
    expect(confirmed.status).to.equal(303);
    expect(confirmed.headers.location).to.equal('/step-up/continue');
    const replay = await s.agent.get('/step-up/continue');
    expect(replayForm(replay.text).action).to.equal(s.base);
    expect(replayForm(replay.text).fields).to.deep.include(['name', 'Débora Digitada']);
    // The kept input carries no old CSRF token: only the page's fresh one.
    expect(replayForm(replay.text).fields.filter(([k]) => k === '_csrf')).to.have.length(1);

    const done = await postReplay(s.agent, replay.text);
    expect(done.status).to.equal(303);
    const contact = await contactByEmail(s.accountId, form.email!);
    expect(contact).to.include({ name: 'Débora Digitada', area_code: '11' });
    const events = await portal.db('audit_events').where({ actor_user_id: s.admin.userId, action: 'user.step_up_approved' }).select('details');
    expect(events).to.have.length(1);
    expect(JSON.parse(events[0].details)).to.include({ method: 'password' });

    // Confirmed for the next 15 minutes: the next sensitive act is not asked again.
    const again = await s.agent.post(s.base).type('form').send({ _csrf: s.csrf, ...validContact() });
    expect(again.headers.location).not.to.equal('/step-up');
  });

  it('after 15 minutes creating, saving or deleting a group (changing permissions) asks first, and changes nothing', async () => {
    const s = await staleAdmin();
    const groups = `/accounts/${s.accountId}/groups`;
    const [groupId] = await portal.db('groups').insert({ account_id: s.accountId, name: 'Equipe antiga', description: '', created_at: new Date(), updated_at: new Date() });
    for (const path of [groups, `${groups}/${groupId}`, `${groups}/${groupId}/delete`]) {
      const res = await s.agent.post(path).type('form').send({ _csrf: s.csrf, name: 'Equipe nova', description: '' });
      expect(res.status, path).to.equal(303);
      expect(res.headers.location, path).to.equal('/step-up');
    }
    const left = await portal.db('groups').where({ account_id: s.accountId }).pluck('name');
    expect(left).to.deep.equal(['Equipe antiga']);
  });

  it('a wrong password is refused and the act waits', async () => {
    const s = await staleAdmin();
    const form = validContact();
    await s.agent.post(s.base).type('form').send({ _csrf: s.csrf, ...form });
    const res = await s.agent.post('/step-up').type('form').send({ _csrf: s.csrf, password: 'not the password' });
    expect(res.status).to.equal(422);
    expect(res.text).to.contain(CONFIRM_TITLE);
    expect(res.text).to.contain('Senha atual incorreta.');
    const replay = await s.agent.get('/step-up/continue');
    expect(replay.status).to.equal(303);
    expect(replay.headers.location).to.equal('/accounts');
    expect(await contactByEmail(s.accountId, form.email!)).to.equal(undefined);
  });

  it('an HTMX request is sent to the confirmation page with HX-Redirect', async () => {
    const s = await staleAdmin();
    const member = await addMember(portal.db, s.accountId);
    const res = await s.agent.post(`${s.base}/${member.contactId}/delete`).set('HX-Request', 'true').type('form').send({ _csrf: s.csrf });
    expect(res.headers['hx-redirect']).to.equal('/step-up');
    expect(await portal.db('contacts').where({ id: member.contactId }).first()).to.not.equal(undefined);
  });

  it('a QR approval from a second agent signed in as the same person completes it; the waiting page moves on', async () => {
    const s = await staleAdmin();
    const member = await addMember(portal.db, s.accountId);
    await s.agent.post(`${s.base}/${member.contactId}/permissions`).type('form').send({ _csrf: s.csrf, profile: 'observer' });
    const page = await s.agent.get('/step-up');
    const path = approvalPath(page.text);
    expect(page.text).to.contain('hx-trigger="every 2s"');

    const waiting = await s.agent.get('/step-up/status').set('HX-Request', 'true');
    expect(waiting.status).to.equal(204);
    expect((await s.agent.get('/step-up/status')).text).to.contain('Aguardando a aprovação no celular');

    const phone = await loggedIn(portal, s.admin.email, PASSWORD);
    const ask = await phone.agent.get(path);
    expect(ask.status).to.equal(200);
    expect(ask.text).to.match(/<button[^>]*>Aprovar<\/button>/);
    const approved = await phone.agent.post(path).type('form').send({ _csrf: phone.csrf });
    expect(approved.status).to.equal(200);
    expect(approved.text).to.contain('Aprovado!');

    const moved = await s.agent.get('/step-up/status').set('HX-Request', 'true');
    expect(moved.headers['hx-redirect']).to.equal('/step-up/continue');
    const replay = await s.agent.get('/step-up/continue');
    const done = await postReplay(s.agent, replay.text);
    expect(done.status).to.equal(303);
    expect((await portal.db('contacts').where({ id: member.contactId }).first('profile')).profile).to.equal('observer');

    // The link works once.
    const reused = await phone.agent.post(path).type('form').send({ _csrf: phone.csrf });
    expect(reused.status).to.equal(404);
    expect(reused.text).to.contain('expirou ou já foi usado');
  });

  it("another person's approval is refused and the waiting session is not confirmed", async () => {
    const s = await staleAdmin();
    const other = await addMember(portal.db, s.accountId, { profile: 'administrator' });
    const member = await addMember(portal.db, s.accountId);
    await s.agent.post(`${s.base}/${member.contactId}/delete`).type('form').send({ _csrf: s.csrf });
    const path = approvalPath((await s.agent.get('/step-up')).text);

    const intruder = await loggedIn(portal, other.email, PASSWORD);
    const ask = await intruder.agent.get(path);
    expect(ask.status).to.equal(403);
    expect(ask.text).to.contain('pertence a outra pessoa');
    const post = await intruder.agent.post(path).type('form').send({ _csrf: intruder.csrf });
    expect(post.status).to.equal(403);

    const status = await s.agent.get('/step-up/status').set('HX-Request', 'true');
    expect(status.headers['hx-redirect']).to.equal(undefined);
    expect(status.status).to.equal(204);
    expect(await portal.db('contacts').where({ id: member.contactId }).first()).to.not.equal(undefined);
  });

  it('a forged approval link is refused', async () => {
    const s = await staleAdmin();
    const res = await s.agent.get('/step-up/approve/forged-token-that-was-never-issued');
    expect(res.status).to.equal(404);
  });

  it('"Exigir segundo fator para administradores": the password alone no longer confirms, the QR approval still does', async () => {
    const s = await staleAdmin();
    // Changing the setting is itself a sensitive act: confirmed (by password, as it is still off) first.
    const setting = await s.agent.post(`/me/security/accounts/${s.accountId}`).type('form').send({ _csrf: s.csrf, requireSecondFactor: '1' });
    expect(setting.headers.location).to.equal('/step-up');
    await s.agent.post('/step-up').type('form').send({ _csrf: s.csrf, password: PASSWORD });
    expect((await postReplay(s.agent, (await s.agent.get('/step-up/continue')).text)).headers.location).to.equal('/me');
    expect((await s.agent.get('/me')).text).to.match(/name="requireSecondFactor" value="1" checked/);
    await ageSessions(portal.db, s.admin.userId, 16);
    const form = validContact();
    await s.agent.post(s.base).type('form').send({ _csrf: s.csrf, ...form });
    const page = await s.agent.get('/step-up');
    expect(page.text).not.to.contain('name="password"');
    expect(page.text).to.contain('Sua empresa exige um segundo fator');
    const refused = await s.agent.post('/step-up').type('form').send({ _csrf: s.csrf, password: PASSWORD });
    expect(refused.status).to.equal(403);
    expect(await contactByEmail(s.accountId, form.email!)).to.equal(undefined);

    const path = approvalPath((await s.agent.get('/step-up')).text);
    const phone = await loggedIn(portal, s.admin.email, PASSWORD);
    await phone.agent.post(path).type('form').send({ _csrf: phone.csrf });
    await s.agent.get('/step-up/status').set('HX-Request', 'true');
    await postReplay(s.agent, (await s.agent.get('/step-up/continue')).text);
    expect(await contactByEmail(s.accountId, form.email!)).to.not.equal(undefined);
  });

  it('with the setting on, even a fresh password login of an administrator is asked for a second factor', async () => {
    const { accountId, admin } = await createAccount(portal.db);
    await portal.db('account_security').insert({ account_id: accountId, require_second_factor: true, updated_at: new Date() });
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...validContact() });
    expect(res.headers.location).to.equal('/step-up');
  });

  it('only the primary administrator changes the company setting', async () => {
    const { accountId } = await createAccount(portal.db);
    const other = await addMember(portal.db, accountId, { profile: 'administrator' });
    const { agent: a, csrf } = await loggedIn(portal, other.email, PASSWORD);
    const res = await a.post(`/me/security/accounts/${accountId}`).type('form').send({ _csrf: csrf, requireSecondFactor: '1' });
    expect(res.status).to.equal(403);
    expect(await portal.db('account_security').where({ account_id: accountId }).first()).to.equal(undefined);
  });
});
