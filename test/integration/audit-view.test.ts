/**
 * "Auditoria": the account's trail for holders of audit.view. Each filter narrows, paging keeps the
 * filter, each event reads in words, and nothing of another account is ever listed.
 */
import { expect } from 'chai';
import { AuditService, type Actor } from '../../server/audit/audit.service';
import { addMember, createAccount, PASSWORD, type AccountFixture } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { decode } from './helpers/contacts';
import { postForm } from './helpers/permissions';

/** The actions listed on a page, as their labels, in order. */
const listed = (html: string) => [...decode(html).matchAll(/<strong class="audit-action">([^<]*)<\/strong>/g)].map((m) => m[1]!);
const nextHref = (html: string) => /<a href="([^"]+)"[^>]* rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

describe('Auditoria', () => {
  let portal: TestPortal;
  let account: AccountFixture;
  let maria: Awaited<ReturnType<typeof addMember>>;
  let admin: { agent: Agent; csrf: string };
  let other: AccountFixture;
  const audit = new AuditService();
  let base: string;

  /** An event written as a service writes it, by `actor`, optionally moved back in time. */
  async function record(accountId: number, actor: Actor, action: string, target?: { type: string; id: number }, details?: Record<string, unknown>, at?: Date) {
    await portal.db.transaction((trx) => audit.record(trx, actor, { accountId, action, target, details }));
    if (at) {
      const last = await portal.db('audit_events').where({ account_id: accountId }).orderBy('seq', 'desc').first('id');
      await portal.db('audit_events').where({ id: last.id }).update({ created_at: at });
    }
  }

  before(async () => {
    portal = await sharedPortal();
    account = await createAccount(portal.db);
    other = await createAccount(portal.db, { name: 'Outra Empresa' });
    maria = await addMember(portal.db, account.accountId, { name: 'Maria Auditada' });
    base = `/accounts/${account.accountId}/audit`;
    admin = await loggedIn(portal, account.admin.email, PASSWORD);
    const mariaActs = { userId: maria.userId, contactId: maria.contactId, name: maria.name };
    await record(account.accountId, mariaActs, 'contacts.exported', undefined, { filter: { status: 'active', sort: 'name', q: '' }, rows: 3 }, new Date('2026-03-10T15:00:00Z'));
    await record(account.accountId, { userId: account.admin.userId, contactId: account.admin.contactId, name: account.admin.name }, 'group.created', { type: 'group', id: 7 }, { after: { name: 'Financeiro', flags: ['contacts.invite'] } }, new Date('2026-03-12T02:30:00Z'));
    // A real change through the page: Maria becomes an observer.
    await postForm(admin.agent, `/accounts/${account.accountId}/contacts/${maria.contactId}/permissions`, admin.csrf, { profile: 'observer' }).expect(303);
    // Another company's events, about a contact id and with a name that would match.
    const stranger = await addMember(portal.db, other.accountId, { name: 'Maria Estranha' });
    await record(other.accountId, { userId: stranger.userId, contactId: stranger.contactId, name: 'Maria Estranha' }, 'contact.updated', { type: 'contact', id: maria.contactId }, { before: { name: 'x' }, after: { name: 'Segredo Alheio' } });
  });

  it('is in the menu of who holds audit.view, and lists the account\'s events newest first', async () => {
    const res = await admin.agent.get(base).expect(200);
    expect(decode(res.text)).to.match(/<a[^>]*href="\/accounts\/\d+\/audit"[^>]*>Auditoria<\/a>/);
    expect(listed(res.text).slice(0, 1)).to.deep.equal(['Permissões alteradas']);
    expect(listed(res.text)).to.include.members(['Grupo criado', 'Usuários exportados (CSV)']);
    expect(decode(res.text)).not.to.contain('Segredo Alheio');
    expect(res.text).to.contain(`href="${base}/export.csv"`);
  });

  it('reads a change in words: labels and values of the viewer\'s language, who acted with their login e-mail, never raw keys', async () => {
    const html = decode((await admin.agent.get(`${base}?action=contact.permissions_changed`).expect(200)).text);
    const event = /<div class="audit-event">([\s\S]*?)<\/div>\s*<\/details>/.exec(html)![1]!;
    expect(event).to.contain('Ana Administradora');
    expect(event).to.contain(`(${account.admin.email})`);
    expect(event).to.match(/<th scope="row">Perfil<\/th><td>Membro<\/td><td>Observador \(não pode baixar documentos\)<\/td>/);
    expect(event).to.contain('Permissões retiradas');
    expect(event).to.contain('Baixar documentos');
    expect(event).to.contain('Maria Auditada');
    // The sign-in a moment ago let the change through: the event says so.
    expect(event).to.contain('Entrou com a senha pouco antes');
    for (const raw of ['profile', 'removed', 'documents.download', '_stepUp', '{"', 'observer']) expect(event, raw).not.to.contain(raw);
  });

  it('in English for an English reader', async () => {
    const html = decode((await admin.agent.get(`${base}?action=group.created`).set('Accept-Language', 'en').expect(200)).text);
    expect(listed(html)).to.deep.equal(['Group created']);
    expect(html).to.contain('<th scope="row">Permissions</th><td>—</td><td>Invite users</td>');
  });

  describe('each filter narrows', () => {
    it('by person: who acted, whom it was done to, or either; by id or by typed e-mail', async () => {
      expect(listed((await admin.agent.get(`${base}?person=${maria.contactId}&role=by`)).text)).to.deep.equal(['Usuários exportados (CSV)']);
      expect(listed((await admin.agent.get(`${base}?person=${maria.contactId}&role=to`)).text)).to.deep.equal(['Permissões alteradas']);
      expect(listed((await admin.agent.get(`${base}?person=${encodeURIComponent(maria.email.toUpperCase())}`)).text)).to.deep.equal(['Permissões alteradas', 'Usuários exportados (CSV)']);
      const nobody = decode((await admin.agent.get(`${base}?person=ninguem@example.test`)).text);
      expect(listed(nobody)).to.deep.equal([]);
      expect(nobody).to.contain('Nenhum usuário desta empresa com o e-mail "ninguem@example.test".');
    });

    it('by action, by target, and by dates in the portal\'s time zone (the end day included)', async () => {
      expect(listed((await admin.agent.get(`${base}?action=group.created`)).text)).to.deep.equal(['Grupo criado']);
      expect(listed((await admin.agent.get(`${base}?target_type=group&target_id=7`)).text)).to.deep.equal(['Grupo criado']);
      // 2026-03-12T02:30Z is still 11 March in São Paulo (UTC-3).
      expect(listed((await admin.agent.get(`${base}?from=2026-03-10&to=2026-03-11`)).text)).to.deep.equal(['Grupo criado', 'Usuários exportados (CSV)']);
      expect(listed((await admin.agent.get(`${base}?from=2026-03-11&to=2026-03-11`)).text)).to.deep.equal(['Grupo criado']);
      expect(listed((await admin.agent.get(`${base}?to=2026-03-10`)).text)).to.deep.equal(['Usuários exportados (CSV)']);
      expect(listed((await admin.agent.get(`${base}?from=2099-01-01`)).text)).to.deep.equal([]);
      expect(listed((await admin.agent.get(`${base}?person=${account.admin.contactId}&role=by&from=2026-03-11&to=2026-03-11`)).text)).to.deep.equal(['Grupo criado']);
    });

    it('by free text: an action\'s label, the actor\'s name, a contact acted on', async () => {
      expect(listed((await admin.agent.get(`${base}?q=exportados`)).text)).to.deep.equal(['Usuários exportados (CSV)']);
      expect(listed((await admin.agent.get(`${base}?q=Maria`)).text)).to.deep.equal(['Permissões alteradas', 'Usuários exportados (CSV)']);
      expect(listed((await admin.agent.get(`${base}?q=grupo`)).text)).to.deep.equal(['Grupo criado']);
    });
  });

  it('pages by a "next" cursor that keeps the filter', async () => {
    const own = { userId: account.admin.userId, contactId: account.admin.contactId, name: account.admin.name };
    const paulo = await addMember(portal.db, account.accountId, { name: 'Paulo Paginado' });
    for (let i = 0; i < 27; i++) await record(account.accountId, own, 'invitation.resent', { type: 'contact', id: paulo.contactId });
    await record(account.accountId, own, 'invitation.revoked', { type: 'contact', id: paulo.contactId });
    const first = await admin.agent.get(`${base}?action=invitation.resent&person=${paulo.contactId}`);
    expect(listed(first.text)).to.have.length(25);
    const next = nextHref(first.text)!;
    expect(next).to.match(/action=invitation.resent/).and.to.match(new RegExp(`person=${paulo.contactId}`)).and.to.match(/before=\d+/);
    expect(decode(first.text)).to.match(/<a href="[^"]+" hx-get="[^"]+" hx-target="#audit-results" hx-swap="outerHTML" hx-push-url="true" rel="next">/);
    const second = await admin.agent.get(next).set('HX-Request', 'true').set('HX-Target', 'audit-results');
    expect(second.text.trimStart().startsWith('<div id="audit-results">')).to.equal(true);
    expect(listed(second.text)).to.deep.equal(['Convite reenviado', 'Convite reenviado']);
    expect(nextHref(second.text)).to.equal(undefined);
  });

  describe('guards', () => {
    it('a member without audit.view gets 403 and no menu entry', async () => {
      const m = await loggedIn(portal, maria.email, PASSWORD);
      expect((await m.agent.get(base)).status).to.equal(403);
      expect((await m.agent.get(`${base}/people?person=ana`)).status).to.equal(403);
      expect(decode((await m.agent.get(`/accounts/${account.accountId}`)).text)).not.to.contain('>Auditoria<');
    });

    it('another account\'s id is a 404, and its events are never listed, whatever the filter names', async () => {
      expect((await admin.agent.get(`/accounts/${other.accountId}/audit`)).status).to.equal(404);
      const theirs = await portal.db('audit_events').where({ account_id: other.accountId, action: 'contact.updated' }).first('id', 'actor_contact_id');
      for (const forged of [`?person=${theirs.actor_contact_id}`, `?target_type=contact&target_id=${maria.contactId}&action=contact.updated`, '?q=Estranha', `?before=${Number(theirs.id) + 1}`]) {
        expect(decode((await admin.agent.get(base + forged)).text), forged).not.to.contain('Segredo Alheio');
      }
      expect((await admin.agent.get(`${base}/${theirs.id}`)).status).to.equal(404);
    });
  });

  it('the person field suggests the account\'s contacts only', async () => {
    const html = decode((await admin.agent.get(`${base}/people?person=Maria`)).text);
    expect(html).to.contain(`<option value="${maria.email}">Maria Auditada</option>`);
    expect(html).not.to.contain('Maria Estranha');
  });

  it('the contact\'s page shows what was done to them and by them, with a link to the filtered page for holders of audit.view', async () => {
    const page = decode((await admin.agent.get(`/accounts/${account.accountId}/contacts/${maria.contactId}`).expect(200)).text);
    const history = /<ul class="history">([\s\S]*?)<\/ul>/.exec(page)![1]!;
    expect(history).to.contain('Permissões alteradas · Ana Administradora');
    expect(history).to.contain('Usuários exportados (CSV) · Maria Auditada <span class="badge">fez</span>');
    expect(history).not.to.contain('Segredo Alheio');
    expect(page).to.contain(`<a href="${base}?person=${maria.contactId}">Ver tudo na Auditoria</a>`);

    const manager = await addMember(portal.db, account.accountId, { profile: 'custom', name: 'Gestor Sem Auditoria' });
    await portal.db('contact_permissions').insert({ contact_id: manager.contactId, permission_key: 'contacts.manage' });
    const g = await loggedIn(portal, manager.email, PASSWORD);
    const seen = decode((await g.agent.get(`/accounts/${account.accountId}/contacts/${maria.contactId}`).expect(200)).text);
    expect(seen).to.contain('Permissões alteradas');
    expect(seen).not.to.contain('Ver tudo na Auditoria');
  });
});
