/**
 * A plugin core has never heard of, loaded from a folder outside the repository's plugins/
 * (test/fixtures/partner-plugin, named in PORTAL_PLUGINS): its flags in the editor, its menu entry
 * only with its flag, its route 403 without it, its own migrations table, its hook inside core's
 * transaction. Then switching a built-in plugin off and on again loses nothing.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BUILT_IN_PLUGINS_DIR, PluginError } from '../../server/plugins/loader';
import { freshDatabaseUrl } from '../support/databases';
import { addMember, createAccount, PASSWORD, type AccountFixture } from '../support/fixtures';
import { loggedIn, sharedPortal, startPortal, type Agent, type TestPortal } from '../support/portal';
import { PARTNER_ID, REFUSED_CONTACT_NAME } from '../fixtures/partner-plugin/index';
import { auditEventsOf, countersOf, decode } from './helpers/contacts';
import { flagBoxes, insertEnvironment, menuLinks, modulesOf, postForm, storedGrants } from './helpers/permissions';

const PARTNER_DIR = path.resolve(import.meta.dirname, '../fixtures/partner-plugin');
const FORBIDDEN = 'Você não tem permissão para acessar esta página.';
const SAVED = 'Registro salvo com sucesso!';

interface Session {
  agent: Agent;
  csrf: string;
}

describe('a partner plugin loaded from outside plugins/', () => {
  let portal: TestPortal;
  let account: AccountFixture;
  let admin: Session;
  let a: string; // /accounts/:id

  before(async () => {
    portal = await startPortal({ PORTAL_PLUGINS: PARTNER_DIR });
    account = await createAccount(portal.db);
    admin = await loggedIn(portal, account.admin.email, PASSWORD);
    a = `/accounts/${account.accountId}`;
  });

  it('is loaded from the folder PORTAL_PLUGINS names, which is not below plugins/', () => {
    expect(path.relative(BUILT_IN_PLUGINS_DIR, PARTNER_DIR).startsWith('..')).to.equal(true);
    expect(portal.config.extraPlugins).to.deep.equal([PARTNER_DIR]);
    const partner = portal.registry.plugins.find((p) => p.id === PARTNER_ID);
    expect(partner, 'partner plugin registered').to.not.equal(undefined);
    expect(portal.registry.plugins.map((p) => p.id)).to.include.members(['core', 'support', 'education', 'cloud', PARTNER_ID]);
    expect([...portal.registry.keys]).to.include.members(['partner-reports.view', 'partner-reports.manage']);
  });

  it('ran its migration in its own table, knex_migrations_partner_reports', async () => {
    const set = portal.registry.migrationSets().find((s) => s.owner === PARTNER_ID);
    expect(set?.tableName).to.equal('knex_migrations_partner_reports');
    expect(await portal.db.schema.hasTable('partner_reports_items')).to.equal(true);
    const ran = (await portal.db('knex_migrations_partner_reports').select('name')).map((r: { name: string }) => r.name);
    expect(ran).to.deep.equal(['20261201000001_partner_reports_items']);
    const core = (await portal.db('knex_migrations').select('name')).map((r: { name: string }) => r.name);
    expect(core.some((n) => n.includes('partner'))).to.equal(false);
  });

  it("shows its flags in the editor, under its own module, with its pt-BR labels", async () => {
    const contact = await addMember(portal.db, account.accountId, { profile: 'custom', name: 'Célia Personalizada' });
    const res = await admin.agent.get(`${a}/contacts/${contact.contactId}/permissions`);
    expect(res.status).to.equal(200);
    const modules = modulesOf(res.text);
    expect(modules.get('Relatórios do Parceiro')).to.deep.equal(['Ver relatórios do parceiro', 'Gerenciar relatórios do parceiro']);
    expect(modules.has('Cloud'), 'built-in modules stay').to.equal(true);
    const boxes = flagBoxes(res.text, portal.registry);
    expect(boxes.get('partner-reports.view')).to.include({ name: 'flags', value: 'partner-reports.view', checked: false, disabled: false });
    expect(boxes.get('partner-reports.manage')).to.include({ name: 'flags', value: 'partner-reports.manage', checked: false });
    expect(decode(res.text)).to.include('Consulta os relatórios publicados pelo parceiro.');
  });

  it('shows its menu entry only to a contact holding its flag; its routes answer 403 without it and work on the next request once granted', async () => {
    const bia = await addMember(portal.db, account.accountId, { profile: 'observer', name: 'Bia Observadora' });
    const bSession = await loggedIn(portal, bia.email, PASSWORD);
    const b = bSession.agent;
    const menuPath = `${a}/p/${PARTNER_ID}`;

    // Without the flag: no menu entry, 403 on the page and on the action.
    let home = await b.get(a);
    expect(home.status).to.equal(200);
    expect(menuLinks(home.text)).not.to.include(menuPath);
    let page = await b.get(menuPath);
    expect(page.status).to.equal(403);
    expect(decode(page.text)).to.include(FORBIDDEN);
    let add = await postForm(b, `${menuPath}/items`, bSession.csrf, { title: 'Vendas de março' });
    expect(add.status).to.equal(403);

    // The admin grants "view" one by one (Personalizado).
    const grant = await postForm(admin.agent, `${a}/contacts/${bia.contactId}/permissions`, admin.csrf, { profile: 'custom', flags: ['partner-reports.view'] });
    expect(grant.status).to.equal(303);
    const saved = await admin.agent.get(grant.headers.location!);
    expect(decode(saved.text)).to.include(SAVED);

    // Bia's very next request, same session: the menu entry and the page.
    home = await b.get(a);
    expect(menuLinks(home.text)).to.include(menuPath);
    page = await b.get(menuPath);
    expect(page.status).to.equal(200);
    expect(decode(page.text)).to.include('<h1>Relatórios do Parceiro</h1>');
    expect(decode(page.text)).to.include('Nenhum relatório publicado.');
    expect(page.text).not.to.include(`action="${menuPath}/items"`); // "manage" not held: no form
    add = await postForm(b, `${menuPath}/items`, bSession.csrf, { title: 'Vendas de março' });
    expect(add.status).to.equal(403);

    // "manage" too: the action works and is audited.
    await postForm(admin.agent, `${a}/contacts/${bia.contactId}/permissions`, admin.csrf, { profile: 'custom', flags: ['partner-reports.view', 'partner-reports.manage'] }).expect(303);
    add = await postForm(b, `${menuPath}/items`, bSession.csrf, { title: 'Vendas de março' });
    expect(add.status).to.equal(303);
    page = await b.get(add.headers.location!);
    expect(decode(page.text)).to.include('Vendas de março');
    expect(decode(page.text)).to.include('Relatório publicado.');
    const events = await auditEventsOf(portal.db, account.accountId);
    expect(events.map((e) => e.action)).to.include('partner-reports.item_created');

    // Taken away again: gone on the next request.
    await postForm(admin.agent, `${a}/contacts/${bia.contactId}/permissions`, admin.csrf, { profile: 'observer' }).expect(303);
    home = await b.get(a);
    expect(menuLinks(home.text)).not.to.include(menuPath);
    expect((await b.get(menuPath)).status).to.equal(403);
  });

  it('its pages answer in the user\'s language', async () => {
    const res = await admin.agent.get(`${a}/p/${PARTNER_ID}`).set('Accept-Language', 'es');
    expect(res.status).to.equal(200);
    expect(decode(res.text)).to.include('<h1>Informes del Socio</h1>');
    const en = await admin.agent.get(`${a}/p/${PARTNER_ID}`).set('Accept-Language', 'en');
    expect(decode(en.text)).to.include('<h1>Partner Reports</h1>');
  });

  it('runs its contact.deleting hook inside the deletion transaction', async () => {
    const carlos = await addMember(portal.db, account.accountId, { name: 'Carlos Saindo' });
    const res = await postForm(admin.agent, `${a}/contacts/${carlos.contactId}/delete`, admin.csrf);
    expect(res.status).to.equal(303);
    expect(await portal.db('contacts').where({ id: carlos.contactId }).first()).to.equal(undefined);
    const notes = await portal.db('partner_reports_items').where({ account_id: account.accountId, kind: 'contact_deleted', contact_id: carlos.contactId });
    expect(notes).to.have.length(1);
  });

  it('rolls the deletion back when its hook throws: the contact, the counters and the hook\'s own write stay as they were', async () => {
    const paula = await addMember(portal.db, account.accountId, { name: REFUSED_CONTACT_NAME });
    const before = await countersOf(portal.db, account.accountId);
    const res = await postForm(admin.agent, `${a}/contacts/${paula.contactId}/delete`, admin.csrf);
    expect(res.status).to.equal(500);
    expect(await portal.db('contacts').where({ id: paula.contactId }).first()).to.not.equal(undefined);
    expect(await countersOf(portal.db, account.accountId)).to.deep.equal(before);
    expect(await portal.db('partner_reports_items').where({ contact_id: paula.contactId })).to.have.length(0);
    const events = await auditEventsOf(portal.db, account.accountId, paula.contactId);
    expect(events.map((e) => e.action)).not.to.include('contact.deleted');
  });
});

describe('switching a plugin off (PORTAL_DISABLED_PLUGINS) keeps its data', () => {
  let url: string;
  let account: AccountFixture;
  let diego: { contactId: number; email: string };
  let envId: number;
  let groupId: number;

  before(async () => {
    url = await freshDatabaseUrl();
  });

  it('with cloud on, an explicit grant of cloud.it-admin lets the contact restart an environment', async () => {
    const on = await startPortal({ DATABASE_URL: url });
    account = await createAccount(on.db);
    diego = await addMember(on.db, account.accountId, { profile: 'observer', name: 'Diego TI' });
    envId = await insertEnvironment(on.db, account.accountId);
    const admin = await loggedIn(on, account.admin.email, PASSWORD);
    await postForm(admin.agent, `/accounts/${account.accountId}/contacts/${diego.contactId}/permissions`, admin.csrf, {
      profile: 'custom', flags: ['cloud.control-center', 'cloud.it-admin', 'documents.download'],
    }).expect(303);
    // A group granting a cloud flag keeps it too.
    await postForm(admin.agent, `/accounts/${account.accountId}/groups`, admin.csrf, { name: 'Nuvem', flags: ['cloud.control-center'] }).expect(303);
    groupId = (await on.db('groups').where({ account_id: account.accountId, name: 'Nuvem' }).first('id')).id;
    expect(await storedGrants(on.db, diego.contactId)).to.deep.equal(['cloud.control-center', 'cloud.it-admin', 'documents.download']);

    const d = await loggedIn(on, diego.email, PASSWORD);
    expect(menuLinks((await d.agent.get(`/accounts/${account.accountId}`)).text)).to.include(`/accounts/${account.accountId}/p/cloud`);
    expect((await d.agent.get(`/accounts/${account.accountId}/p/cloud`)).status).to.equal(200);
    expect((await postForm(d.agent, `/accounts/${account.accountId}/p/cloud/environments/${envId}/restart`, d.csrf)).status).to.equal(303);
  });

  it('with cloud off, its grants stay in the database, its menu entry and routes are gone, and editing the contact keeps them', async () => {
    const off = await startPortal({ DATABASE_URL: url, PORTAL_DISABLED_PLUGINS: 'cloud' });
    expect(off.registry.plugins.map((p) => p.id)).not.to.include('cloud');
    expect(off.registry.keys.has('cloud.it-admin')).to.equal(false);
    expect(await storedGrants(off.db, diego.contactId)).to.include('cloud.it-admin');
    expect(await off.db.schema.hasTable('cloud_environments')).to.equal(true);
    expect(await off.db('cloud_environments').where({ id: envId }).first()).to.not.equal(undefined);

    const d = await loggedIn(off, diego.email, PASSWORD);
    const home = await d.agent.get(`/accounts/${account.accountId}`);
    expect(home.status).to.equal(200);
    expect(menuLinks(home.text).some((l) => l.includes('/p/cloud'))).to.equal(false);
    expect((await d.agent.get(`/accounts/${account.accountId}/p/cloud`)).status).to.equal(404);
    expect((await postForm(d.agent, `/accounts/${account.accountId}/p/cloud/environments/${envId}/restart`, d.csrf)).status).to.equal(404);

    // The editor shows no cloud module; saving the contact keeps the switched-off grants.
    const admin = await loggedIn(off, account.admin.email, PASSWORD);
    const editor = await admin.agent.get(`/accounts/${account.accountId}/contacts/${diego.contactId}/permissions`);
    expect(editor.status).to.equal(200);
    expect(modulesOf(editor.text).has('Cloud')).to.equal(false);
    expect(editor.text).not.to.include('cloud.it-admin');
    await postForm(admin.agent, `/accounts/${account.accountId}/contacts/${diego.contactId}/permissions`, admin.csrf, { profile: 'custom', flags: ['documents.download', 'support.portal'] }).expect(303);
    expect(await storedGrants(off.db, diego.contactId)).to.deep.equal(['cloud.control-center', 'cloud.it-admin', 'documents.download', 'support.portal']);
    // The audit speaks only of flags that exist now.
    const last = (await auditEventsOf(off.db, account.accountId, diego.contactId)).filter((e) => e.action === 'contact.permissions_changed').at(-1)!;
    expect(last.details).to.deep.include({ added: ['support.portal'], removed: [] });
    // Saving the group keeps its cloud flag as well.
    await postForm(admin.agent, `/accounts/${account.accountId}/groups/${groupId}`, admin.csrf, { name: 'Nuvem', flags: ['support.portal'] }).expect(303);
    const groupFlags = (await off.db('group_permissions').where({ group_id: groupId }).select('permission_key')).map((r: { permission_key: string }) => r.permission_key).sort();
    expect(groupFlags).to.deep.equal(['cloud.control-center', 'support.portal']);
  });

  it('with cloud on again, the same grants work again: nothing was lost', async () => {
    const again = await startPortal({ DATABASE_URL: url });
    const ran = (await again.db('knex_migrations_cloud').select('name')).map((r: { name: string }) => r.name);
    expect(ran).to.deep.equal(['20261123200001_cloud_environments']);
    const d = await loggedIn(again, diego.email, PASSWORD);
    expect(menuLinks((await d.agent.get(`/accounts/${account.accountId}`)).text)).to.include(`/accounts/${account.accountId}/p/cloud`);
    const page = await d.agent.get(`/accounts/${account.accountId}/p/cloud`);
    expect(page.status).to.equal(200);
    expect(decode(page.text)).to.include('Produção');
    expect((await postForm(d.agent, `/accounts/${account.accountId}/p/cloud/environments/${envId}/restart`, d.csrf)).status).to.equal(303);
    const admin = await loggedIn(again, account.admin.email, PASSWORD);
    const boxes = flagBoxes((await admin.agent.get(`/accounts/${account.accountId}/contacts/${diego.contactId}/permissions`)).text, again.registry);
    expect(boxes.get('cloud.it-admin')?.checked).to.equal(true);
  });
});

describe('a bad plugin: the portal refuses to start', () => {
  let root: string;

  /** A plugin folder whose index.ts exports `manifest` (plain data) and holds `migrations`. */
  function pluginFolder(id: string, manifest: Record<string, unknown>, migrations: string[] = []): string {
    const folder = path.join(root, id);
    mkdirSync(folder, { recursive: true });
    if (migrations.length) {
      mkdirSync(path.join(folder, 'migrations'));
      for (const name of migrations) writeFileSync(path.join(folder, 'migrations', name), 'export async function up() {}\nexport async function down() {}\n');
      manifest = { ...manifest, migrations: path.join(folder, 'migrations') };
    }
    writeFileSync(path.join(folder, 'index.ts'), `export default ${JSON.stringify(manifest)};\n`);
    return folder;
  }

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'portal-bad-plugin-'));
    writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('server/main.ts exits 1 with one line naming the plugin and the problem, before listening', async () => {
    const bad = pluginFolder('rogue', {
      id: 'rogue', name: 'plugins.rogue.name',
      permissions: [{ key: 'contacts.delete-all', label: 'plugins.rogue.all' }],
      locales: { 'pt-BR': { plugins: { rogue: { name: 'Rogue', all: 'Tudo' } } } },
    });
    const env = {
      ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1',
      SESSION_SECRET: 'test-secret-that-is-long-enough-0123456789', DATA_DIR: root,
      DATABASE_URL: `sqlite:${path.join(root, 'portal.sqlite')}`, PORTAL_PLUGINS: bad,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).to.equal(1);
    expect(out).not.to.include('Portal: http');
    expect(err.trim().split('\n')).to.deep.equal(['Plugin "rogue": permission "contacts.delete-all" is outside the plugin\'s namespace "rogue."']);
  });

  it("refuses a plugin named in PORTAL_PLUGINS whose migration name collides with the partner's", async () => {
    const clash = pluginFolder('clash', {
      id: 'clash', name: 'plugins.clash.name', permissions: [{ key: 'clash.read', label: 'plugins.clash.read' }],
      locales: { 'pt-BR': { plugins: { clash: { name: 'Clash', read: 'Ler' } } } },
    }, ['20261201000001_partner_reports_items.ts']);
    let error: unknown;
    try {
      await startPortal({ PORTAL_PLUGINS: `${PARTNER_DIR},${clash}` });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(PluginError);
    expect((error as Error).message).to.equal('Plugin "clash": migration "20261201000001_partner_reports_items.ts" collides with plugin "partner-reports"');
  });

  it('starts when the offending plugin is switched off', async () => {
    const clash = pluginFolder('clash', {
      id: 'clash', name: 'plugins.clash.name', permissions: [{ key: 'clash.read', label: 'plugins.clash.read' }],
      locales: { 'pt-BR': { plugins: { clash: { name: 'Clash', read: 'Ler' } } } },
    }, ['20261201000001_partner_reports_items.ts']);
    const portal = await startPortal({ PORTAL_PLUGINS: `${PARTNER_DIR},${clash}`, PORTAL_DISABLED_PLUGINS: 'clash' });
    expect(portal.registry.plugins.map((p) => p.id)).to.include(PARTNER_ID).and.not.include('clash');
  });
});

describe('the cloud page after a restart', () => {
  it('says which environment restarts from the database, never a text taken from the URL', async () => {
    const portal = await sharedPortal();
    const account = await createAccount(portal.db);
    const envId = await insertEnvironment(portal.db, account.accountId, 'Produção');
    const other = await createAccount(portal.db);
    const otherEnvId = await insertEnvironment(portal.db, other.accountId, 'Ambiente Alheio');
    const admin = await loggedIn(portal, account.admin.email, PASSWORD);
    const page = `/accounts/${account.accountId}/p/cloud`;

    // The page's form and the redirect are built from the context's base URL, not a path in code.
    expect((await admin.agent.get(page)).text).to.contain(`action="${page}/environments/${envId}/restart"`);
    const restarted = await postForm(admin.agent, `${page}/environments/${envId}/restart`, admin.csrf);
    expect(restarted.status).to.equal(303);
    expect(restarted.headers.location).to.equal(`${page}?restarted=${envId}`);
    expect(decode((await admin.agent.get(restarted.headers.location!)).text)).to.contain('Reinício solicitado para o ambiente Produção.');

    for (const forged of ['Seu acesso expirou, ligue para 0800', String(otherEnvId)]) {
      const res = await admin.agent.get(`${page}?restarted=${encodeURIComponent(forged)}`);
      expect(res.status).to.equal(200);
      expect(decode(res.text)).not.to.contain('Reinício solicitado');
      expect(decode(res.text)).not.to.contain(forged === String(otherEnvId) ? 'Ambiente Alheio' : forged);
    }
  });
});
