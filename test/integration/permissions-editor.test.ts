/**
 * "Permissões de Acesso" of a contact and the groups pages, as the administrator uses them:
 * flags grouped by module with their pt-BR labels, a profile's flags read-only (the HTMX preview),
 * Personalizado saved flag by flag, groups whose flags add up, where each flag comes from, the
 * audit of what was added and removed, and the limits: nobody grants what they do not hold, the
 * primary administrator's permissions are not editable, another account's records are not found.
 */
import { expect } from 'chai';
import type { TFunction } from 'i18next';
import { createI18n } from '../../server/i18n';
import { BUILT_IN_PROFILES } from '../../server/plugins/contract';
import { addMember, createAccount, PASSWORD, type AccountFixture } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { auditEventsOf, decode, fieldError, flashes, selectedOption } from './helpers/contacts';
import {
  checkedKeys,
  flagBoxes,
  idFromLocation,
  insertEnvironment,
  insertGroup,
  menuLinks,
  modulesOf,
  postForm,
  sourcesOf,
  storedGrants,
} from './helpers/permissions';

const SAVED = 'Registro salvo com sucesso!';
const REMOVED = 'Registro removido com sucesso!';
const CANNOT_GRANT = 'Você não pode conceder uma permissão que não possui.';
const OWNER_LOCKED = 'As permissões do administrador principal não podem ser alteradas.';
const OWNER_HOLDS_ALL = 'O administrador principal possui todas as permissões, sempre.';
const NOT_FOUND = 'A página ou o registro que você procura não existe.';
const NAME_TAKEN = 'Já existe um grupo com este nome.';

interface Session {
  agent: Agent;
  csrf: string;
}

describe('Permissões de Acesso (editor) and groups', () => {
  let portal: TestPortal;
  let t: TFunction;

  before(async () => {
    portal = await sharedPortal();
    t = (await createI18n(portal.registry.catalogs)).getFixedT('pt-BR');
  });

  /** A fresh account, its owner logged in, and helpers bound to it. */
  async function setup() {
    const account = await createAccount(portal.db);
    const owner = await loggedIn(portal, account.admin.email, PASSWORD);
    const base = `/accounts/${account.accountId}`;
    return { account, owner, base, editor: (contactId: number) => `${base}/contacts/${contactId}/permissions` };
  }

  const sorted = (s: Iterable<string>) => [...s].sort();
  const permissionEvents = async (account: AccountFixture, contactId: number) =>
    (await auditEventsOf(portal.db, account.accountId, contactId)).filter((e) => e.action === 'contact.permissions_changed');

  describe('the page', () => {
    it('lists every registered flag grouped by module, in pt-BR, with the profile choice and "Salvar alterações"', async () => {
      const { account, owner, editor } = await setup();
      const bruno = await addMember(portal.db, account.accountId, { profile: 'member' });
      const res = await owner.agent.get(editor(bruno.contactId));
      expect(res.status).to.equal(200);
      const html = decode(res.text);
      expect(html).to.include('<h1>Permissões de Acesso: Bruno Membro</h1>');
      expect(html).to.include('Salvar alterações');

      // Generated from the registry: each module with its flags, in declaration order.
      const expected = new Map(
        portal.registry.plugins.filter((p) => p.permissions.length).map((p) => [t(p.name), p.permissions.map((perm) => t(perm.label))]),
      );
      expect(modulesOf(res.text)).to.deep.equal(expected);
      // And as the issue names them.
      const modules = modulesOf(res.text);
      expect(modules.get('Suporte')).to.deep.equal(['Portal de Clientes Autoatendimento', 'Acesso completo a chamados BPO', 'Restringir acesso aos chamados', 'Transferir chamados']);
      expect(modules.get('Cloud')).to.deep.equal(['Centro de Controle Cloud', 'Administradores de TI']);
      expect(modules.get('Educação Corporativa')).to.deep.equal([
        'Gestor Educação Corporativa - Academia (exclusivo para clientes)',
        'Gestor Educação Corporativa II - Academia (exclusivo para franquias)',
      ]);
      expect(modules.get('Portal')).to.include('Administrar usuários');

      // The profile select: the five choices in pt-BR, the contact's own selected, HTMX preview wired.
      const select = /<select id="f-profile"[^>]*>([\s\S]*?)<\/select>/.exec(res.text)!;
      expect([...select[1]!.matchAll(/<option value="([^"]+)"[^>]*>([^<]*)<\/option>/g)].map((m) => [m[1], decode(m[2]!)])).to.deep.equal([
        ['administrator', 'Administrador'],
        ['member', 'Membro'],
        ['observer_download', 'Observador (pode baixar documentos)'],
        ['observer', 'Observador (não pode baixar documentos)'],
        ['custom', 'Personalizado'],
      ]);
      expect(selectedOption(res.text, 'profile')).to.equal('member');
      expect(select[0]).to.include(`hx-get="${editor(bruno.contactId)}/preview"`);
      expect(select[0]).to.include('hx-target="#flags-panel"');

      // A built-in profile's flags are shown read-only: checked as the profile says, none submitted.
      const boxes = flagBoxes(res.text, portal.registry);
      expect(boxes.size).to.equal(portal.registry.keys.size);
      expect(checkedKeys(boxes)).to.deep.equal(sorted(portal.registry.flagsOfProfile('member')));
      expect([...boxes.values()].every((b) => b.disabled && b.name === undefined)).to.equal(true);
      expect(sourcesOf(res.text, 'support.portal')).to.deep.equal(['Perfil']);
      expect(sourcesOf(res.text, 'cloud.it-admin')).to.deep.equal([]);
    });

    for (const profile of BUILT_IN_PROFILES) {
      it(`preview of "${profile}": the #flags-panel fragment with exactly its flags, checked and read-only`, async () => {
        const { account, owner, editor } = await setup();
        const bruno = await addMember(portal.db, account.accountId, { profile: 'custom' });
        const res = await owner.agent.get(`${editor(bruno.contactId)}/preview?profile=${profile}`).set('HX-Request', 'true').set('HX-Target', 'flags-panel');
        expect(res.status).to.equal(200);
        expect(res.text.trimStart().startsWith('<div id="flags-panel"'), 'a fragment for #flags-panel').to.equal(true);
        expect(res.text).not.to.include('<html');
        const boxes = flagBoxes(res.text, portal.registry);
        expect(boxes.size).to.equal(portal.registry.keys.size);
        expect(checkedKeys(boxes)).to.deep.equal(sorted(portal.registry.flagsOfProfile(profile)));
        for (const [key, box] of boxes) {
          expect(box.disabled, `${key} read-only`).to.equal(true);
          expect(box.name, `${key} not submitted`).to.equal(undefined);
        }
        expect(modulesOf(res.text).get('Cloud')).to.deep.equal(['Centro de Controle Cloud', 'Administradores de TI']);
      });
    }

    it('preview of "Personalizado": editable checkboxes, starting from what the contact holds now', async () => {
      const { account, owner, editor } = await setup();
      const member = await addMember(portal.db, account.accountId, { profile: 'member' });
      let boxes = flagBoxes((await owner.agent.get(`${editor(member.contactId)}/preview?profile=custom`)).text, portal.registry);
      expect(checkedKeys(boxes)).to.deep.equal(sorted(portal.registry.flagsOfProfile('member')));
      expect([...boxes].every(([key, b]) => b.name === 'flags' && b.value === key && !b.disabled)).to.equal(true);

      const custom = await addMember(portal.db, account.accountId, { profile: 'custom' });
      await portal.db('contact_permissions').insert([{ contact_id: custom.contactId, permission_key: 'cloud.it-admin' }]);
      boxes = flagBoxes((await owner.agent.get(`${editor(custom.contactId)}/preview?profile=custom`)).text, portal.registry);
      expect(checkedKeys(boxes)).to.deep.equal(['cloud.it-admin']);
    });
  });

  describe('saving', () => {
    it('Personalizado with flags: "Registro salvo com sucesso!", audited with what was added and removed, effective on the contact\'s next request', async () => {
      const { account, owner, base, editor } = await setup();
      const envId = await insertEnvironment(portal.db, account.accountId);
      const olga = await addMember(portal.db, account.accountId, { profile: 'observer', name: 'Olga Observadora' });
      const olgaSession = await loggedIn(portal, olga.email, PASSWORD);
      expect((await olgaSession.agent.get(`${base}/p/cloud`)).status).to.equal(403);
      expect(menuLinks((await olgaSession.agent.get(base)).text)).not.to.include(`${base}/p/cloud`);

      const flags = ['cloud.control-center', 'cloud.it-admin', 'support.portal'];
      const res = await postForm(owner.agent, editor(olga.contactId), owner.csrf, { profile: 'custom', flags });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`${editor(olga.contactId)}?saved=1`);
      const page = await owner.agent.get(res.headers.location!);
      expect(flashes(page.text)).to.include(SAVED);
      expect(selectedOption(page.text, 'profile')).to.equal('custom');
      const boxes = flagBoxes(page.text, portal.registry);
      expect(checkedKeys(boxes)).to.deep.equal(flags);
      expect(sourcesOf(page.text, 'cloud.it-admin')).to.deep.equal(['Concedida']);

      expect((await portal.db('contacts').where({ id: olga.contactId }).first('profile')).profile).to.equal('custom');
      expect(await storedGrants(portal.db, olga.contactId)).to.deep.equal(flags);

      const before = portal.registry.flagsOfProfile('observer');
      const events = await permissionEvents(account, olga.contactId);
      expect(events).to.have.length(1);
      expect(events[0]!.actor_contact_id).to.equal(account.admin.contactId);
      expect(events[0]!.details).to.deep.include({
        added: sorted(flags.filter((k) => !before.has(k))),
        removed: sorted([...before].filter((k) => !flags.includes(k))),
      });
      expect(events[0]!.details!.before).to.deep.equal({ profile: 'observer' });

      // Olga's next request in the same session, no new login.
      expect(menuLinks((await olgaSession.agent.get(base)).text)).to.include(`${base}/p/cloud`);
      expect((await olgaSession.agent.get(`${base}/p/cloud`)).status).to.equal(200);
      expect((await postForm(olgaSession.agent, `${base}/p/cloud/environments/${envId}/restart`, olgaSession.csrf)).status).to.equal(303);
      expect((await olgaSession.agent.get(`${base}/contacts`)).status).to.equal(403);

      // Back to a built-in profile: the explicit grants go, and so does the access.
      await postForm(owner.agent, editor(olga.contactId), owner.csrf, { profile: 'observer' }).expect(303);
      expect(await storedGrants(portal.db, olga.contactId)).to.deep.equal([]);
      expect((await olgaSession.agent.get(`${base}/p/cloud`)).status).to.equal(403);
      const last = (await permissionEvents(account, olga.contactId)).at(-1)!;
      expect(last.details).to.deep.include({ added: sorted(before).filter((k) => !flags.includes(k)), removed: ['cloud.control-center', 'cloud.it-admin'] });
    });

    it('a built-in profile ignores flags sent with it: the profile decides', async () => {
      const { account, owner, editor } = await setup();
      const bruno = await addMember(portal.db, account.accountId, { profile: 'observer' });
      await postForm(owner.agent, editor(bruno.contactId), owner.csrf, { profile: 'member', flags: ['cloud.it-admin'] }).expect(303);
      expect(await storedGrants(portal.db, bruno.contactId)).to.deep.equal([]);
      expect((await portal.db('contacts').where({ id: bruno.contactId }).first('profile')).profile).to.equal('member');
    });

    it('refuses an unknown profile, an unknown flag or a group that does not exist (422), changing nothing', async () => {
      const { account, owner, editor } = await setup();
      const bruno = await addMember(portal.db, account.accountId, { profile: 'member' });
      const cases: [Record<string, string | string[] | number[]>, string][] = [
        [{ profile: 'chefe' }, 'Escolha um perfil válido.'],
        [{ profile: '' }, 'Escolha um perfil válido.'],
        [{ profile: 'custom', flags: ['support.portal', 'nope.flag'] }, 'Permissão desconhecida: nope.flag.'],
        [{ profile: 'member', groups: [999999] }, 'Grupo inválido.'],
      ];
      for (const [fields, message] of cases) {
        const res = await postForm(owner.agent, editor(bruno.contactId), owner.csrf, fields);
        expect(res.status, JSON.stringify(fields)).to.equal(422);
        expect(flashes(res.text), JSON.stringify(fields)).to.include(message);
      }
      expect((await portal.db('contacts').where({ id: bruno.contactId }).first('profile')).profile).to.equal('member');
      expect(await storedGrants(portal.db, bruno.contactId)).to.deep.equal([]);
      expect(await permissionEvents(account, bruno.contactId)).to.deep.equal([]);
    });

    it("the primary administrator's permissions cannot be edited: they hold everything", async () => {
      const { account, owner, editor } = await setup();
      const page = await owner.agent.get(editor(account.admin.contactId));
      expect(page.status).to.equal(200);
      expect(decode(page.text)).to.include(OWNER_HOLDS_ALL);
      expect(page.text).not.to.include('name="profile"');
      const res = await postForm(owner.agent, editor(account.admin.contactId), owner.csrf, { profile: 'observer' });
      expect(res.status).to.equal(409);
      expect(flashes(res.text)).to.include(OWNER_LOCKED);
      expect((await portal.db('contacts').where({ id: account.admin.contactId }).first('profile')).profile).to.equal('administrator');
      expect(await permissionEvents(account, account.admin.contactId)).to.deep.equal([]);
    });

    it("another account's contact is not found (404), page, preview and save alike", async () => {
      const { owner, base } = await setup();
      const other = await createAccount(portal.db);
      const stranger = await addMember(portal.db, other.accountId, { profile: 'observer' });
      const url = `${base}/contacts/${stranger.contactId}/permissions`;
      for (const res of [await owner.agent.get(url), await owner.agent.get(`${url}/preview?profile=member`), await postForm(owner.agent, url, owner.csrf, { profile: 'administrator' })]) {
        expect(res.status).to.equal(404);
        expect(decode(res.text)).to.include(NOT_FOUND);
      }
      expect((await portal.db('contacts').where({ id: stranger.contactId }).first('profile')).profile).to.equal('observer');
    });
  });

  describe('groups in the editor', () => {
    it('a contact in two groups holds profile ∪ both groups, and the editor shows where each flag comes from', async () => {
      const { account, owner, base, editor } = await setup();
      const n1 = idFromLocation((await postForm(owner.agent, `${base}/groups`, owner.csrf, { name: 'Suporte N1', flags: ['support.bpo-full', 'support.portal'] }).expect(303)).headers.location);
      const academy = idFromLocation((await postForm(owner.agent, `${base}/groups`, owner.csrf, { name: 'Academia', flags: ['education.academy-clients', 'cloud.control-center'] }).expect(303)).headers.location);
      const olga = await addMember(portal.db, account.accountId, { profile: 'observer', name: 'Olga Observadora' });
      const olgaSession = await loggedIn(portal, olga.email, PASSWORD);
      expect((await olgaSession.agent.get(`${base}/p/education`)).status).to.equal(403);

      await postForm(owner.agent, editor(olga.contactId), owner.csrf, { profile: 'observer', groups: [n1, academy] }).expect(303);
      const page = await owner.agent.get(editor(olga.contactId));
      expect(page.text).to.match(new RegExp(`<input type="checkbox" id="g-${n1}" name="groups" value="${n1}" checked>`));
      expect(page.text).to.match(new RegExp(`<input type="checkbox" id="g-${academy}" name="groups" value="${academy}" checked>`));
      expect(sourcesOf(page.text, 'support.portal')).to.deep.equal(['Perfil', 'Grupo Suporte N1']);
      expect(sourcesOf(page.text, 'support.bpo-full')).to.deep.equal(['Grupo Suporte N1']);
      expect(sourcesOf(page.text, 'cloud.control-center')).to.deep.equal(['Grupo Academia']);
      expect(sourcesOf(page.text, 'education.academy-clients')).to.deep.equal(['Grupo Academia']);
      expect(sourcesOf(page.text, 'education.academy-franchises')).to.deep.equal([]);
      // The group list of the editor names each group's flags.
      expect(decode(page.text)).to.include('Suporte N1 <span class="muted">(Acesso completo a chamados BPO, Portal de Clientes Autoatendimento)</span>');

      // The union, on Olga's next request.
      const menu = menuLinks((await olgaSession.agent.get(base)).text);
      expect(menu).to.include.members([`${base}/p/education`, `${base}/p/cloud`]);
      expect(menu).not.to.include(`${base}/p/education/franchises`);
      expect((await olgaSession.agent.get(`${base}/p/education`)).status).to.equal(200);
      expect((await olgaSession.agent.get(`${base}/p/cloud`)).status).to.equal(200);
      expect((await olgaSession.agent.get(`${base}/p/education/franchises`)).status).to.equal(403);

      const event = (await permissionEvents(account, olga.contactId)).at(-1)!;
      expect(event.details).to.deep.include({ added: ['cloud.control-center', 'education.academy-clients', 'support.bpo-full'], removed: [] });

      // Leaving one group takes its flags away on the next request.
      await postForm(owner.agent, editor(olga.contactId), owner.csrf, { profile: 'observer', groups: [n1] }).expect(303);
      expect((await olgaSession.agent.get(`${base}/p/education`)).status).to.equal(403);
      expect((await permissionEvents(account, olga.contactId)).at(-1)!.details).to.deep.include({ added: [], removed: ['cloud.control-center', 'education.academy-clients'] });
    });

    it("refuses a group of another account (422)", async () => {
      const { account, owner, editor } = await setup();
      const other = await createAccount(portal.db);
      const foreign = await insertGroup(portal.db, other.accountId, 'Alheio', ['cloud.it-admin']);
      const bruno = await addMember(portal.db, account.accountId);
      const res = await postForm(owner.agent, editor(bruno.contactId), owner.csrf, { profile: 'member', groups: [foreign] });
      expect(res.status).to.equal(422);
      expect(await portal.db('group_members').where({ contact_id: bruno.contactId })).to.have.length(0);
    });
  });

  describe('nobody grants a flag they do not hold', () => {
    let account: AccountFixture;
    let base: string;
    let owner: Session;
    let deputy: Session;
    let deputyId: number;
    let editor: (id: number) => string;

    before(async () => {
      ({ account, owner, base, editor } = await setup());
      // A second administrator: Personalizado with contacts.manage and the support portal, not cloud.it-admin.
      const d = await addMember(portal.db, account.accountId, { profile: 'member', name: 'Davi Adjunto' });
      deputyId = d.contactId;
      await postForm(owner.agent, editor(d.contactId), owner.csrf, { profile: 'custom', flags: ['contacts.manage', 'support.portal', 'cloud.control-center'] }).expect(303);
      deputy = await loggedIn(portal, d.email, PASSWORD);
    });

    it('the editor shows the flags the editor lacks as disabled ("você não possui esta permissão")', async () => {
      const x = await addMember(portal.db, account.accountId, { profile: 'custom' });
      const res = await deputy.agent.get(`${editor(x.contactId)}/preview?profile=custom`);
      expect(res.status).to.equal(200);
      const boxes = flagBoxes(res.text, portal.registry);
      expect(boxes.get('cloud.it-admin')).to.include({ disabled: true, checked: false });
      expect(boxes.get('support.portal')).to.include({ disabled: false });
      expect(decode(res.text)).to.include('você não possui esta permissão');
    });

    it('refuses (403, message, nothing changed) a flag, a profile or a group that would give what the editor lacks, including to themself', async () => {
      const x = await addMember(portal.db, account.accountId, { profile: 'member', name: 'Xavier Alvo' });
      const itAdmins = await insertGroup(portal.db, account.accountId, 'TI', ['cloud.it-admin']);
      const attempts: [number, Record<string, string | string[] | number[]>][] = [
        [x.contactId, { profile: 'custom', flags: ['support.portal', 'cloud.it-admin'] }],
        [x.contactId, { profile: 'administrator' }],
        [x.contactId, { profile: 'member', groups: [itAdmins] }],
        [deputyId, { profile: 'custom', flags: ['contacts.manage', 'support.portal', 'cloud.control-center', 'cloud.it-admin'] }],
        [deputyId, { profile: 'administrator' }],
      ];
      for (const [contactId, fields] of attempts) {
        const res = await postForm(deputy.agent, editor(contactId), deputy.csrf, fields);
        expect(res.status, JSON.stringify(fields)).to.equal(403);
        expect(flashes(res.text), JSON.stringify(fields)).to.include(CANNOT_GRANT);
      }
      expect((await portal.db('contacts').where({ id: x.contactId }).first('profile')).profile).to.equal('member');
      expect((await portal.db('contacts').where({ id: deputyId }).first('profile')).profile).to.equal('custom');
      expect(await storedGrants(portal.db, x.contactId)).to.deep.equal([]);
      expect(await storedGrants(portal.db, deputyId)).to.deep.equal(['cloud.control-center', 'contacts.manage', 'support.portal']);
      expect(await portal.db('group_members').where({ contact_id: x.contactId })).to.have.length(0);
      expect(await permissionEvents(account, x.contactId)).to.deep.equal([]);
    });

    it('lets the editor grant what they hold, and take away what they do not hold', async () => {
      const x = await addMember(portal.db, account.accountId, { profile: 'administrator', name: 'Xênia Alvo' });
      const res = await postForm(deputy.agent, editor(x.contactId), deputy.csrf, { profile: 'custom', flags: ['support.portal', 'contacts.manage'] });
      expect(res.status).to.equal(303);
      expect(await storedGrants(portal.db, x.contactId)).to.deep.equal(['contacts.manage', 'support.portal']);
      const event = (await permissionEvents(account, x.contactId)).at(-1)!;
      expect(event.actor_contact_id).to.equal(deputyId);
      expect(event.details!).to.deep.include({ added: [] });
      expect((event.details as { removed: string[] }).removed).to.include('cloud.it-admin');
    });

    it('refuses to create or widen a group with a flag the editor lacks (403, nothing saved)', async () => {
      let res = await postForm(deputy.agent, `${base}/groups`, deputy.csrf, { name: 'Tentativa', flags: ['support.portal', 'cloud.it-admin'] });
      expect(res.status).to.equal(403);
      expect(flashes(res.text)).to.include(CANNOT_GRANT);
      expect(await portal.db('groups').where({ account_id: account.accountId, name: 'Tentativa' })).to.have.length(0);

      const g = await insertGroup(portal.db, account.accountId, 'Suporte', ['support.portal']);
      res = await postForm(deputy.agent, `${base}/groups/${g}`, deputy.csrf, { name: 'Suporte', flags: ['support.portal', 'cloud.it-admin'] });
      expect(res.status).to.equal(403);
      const flags = (await portal.db('group_permissions').where({ group_id: g })).map((r: { permission_key: string }) => r.permission_key);
      expect(flags).to.deep.equal(['support.portal']);
    });
  });

  describe('groups pages', () => {
    it('create, list, refuse a duplicate name, edit, delete; each audited', async () => {
      const { account, owner, base, editor } = await setup();
      let list = await owner.agent.get(`${base}/groups`);
      expect(list.status).to.equal(200);
      expect(decode(list.text)).to.include('Nenhum grupo cadastrado.');

      const form = await owner.agent.get(`${base}/groups/new`);
      expect(form.status).to.equal(200);
      expect(modulesOf(form.text).get('Cloud')).to.deep.equal(['Centro de Controle Cloud', 'Administradores de TI']);
      expect([...flagBoxes(form.text, portal.registry).values()].every((b) => b.name === 'flags' && !b.checked)).to.equal(true);

      // Create.
      let res = await postForm(owner.agent, `${base}/groups`, owner.csrf, { name: 'Financeiro', description: 'Time do financeiro', flags: ['support.portal', 'cloud.control-center'] });
      expect(res.status).to.equal(303);
      const id = idFromLocation(res.headers.location);
      const page = await owner.agent.get(res.headers.location!);
      expect(flashes(page.text)).to.include(SAVED);
      expect(checkedKeys(flagBoxes(page.text, portal.registry))).to.deep.equal(['cloud.control-center', 'support.portal']);
      list = await owner.agent.get(`${base}/groups`);
      expect(decode(list.text)).to.include('Financeiro');
      expect(decode(list.text)).to.include('Portal de Clientes Autoatendimento');

      // A required name, an unknown flag, a name already taken.
      res = await postForm(owner.agent, `${base}/groups`, owner.csrf, { name: '', flags: ['support.portal'] });
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'name')).to.equal('Campo obrigatório.');
      res = await postForm(owner.agent, `${base}/groups`, owner.csrf, { name: 'Outro', flags: ['nope.flag'] });
      expect(res.status).to.equal(422);
      expect(flashes(res.text)).to.include('Permissão desconhecida: nope.flag.');
      res = await postForm(owner.agent, `${base}/groups`, owner.csrf, { name: 'Financeiro', flags: [] });
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'name')).to.equal(NAME_TAKEN);
      expect(await portal.db('groups').where({ account_id: account.accountId })).to.have.length(1);

      // Edit: rename and change flags; a member's access follows on their next request.
      const bia = await addMember(portal.db, account.accountId, { profile: 'observer' });
      await postForm(owner.agent, editor(bia.contactId), owner.csrf, { profile: 'observer', groups: [id] }).expect(303);
      const biaSession = await loggedIn(portal, bia.email, PASSWORD);
      expect((await biaSession.agent.get(`${base}/p/cloud`)).status).to.equal(200);
      res = await postForm(owner.agent, `${base}/groups/${id}`, owner.csrf, { name: 'Financeiro e Fiscal', description: '', flags: ['support.portal', 'education.academy-clients'] });
      expect(res.status).to.equal(303);
      expect(flashes((await owner.agent.get(res.headers.location!)).text)).to.include(SAVED);
      expect((await portal.db('groups').where({ id }).first('name')).name).to.equal('Financeiro e Fiscal');
      expect((await biaSession.agent.get(`${base}/p/cloud`)).status).to.equal(403);
      expect((await biaSession.agent.get(`${base}/p/education`)).status).to.equal(200);

      // Renaming onto another group's name is refused.
      const other = idFromLocation((await postForm(owner.agent, `${base}/groups`, owner.csrf, { name: 'Comercial' }).expect(303)).headers.location);
      res = await postForm(owner.agent, `${base}/groups/${other}`, owner.csrf, { name: 'Financeiro e Fiscal' });
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'name')).to.equal(NAME_TAKEN);

      // Delete: the group, its flags and its members go; so does the access it gave.
      res = await postForm(owner.agent, `${base}/groups/${id}/delete`, owner.csrf);
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`${base}/groups`);
      list = await owner.agent.get(`${base}/groups`);
      expect(flashes(list.text)).to.include(REMOVED);
      expect(decode(list.text)).not.to.include('Financeiro e Fiscal');
      expect(await portal.db('groups').where({ id })).to.have.length(0);
      expect(await portal.db('group_permissions').where({ group_id: id })).to.have.length(0);
      expect(await portal.db('group_members').where({ group_id: id })).to.have.length(0);
      expect((await biaSession.agent.get(`${base}/p/education`)).status).to.equal(403);
      expect((await owner.agent.get(`${base}/groups/${id}`)).status).to.equal(404);

      const actions = (await portal.db('audit_events').where({ account_id: account.accountId, target_type: 'group' }).orderBy('id').select('action', 'target_id', 'details'))
        .filter((e: { target_id: string }) => Number(e.target_id) === id)
        .map((e: { action: string; details: string }) => ({ action: e.action, details: JSON.parse(e.details) }));
      expect(actions.map((e) => e.action)).to.deep.equal(['group.created', 'group.updated', 'group.deleted']);
      expect(actions[1]!.details).to.deep.include({ added: ['education.academy-clients'], removed: ['cloud.control-center'] });
    });

    it("another account's group is not found (404): page, save, delete", async () => {
      const { owner, base } = await setup();
      const other = await createAccount(portal.db);
      const g = await insertGroup(portal.db, other.accountId, 'Deles', ['support.portal']);
      expect((await owner.agent.get(`${base}/groups/${g}`)).status).to.equal(404);
      expect((await postForm(owner.agent, `${base}/groups/${g}`, owner.csrf, { name: 'Nosso' })).status).to.equal(404);
      expect((await postForm(owner.agent, `${base}/groups/${g}/delete`, owner.csrf)).status).to.equal(404);
      expect((await portal.db('groups').where({ id: g }).first('name')).name).to.equal('Deles');
    });
  });
});
