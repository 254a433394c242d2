import { expect } from 'chai';
import { AccountRepository } from '../../server/accounts/accounts.repository';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { agent, loggedIn, login, sharedPortal, type TestPortal } from '../support/portal';
import { ageSessions, postReplay } from './helpers/security';
import { enrol, factorMail } from './helpers/two-factor';

const RESET_BUTTON = 'Redefinir verificação em duas etapas';

describe("an administrator resets a contact's second factor", () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  /** A company whose member turned two-step verification on; its owner signed in a moment ago. */
  async function companyWithEnrolledMember() {
    const account = await createAccount(portal.db);
    const member = await addMember(portal.db, account.accountId, { name: 'Marina Membro' });
    const m = await loggedIn(portal, member.email, PASSWORD);
    const { secret } = await enrol(m.agent, m.csrf);
    const owner = await loggedIn(portal, account.admin.email, PASSWORD);
    const page = `/accounts/${account.accountId}/contacts/${member.contactId}`;
    return { ...account, member, secret, owner, page, reset: `${page}/second-factor/reset` };
  }

  const totpOn = async (userId: number) => (await portal.db('users').where({ id: userId }).first('totp_enabled_at')).totp_enabled_at !== null;
  const asksForCode = async (email: string) => (await login(agent(portal), email, PASSWORD)).headers.location === '/login/code';

  it("the primary administrator resets it: the factor and recovery codes are gone, the company's trail says so, the person is e-mailed", async () => {
    const c = await companyWithEnrolledMember();
    const shown = await c.owner.agent.get(c.page);
    expect(shown.text).to.contain('Ativada: aplicativo autenticador e códigos de recuperação.');
    expect(shown.text).to.contain(RESET_BUTTON);

    const res = await c.owner.agent.post(c.reset).type('form').send({ _csrf: c.owner.csrf });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(c.page);
    const after = await c.owner.agent.get(c.page);
    expect(after.text).to.contain('Verificação em duas etapas de Marina Membro redefinida com sucesso!');
    expect(after.text).to.contain('Não ativada.');
    expect(after.text).to.contain('Verificação em duas etapas redefinida'); // the contact's history

    expect(await portal.db('users').where({ id: c.member.userId }).first('totp_secret', 'totp_enabled_at')).to.deep.equal({ totp_secret: null, totp_enabled_at: null });
    expect(await portal.db('recovery_codes').where({ user_id: c.member.userId })).to.have.length(0);
    const events = await portal.db('audit_events').where({ account_id: c.accountId, action: 'contact.second_factor_reset' });
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ actor_user_id: c.admin.userId, target_type: 'contact', target_id: String(c.member.contactId) });
    const { _stepUp: confirmedBy, ...details } = JSON.parse(events[0].details);
    expect(details).to.deep.equal({ userId: c.member.userId, before: { factors: ['totp', 'recovery-codes'] }, after: { factors: [] } });
    expect(confirmedBy, 'confirmed by signing in a moment ago').to.include({ method: 'sign_in' });
    expect(JSON.stringify(events)).not.to.contain(c.secret);

    const mail = await factorMail(portal, c.member.email, 'um administrador da sua empresa redefiniu a sua verificação em duas etapas');
    expect(mail.subject).to.equal('A forma de entrar na sua conta do Portal mudou');
    expect(await asksForCode(c.member.email)).to.equal(false);
  });

  it('a session without a fresh step-up is sent to confirm first, and nothing changes until it does', async () => {
    const c = await companyWithEnrolledMember();
    await ageSessions(portal.db, c.admin.userId, 16);
    const res = await c.owner.agent.post(c.reset).type('form').send({ _csrf: c.owner.csrf });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/step-up');
    expect(await totpOn(c.member.userId)).to.equal(true);

    expect((await c.owner.agent.post('/step-up').type('form').send({ _csrf: c.owner.csrf, password: PASSWORD })).headers.location).to.equal('/step-up/continue');
    const replayed = await postReplay(c.owner.agent, (await c.owner.agent.get('/step-up/continue')).text);
    expect(replayed.headers.location).to.equal(c.page);
    expect(await totpOn(c.member.userId)).to.equal(false);
  });

  it("another company's contact is a 404, and a Membro gets 403", async () => {
    const c = await companyWithEnrolledMember();
    const other = await createAccount(portal.db);
    const stranger = await loggedIn(portal, other.admin.email, PASSWORD);
    const foreign = await stranger.agent.post(`/accounts/${other.accountId}/contacts/${c.member.contactId}/second-factor/reset`).type('form').send({ _csrf: stranger.csrf });
    expect(foreign.status).to.equal(404);
    expect((await stranger.agent.post(c.reset).type('form').send({ _csrf: stranger.csrf })).status).to.equal(404);

    const colleague = await addMember(portal.db, c.accountId);
    const m = await loggedIn(portal, colleague.email, PASSWORD);
    expect((await m.agent.post(c.reset).type('form').send({ _csrf: m.csrf })).status).to.equal(403);
    expect(await totpOn(c.member.userId)).to.equal(true);
  });

  it("another administrator may reset a member's, but never the primary administrator's nor their own", async () => {
    const c = await companyWithEnrolledMember();
    await enrol(c.owner.agent, c.owner.csrf);
    const deputy = await addMember(portal.db, c.accountId, { profile: 'administrator', name: 'Davi Adjunto' });
    const d = await loggedIn(portal, deputy.email, PASSWORD);
    await enrol(d.agent, d.csrf);

    const ownerPage = `/accounts/${c.accountId}/contacts/${c.admin.contactId}`;
    expect((await d.agent.get(ownerPage)).text).not.to.contain(RESET_BUTTON);
    expect((await d.agent.post(`${ownerPage}/second-factor/reset`).type('form').send({ _csrf: d.csrf })).status).to.equal(403);
    expect(await totpOn(c.admin.userId)).to.equal(true);

    const ownPage = `/accounts/${c.accountId}/contacts/${deputy.contactId}`;
    expect((await d.agent.get(ownPage)).text).not.to.contain(RESET_BUTTON);
    expect((await d.agent.post(`${ownPage}/second-factor/reset`).type('form').send({ _csrf: d.csrf })).headers.location).to.equal(ownPage);
    expect((await d.agent.get(ownPage)).text).to.contain('Para mudar a sua própria verificação em duas etapas, use Meu perfil.');
    expect(await totpOn(deputy.userId)).to.equal(true);

    expect((await d.agent.get(c.page)).text).to.contain(RESET_BUTTON);
    expect((await d.agent.post(c.reset).type('form').send({ _csrf: d.csrf })).headers.location).to.equal(c.page);
    expect(await totpOn(c.member.userId)).to.equal(false);
    const event = await portal.db('audit_events').where({ account_id: c.accountId, action: 'contact.second_factor_reset' }).first();
    expect(event).to.include({ actor_user_id: deputy.userId });
  });

  it('a contact with nothing to reset, or deactivated, gets a message and no change', async () => {
    const c = await companyWithEnrolledMember();
    const plain = await addMember(portal.db, c.accountId);
    const plainPage = `/accounts/${c.accountId}/contacts/${plain.contactId}`;
    expect((await c.owner.agent.get(plainPage)).text).not.to.contain(RESET_BUTTON);
    await c.owner.agent.post(`${plainPage}/second-factor/reset`).type('form').send({ _csrf: c.owner.csrf });
    expect((await c.owner.agent.get(plainPage)).text).to.contain('Esta pessoa não tem verificação em duas etapas ativada.');

    await portal.db.transaction(async (trx) => {
      await trx('contacts').where({ id: c.member.contactId }).update({ status: 'deactivated', deactivated_at: new Date() });
      await new AccountRepository(portal.db).adjustCounters(trx, c.accountId, { active: -1, deactivated: 1 });
    });
    expect((await c.owner.agent.get(c.page)).text).not.to.contain(RESET_BUTTON);
    await c.owner.agent.post(c.reset).type('form').send({ _csrf: c.owner.csrf });
    expect((await c.owner.agent.get(c.page)).text).to.contain('Reative o usuário antes de redefinir a verificação em duas etapas.');
    expect(await totpOn(c.member.userId)).to.equal(true);
    expect(await portal.db('audit_events').where({ account_id: c.accountId, action: 'contact.second_factor_reset' })).to.have.length(0);
  });
});

describe("an administrator's reset also removes the contact's passkeys", () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  it('a member with only a passkey: the reset removes it, the audit names it, and the next sign-in asks for nothing more than the password', async () => {
    const account = await createAccount(portal.db);
    const member = await addMember(portal.db, account.accountId, { name: 'Paula Passkey' });
    const now = new Date();
    await portal.db('passkeys').insert({
      user_id: member.userId, credential_id: `cred-${member.userId}`, public_key: 'cHVibGlj', counter: 0, transports: '[]', name: 'Celular', created_at: now,
    });
    expect((await login(agent(portal), member.email, PASSWORD)).headers.location).to.equal('/login/code');

    const owner = await loggedIn(portal, account.admin.email, PASSWORD);
    const reset = `/accounts/${account.accountId}/contacts/${member.contactId}/second-factor/reset`;
    expect((await owner.agent.post(reset).type('form').send({ _csrf: owner.csrf })).status).to.equal(303);

    expect(await portal.db('passkeys').where({ user_id: member.userId })).to.have.length(0);
    const event = await portal.db('audit_events').where({ account_id: account.accountId, action: 'contact.second_factor_reset' }).first();
    const { _stepUp: _confirmedBy, ...details } = JSON.parse(event.details);
    expect(details).to.deep.equal({ userId: member.userId, before: { factors: ['passkey'] }, after: { factors: [] } });
    expect((await login(agent(portal), member.email, PASSWORD)).headers.location).to.equal('/accounts');
  });
});
