import { expect } from 'chai';
import { addMember, createAccount, PASSWORD, uniqueEmail } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { validContact } from './helpers/contacts';
import { ageSessions, approvalPath, codeAt, enableTotp, loggedInWithTotp, mailFor, postReplay, replayForm, shortCodeOf } from './helpers/security';

const CONFIRM_TITLE = 'Confirme que é você';
const DESK_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const safeJson = (text: string) => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

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
    // The password asked here is the sign-in one, not a "current" one being changed.
    expect(res.text).to.contain('Senha incorreta.');
    expect(res.text).not.to.contain('Senha atual incorreta.');
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

  /** An administrator (password only, login 16 minutes old, two-step verification on) waiting on /step-up to make a member an observer. */
  async function waitingDesk() {
    const s = await staleAdmin();
    const secret = await enableTotp(portal, s.admin.userId);
    const member = await addMember(portal.db, s.accountId, { name: 'Marta Membro' });
    await s.agent.post(`${s.base}/${member.contactId}/permissions`).type('form').send({ _csrf: s.csrf, profile: 'observer' });
    const page = await s.agent.get('/step-up').set('User-Agent', DESK_UA);
    expect(page.status).to.equal(200);
    return { ...s, secret, member, page: page.text };
  }
  const profileOf = async (contactId: number) => (await portal.db('contacts').where({ id: contactId }).first('profile')).profile;
  const approvalEvents = (userId: number) =>
    portal.db('audit_events').where({ actor_user_id: userId, action: 'user.step_up_approved' }).pluck('details').then((rows) => rows.map((d: string) => JSON.parse(d)));

  it('the asking page shows a QR code and a short code, never the approval link; the database keeps only hashes', async () => {
    const w = await waitingDesk();
    expect(w.page).not.to.match(/\/step-up\/approve\/[A-Za-z0-9_-]/);
    const path = approvalPath(w.page);
    expect(path).to.match(/^\/step-up\/approve\/[A-Za-z0-9_-]{43}$/);
    const code = shortCodeOf(w.page);
    expect(code).to.match(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    const rows = await portal.db('step_up_approvals').where({ user_id: w.admin.userId });
    expect(rows).to.have.length(1);
    const stored = JSON.stringify(rows);
    expect(stored).not.to.contain(path.split('/').pop());
    expect(stored).not.to.contain(code.replace('-', ''));
    expect(await portal.db('sessions').where({ sid: rows[0].asking_session }).first()).to.equal(undefined);
  });

  it('a QR approval from a second session signed in with a TOTP code completes it; the phone first shows what it approves', async () => {
    const w = await waitingDesk();
    const path = approvalPath(w.page);
    expect(w.page).to.contain('hx-trigger="every 2s"');
    const waiting = await w.agent.get('/step-up/status').set('HX-Request', 'true');
    expect(waiting.status).to.equal(204);
    expect((await w.agent.get('/step-up/status')).text).to.contain('Aguardando a aprovação no celular');

    const phone = await loggedInWithTotp(portal, w.admin.email, PASSWORD, w.secret);
    const ask = await phone.agent.get(path);
    expect(ask.status).to.equal(200);
    const company = (await portal.db('accounts').where({ id: w.accountId }).first('name')).name;
    const shown = /<dl class="details compact" id="step-up-approval-details">([\s\S]*?)<\/dl>/.exec(ask.text)![1]!;
    expect(shown).to.contain('Alterar permissões de acesso de um usuário');
    expect(shown).to.contain(company);
    expect(shown).to.contain('Chrome 131 · Windows');
    expect(shown).to.match(/127\.0\.0\.1/);
    expect(ask.text).to.match(/<button[^>]*>Aprovar<\/button>/);
    // Opening the link approves nothing by itself.
    expect((await w.agent.get('/step-up/status').set('HX-Request', 'true')).status).to.equal(204);

    const phoneBrowser = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36';
    const approved = await phone.agent.post(path).set('User-Agent', phoneBrowser).type('form').send({ _csrf: phone.csrf });
    expect(approved.status).to.equal(200);
    expect(approved.text).to.contain('Aprovado!');
    const moved = await w.agent.get('/step-up/status').set('HX-Request', 'true');
    expect(moved.headers['hx-redirect']).to.equal('/step-up/continue');
    const done = await postReplay(w.agent, (await w.agent.get('/step-up/continue')).text);
    expect(done.status).to.equal(303);
    expect(await profileOf(w.member.contactId)).to.equal('observer');
    const events = await approvalEvents(w.admin.userId);
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ method: 'qr', via: 'link', approverFactor: 'totp', action: 'contactPermissions', accountId: w.accountId, askingBrowser: 'Chrome 131 · Windows' });
    expect(events[0].askingIp).to.match(/127\.0\.0\.1/);
    // The change itself says how it was confirmed: a QR approval, from the phone's browser.
    const change = await portal.db('audit_events').where({ account_id: w.accountId, action: 'contact.permissions_changed' }).first('details');
    expect(JSON.parse(change.details)._stepUp).to.include({ method: 'qr', device: 'Chrome 130 · Android' });

    // Replayed: the approval was given once.
    const reused = await phone.agent.post(path).type('form').send({ _csrf: phone.csrf });
    expect(reused.status).to.equal(404);
    expect(reused.text).to.contain('expirou ou já foi usado');
  });

  it('the asking session cannot approve its own QR code or short code, even when it signed in with a second factor', async () => {
    const account = await createAccount(portal.db);
    const secret = await enableTotp(portal, account.admin.userId);
    const desk = await loggedInWithTotp(portal, account.admin.email, PASSWORD, secret);
    await ageSessions(portal.db, account.admin.userId, 16);
    const member = await addMember(portal.db, account.accountId);
    await desk.agent.post(`/accounts/${account.accountId}/contacts/${member.contactId}/permissions`).type('form').send({ _csrf: desk.csrf, profile: 'observer' });
    const page = (await desk.agent.get('/step-up')).text;
    const path = approvalPath(page);

    const refusedHere = (res: { status: number; text: string }) => {
      expect(res.status).to.equal(403);
      expect(res.text).to.contain('Esta é a própria tela que pediu a confirmação');
    };
    refusedHere(await desk.agent.get(path));
    refusedHere(await desk.agent.post(path).type('form').send({ _csrf: desk.csrf }));
    refusedHere(await desk.agent.post('/step-up/approve').type('form').send({ _csrf: desk.csrf, code: shortCodeOf(page) }));
    refusedHere(await desk.agent.post('/step-up/approve').type('form').send({ _csrf: desk.csrf, code: shortCodeOf(page), confirm: '1' }));
    expect((await desk.agent.get('/step-up/status').set('HX-Request', 'true')).status).to.equal(204);
    expect((await desk.agent.get('/step-up/continue')).headers.location).to.equal('/accounts');
    expect(await profileOf(member.contactId)).to.equal('member');
    expect(await approvalEvents(account.admin.userId)).to.deep.equal([]);
  });

  it('a session signed in with the password only cannot approve, and is told to sign in there with a second factor', async () => {
    const s = await staleAdmin();
    const member = await addMember(portal.db, s.accountId);
    await s.agent.post(`${s.base}/${member.contactId}/permissions`).type('form').send({ _csrf: s.csrf, profile: 'observer' });
    const page = (await s.agent.get('/step-up')).text;
    const path = approvalPath(page);
    const phone = await loggedIn(portal, s.admin.email, PASSWORD);

    const refusedHere = (res: { status: number; text: string }) => {
      expect(res.status).to.equal(403);
      expect(res.text).to.contain('entrou no portal só com a senha');
    };
    refusedHere(await phone.agent.get(path));
    refusedHere(await phone.agent.post(path).type('form').send({ _csrf: phone.csrf }));
    refusedHere(await phone.agent.get('/step-up/approve'));
    refusedHere(await phone.agent.post('/step-up/approve').type('form').send({ _csrf: phone.csrf, code: shortCodeOf(page), confirm: '1' }));
    expect((await s.agent.get('/step-up/status').set('HX-Request', 'true')).status).to.equal(204);
    expect(await profileOf(member.contactId)).to.equal('member');
  });

  it("another person's approval is refused, by link or by short code, and the waiting session is not confirmed", async () => {
    const w = await waitingDesk();
    const other = await addMember(portal.db, w.accountId, { profile: 'administrator' });
    const intruder = await loggedInWithTotp(portal, other.email, PASSWORD, await enableTotp(portal, other.userId));
    const path = approvalPath(w.page);

    const ask = await intruder.agent.get(path);
    expect(ask.status).to.equal(403);
    expect(ask.text).to.contain('pertence a outra pessoa');
    expect(ask.text).not.to.contain('step-up-approval-details');
    expect((await intruder.agent.post(path).type('form').send({ _csrf: intruder.csrf })).status).to.equal(403);
    // A short code is looked up among the typing person's own approvals only.
    const typed = await intruder.agent.post('/step-up/approve').type('form').send({ _csrf: intruder.csrf, code: shortCodeOf(w.page), confirm: '1' });
    expect(typed.status).to.equal(422);

    const status = await w.agent.get('/step-up/status').set('HX-Request', 'true');
    expect(status.headers['hx-redirect']).to.equal(undefined);
    expect(status.status).to.equal(204);
    expect(await profileOf(w.member.contactId)).to.equal('member');
  });

  it('the short code typed on a second session shows what it approves, approves once, and a wrong code is refused', async () => {
    const w = await waitingDesk();
    const phone = await loggedInWithTotp(portal, w.admin.email, PASSWORD, w.secret);
    const form = await phone.agent.get('/step-up/approve');
    expect(form.status).to.equal(200);
    expect(form.text).to.contain('Digite o código de 8 caracteres');

    const wrong = await phone.agent.post('/step-up/approve').type('form').send({ _csrf: phone.csrf, code: 'AAAA-AAAA' });
    expect(wrong.status).to.equal(422);
    expect(wrong.text).to.contain('Código inválido ou expirado');

    // Typed in lower case and without the dash, as a person may.
    const typed = shortCodeOf(w.page).replace('-', '').toLowerCase();
    const ask = await phone.agent.post('/step-up/approve').type('form').send({ _csrf: phone.csrf, code: typed });
    expect(ask.status).to.equal(200);
    expect(ask.text).to.contain('Alterar permissões de acesso de um usuário');
    expect(ask.text).to.contain('Chrome 131 · Windows');
    expect((await w.agent.get('/step-up/status').set('HX-Request', 'true')).status).to.equal(204);

    const approved = await phone.agent.post('/step-up/approve').type('form').send({ _csrf: phone.csrf, code: typed, confirm: '1' });
    expect(approved.status).to.equal(200);
    expect(approved.text).to.contain('Aprovado!');
    expect((await w.agent.get('/step-up/status').set('HX-Request', 'true')).headers['hx-redirect']).to.equal('/step-up/continue');
    await postReplay(w.agent, (await w.agent.get('/step-up/continue')).text);
    expect(await profileOf(w.member.contactId)).to.equal('observer');
    expect((await approvalEvents(w.admin.userId)).map((d) => d.via)).to.deep.equal(['code']);

    const replayed = await phone.agent.post('/step-up/approve').type('form').send({ _csrf: phone.csrf, code: typed, confirm: '1' });
    expect(replayed.status).to.equal(422);
  });

  it('two devices approving at the same moment: one approval is given, the other is told it was used', async () => {
    const w = await waitingDesk();
    const path = approvalPath(w.page);
    const phone = await loggedInWithTotp(portal, w.admin.email, PASSWORD, w.secret, -1);
    const tablet = await loggedInWithTotp(portal, w.admin.email, PASSWORD, w.secret, 0);
    const answers = await Promise.all([phone, tablet].map((d) => d.agent.post(path).type('form').send({ _csrf: d.csrf })));
    expect(answers.map((r) => r.status).sort()).to.deep.equal([200, 404]);
    expect(await approvalEvents(w.admin.userId)).to.have.length(1);
    const polls = await Promise.all([1, 2].map(() => w.agent.get('/step-up/status').set('HX-Request', 'true')));
    expect(polls.filter((r) => r.headers['hx-redirect'] === '/step-up/continue')).to.have.length(1);
  });

  it('wrong short codes are limited per person', async () => {
    const w = await waitingDesk();
    const phone = await loggedInWithTotp(portal, w.admin.email, PASSWORD, w.secret);
    let last;
    for (let i = 0; i <= portal.config.loginLimits.perEmail; i++) last = await phone.agent.post('/step-up/approve').type('form').send({ _csrf: phone.csrf, code: 'AAAA-AAAA' });
    expect(last!.status).to.equal(429);
    // Blocked: even the right code waits.
    const right = await phone.agent.post('/step-up/approve').type('form').send({ _csrf: phone.csrf, code: shortCodeOf(w.page), confirm: '1' });
    expect(right.status).to.equal(429);
    expect((await w.agent.get('/step-up/status').set('HX-Request', 'true')).status).to.equal(204);
  });

  it('an approval counts only for the session that asked: another session of the same person polling for it does not pass', async () => {
    const w = await waitingDesk();
    const sessionsOf = async (userId: number) =>
      (await portal.db('sessions').select('sid', 'sess')).map((r) => ({ sid: r.sid as string, sess: safeJson(r.sess) })).filter((r) => r.sess?.passport?.user?.id === userId && r.sess.stepUp?.approvalId);
    const [desk] = await sessionsOf(w.admin.userId);
    const deskApproval = desk!.sess.stepUp.approvalId;
    const other = await loggedInWithTotp(portal, w.admin.email, PASSWORD, w.secret, -1);
    await ageSessions(portal.db, w.admin.userId, 16);
    const second = await addMember(portal.db, w.accountId, { name: 'Otávio Outro' });
    await other.agent.post(`${w.base}/${second.contactId}/delete`).type('form').send({ _csrf: other.csrf });
    await other.agent.get('/step-up');
    // The other session is made to wait on the desk's approval (as if it had learnt its id).
    const mine = await sessionsOf(w.admin.userId);
    expect(mine).to.have.length(2);
    const theOther = mine.find((r) => r.sid !== desk!.sid)!;
    theOther.sess.stepUp.approvalId = deskApproval;
    await portal.db('sessions').where({ sid: theOther.sid }).update({ sess: JSON.stringify(theOther.sess) });

    const phone = await loggedInWithTotp(portal, w.admin.email, PASSWORD, w.secret, 0);
    expect((await phone.agent.post(approvalPath(w.page)).type('form').send({ _csrf: phone.csrf })).status).to.equal(200);

    const polled = await other.agent.get('/step-up/status').set('HX-Request', 'true');
    expect(polled.headers['hx-redirect']).to.equal(undefined);
    expect((await other.agent.get('/step-up/continue')).headers.location).to.equal('/accounts');
    expect(await portal.db('contacts').where({ id: second.contactId }).first()).to.not.equal(undefined);
    // The desk's own poll still finds it.
    expect((await w.agent.get('/step-up/status').set('HX-Request', 'true')).headers['hx-redirect']).to.equal('/step-up/continue');
  });

  it('a forged approval link is refused', async () => {
    const s = await staleAdmin();
    const res = await s.agent.get('/step-up/approve/forged-token-that-was-never-issued');
    expect(res.status).to.equal(404);
  });

  it('"Exigir segundo fator para administradores": the password alone no longer confirms, a QR approval from a TOTP session still does', async () => {
    const s = await staleAdmin();
    // Changing the setting is itself a sensitive act: confirmed (by password, as it is still off) first.
    const setting = await s.agent.post(`/me/security/accounts/${s.accountId}`).type('form').send({ _csrf: s.csrf, requireSecondFactor: '1' });
    expect(setting.headers.location).to.equal('/step-up');
    await s.agent.post('/step-up').type('form').send({ _csrf: s.csrf, password: PASSWORD });
    expect((await postReplay(s.agent, (await s.agent.get('/step-up/continue')).text)).headers.location).to.equal('/me');
    expect((await s.agent.get('/me')).text).to.match(/name="requireSecondFactor" value="1" checked/);
    const secret = await enableTotp(portal, s.admin.userId);
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
    const phone = await loggedInWithTotp(portal, s.admin.email, PASSWORD, secret);
    expect((await phone.agent.post(path).type('form').send({ _csrf: phone.csrf })).status).to.equal(200);
    expect((await s.agent.get('/step-up/status').set('HX-Request', 'true')).headers['hx-redirect']).to.equal('/step-up/continue');
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
  describe('who the company rule asks, and who may switch it off', () => {
    async function strictAccount() {
      const account = await createAccount(portal.db);
      await portal.db('account_security').insert({ account_id: account.accountId, require_second_factor: true, updated_at: new Date() });
      return account;
    }

    /** Signed in a moment ago with the password only, sent to /step-up: the password is not offered and not accepted. */
    async function expectSecondFactorAsked(a: Agent, csrf: string, res: { headers: Record<string, string> }) {
      expect(res.headers.location).to.equal('/step-up');
      const page = await a.get('/step-up');
      expect(page.text).not.to.contain('name="password"');
      expect(page.text).to.contain('Sua empresa exige um segundo fator');
      expect((await a.post('/step-up').type('form').send({ _csrf: csrf, password: PASSWORD })).status).to.equal(403);
    }

    it('a "Personalizado" contact granted "contacts.manage" is asked for a second factor like an administrator', async () => {
      const { accountId } = await strictAccount();
      const custom = await addMember(portal.db, accountId, { profile: 'custom', name: 'Clara Personalizada' });
      await portal.db('contact_permissions').insert({ contact_id: custom.contactId, permission_key: 'contacts.manage' });
      const { agent: a, csrf } = await loggedIn(portal, custom.email, PASSWORD);
      const form = validContact();
      await expectSecondFactorAsked(a, csrf, await a.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...form }));
      expect(await contactByEmail(accountId, form.email!)).to.equal(undefined);
    });

    it('a member granted "contacts.invite" through a group is asked for a second factor', async () => {
      const { accountId } = await strictAccount();
      const member = await addMember(portal.db, accountId, { profile: 'member', name: 'Gustavo Grupo' });
      const [groupId] = await portal.db('groups').insert({ account_id: accountId, name: 'Convites', description: '', created_at: new Date(), updated_at: new Date() });
      const id = Number(groupId ?? (await portal.db('groups').where({ account_id: accountId, name: 'Convites' }).first('id')).id);
      await portal.db('group_permissions').insert({ group_id: id, permission_key: 'contacts.invite' });
      await portal.db('group_members').insert({ group_id: id, contact_id: member.contactId });
      const { agent: a, csrf } = await loggedIn(portal, member.email, PASSWORD);
      const address = uniqueEmail('convidado');
      await expectSecondFactorAsked(a, csrf, await a.post(`/accounts/${accountId}/invitations`).type('form').send({ _csrf: csrf, addresses: address, profile: 'member' }));
      expect(await contactByEmail(accountId, address)).to.equal(undefined);
    });

    it('a password-only session of the primary administrator cannot switch the rule off; a second factor can, and the other administrators are told by e-mail', async () => {
      const { accountId, admin } = await strictAccount();
      const company = (await portal.db('accounts').where({ id: accountId }).first('name')).name;
      const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
      const secret = await enableTotp(portal, admin.userId);
      const other = await addMember(portal.db, accountId, { profile: 'administrator', name: 'Olga Outra' });
      const custom = await addMember(portal.db, accountId, { profile: 'custom', name: 'Caio Convites' });
      await portal.db('contact_permissions').insert({ contact_id: custom.contactId, permission_key: 'contacts.invite' });
      const member = await addMember(portal.db, accountId, { profile: 'member' });

      await expectSecondFactorAsked(a, csrf, await a.post(`/me/security/accounts/${accountId}`).type('form').send({ _csrf: csrf }));
      expect((await portal.db('account_security').where({ account_id: accountId }).first()).require_second_factor).to.be.oneOf([true, 1]);

      const confirmed = await a.post('/step-up').type('form').send({ _csrf: csrf, code: await codeAt(secret, 0) });
      expect(confirmed.headers.location).to.equal('/step-up/continue');
      expect((await postReplay(a, (await a.get('/step-up/continue')).text)).headers.location).to.equal('/me');
      expect((await portal.db('account_security').where({ account_id: accountId }).first()).require_second_factor).to.be.oneOf([false, 0]);

      for (const person of [other, custom]) {
        const mail = await mailFor(portal, person.email);
        expect(mail.subject).to.equal(`Regra de segurança de ${company} alterada no Portal`);
        expect(mail.text).to.contain(`${person.name}. ${admin.name} deixou de exigir um segundo fator dos administradores de ${company}`);
      }
      const told = await portal.db('mail_outbox').where({ account_id: accountId, template: 'company-security-changed' }).pluck('to_address');
      expect(told.sort()).to.deep.equal([other.email, custom.email].sort());
      expect(told).not.to.include(member.email);
      const [event] = await portal.db('audit_events').where({ account_id: accountId, action: 'account.security_changed' }).pluck('details');
      const { _stepUp: confirmedBy, ...change } = JSON.parse(event);
      expect(change).to.deep.equal({ before: { requireSecondFactor: true }, after: { requireSecondFactor: false } });
      // The event says how the act was confirmed: the TOTP code typed on /step-up.
      expect(confirmedBy).to.include({ method: 'code' });
    });
  });
});
