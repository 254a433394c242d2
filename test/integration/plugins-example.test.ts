/**
 * The guide's example plugin (examples/field-visits, docs/plugins.md §3) as a partner meets it:
 * a folder outside plugins/ that imports only `portal/plugin`, type-checked with its own
 * tsconfig, and tested through `portal/testing` (`createTestApp`). Its pages use the context's
 * base URL and contacts directory, so they prove those too: scoped to the request's account.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { createTestApp, type PluginTestApp, type TestAccount } from 'portal/testing';
import { freshDatabaseUrl } from '../support/databases';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLE_DIR = path.join(ROOT, 'examples/field-visits');
const FORBIDDEN = 'Você não tem permissão para acessar esta página.';
const decode = (html: string) => html.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('the guide example, examples/field-visits', () => {
  it('type-checks with its own tsconfig (its test too), reading nothing of core but the contract and the test kit', function () {
    this.timeout(60_000);
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', EXAMPLE_DIR, '--listFiles'], { encoding: 'utf8' });
    expect(tsc.status, tsc.stdout + tsc.stderr).to.equal(0);
    const coreFiles = tsc.stdout.split('\n').map((f) => path.relative(ROOT, f.trim())).filter((f) => f && !f.startsWith('node_modules') && !f.startsWith('..') && !f.startsWith('examples/'));
    expect(coreFiles.sort()).to.deep.equal(['server/plugins/contract.ts', 'server/testing/testing.ts']);
  });

  describe('tested through createTestApp({ plugins })', () => {
    let portal: PluginTestApp;
    let account: TestAccount;
    let base: string;

    before(async () => {
      // The suite's database (SQLite, or MySQL/MariaDB under TEST_DB=mysql); a partner may leave env out.
      portal = await createTestApp({ plugins: [EXAMPLE_DIR], env: { DATABASE_URL: await freshDatabaseUrl() } });
      account = await portal.account();
      base = `${account.url}/p/field-visits`;
    });
    after(() => portal?.close());

    it('loads only the plugins it is given, with their flags and migrations', async () => {
      expect([...portal.flags].filter((k) => k.startsWith('field-visits.'))).to.deep.equal(['field-visits.view', 'field-visits.schedule']);
      expect([...portal.flags].some((k) => k.startsWith('cloud.'))).to.equal(false);
      expect(await portal.db.schema.hasTable('knex_migrations_field_visits')).to.equal(true);
    });

    it('lets a member see the visits but not schedule; Personalizado needs the flag', async () => {
      const member = await portal.signIn(await portal.person(account, { profile: 'member' }));
      expect((await member.get(base)).status).to.equal(200);
      const refused = await member.post(base, { site: 'Matriz', date: '2026-12-01' });
      expect(refused.status).to.equal(403);
      expect(decode(refused.text)).to.include(FORBIDDEN);

      const bare = await portal.signIn(await portal.person(account, { profile: 'custom' }));
      expect((await bare.get(base)).status).to.equal(403);
      const viewer = await portal.signIn(await portal.person(account, { profile: 'custom', flags: ['field-visits.view'] }));
      expect((await viewer.get(base)).status).to.equal(200);
      expect(await portal.db('field_visits').where({ account_id: account.id })).to.have.length(0);
    });

    it('schedules a visit below the base URL the context gives, signed in the audit trail, with the requester named', async () => {
      const scheduler = await portal.person(account, { profile: 'custom', flags: ['field-visits.view', 'field-visits.schedule'], name: 'Sérgio Agendador' });
      const s = await portal.signIn(scheduler);
      const res = await s.post(base, { site: 'Filial Campinas', date: '2026-12-09' });
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(base);

      const list = decode((await s.get(base)).text);
      expect(list).to.include('Filial Campinas');
      const visit = await portal.db('field_visits').where({ account_id: account.id, site: 'Filial Campinas' }).first();
      expect(list).to.include(`href="${base}/${visit.id}"`);
      expect(list).to.include(`action="${base}"`);

      const page = decode((await s.get(`${base}/${visit.id}`)).text);
      expect(page).to.include('Solicitada por: Sérgio Agendador');
      const audit = await portal.db('audit_events').where({ account_id: account.id, action: 'field-visits.scheduled' }).first();
      expect(audit).to.include({ actor_contact_id: scheduler.contactId, target_type: 'field_visit', target_id: String(visit.id) });
    });

    it("refuses a visit's invalid fields with 422 and saves nothing", async () => {
      const admin = await portal.signIn(account.owner);
      const res = await admin.post(base, { site: '', date: '2026-13-45' });
      expect(res.status).to.equal(422);
      const text = decode(res.text);
      expect(text).to.include('Informe o local (até 120 caracteres).');
      expect(text).to.include('Informe uma data válida.');
      expect(await portal.db('field_visits').where({ account_id: account.id, site: '' })).to.have.length(0);
    });

    it("lists as schedulers only this account's active holders of the flag", async () => {
      const other = await portal.account();
      await portal.person(other, { profile: 'custom', flags: ['field-visits.schedule'], name: 'Outra Empresa Agendadora' });
      await portal.person(account, { profile: 'custom', flags: ['field-visits.schedule'], name: 'Dora Desativada', status: 'deactivated' });
      await portal.person(account, { profile: 'member', name: 'Mara Membro' });
      const schedulers = /Quem agenda: ([^<]*)</.exec(decode((await (await portal.signIn(account.owner)).get(base)).text))?.[1] ?? '';
      expect(schedulers).to.include('Ana Administradora'); // the primary administrator holds every flag
      expect(schedulers).to.include('Sérgio Agendador');
      expect(schedulers).not.to.include('Outra Empresa');
      expect(schedulers).not.to.include('Dora Desativada');
      expect(schedulers).not.to.include('Mara Membro');
    });

    it('passes the route × profile matrix createTestApp runs for the loaded plugins', async function () {
      this.timeout(60_000);
      expect(await portal.checkGuards()).to.deep.equal([]);
    });

    it("never names a contact of another account, even when a row points at one; another account's visit is a 404", async () => {
      const other = await portal.account();
      const stranger = await portal.person(other, { name: 'Estranho de Outra Conta' });
      const [id] = await portal.db('field_visits').insert({
        account_id: account.id, requested_by_contact_id: stranger.contactId, site: 'Depósito', scheduled_for: '2026-12-10', status: 'scheduled', created_at: new Date(),
      });
      const admin = await portal.signIn(account.owner);
      const page = await admin.get(`${base}/${Number(id)}`);
      expect(page.status).to.equal(200);
      expect(decode(page.text)).not.to.include('Estranho de Outra Conta');
      expect(decode(page.text)).not.to.include('Solicitada por');

      const [foreign] = await portal.db('field_visits').insert({
        account_id: other.id, requested_by_contact_id: null, site: 'Alheio', scheduled_for: '2026-12-10', status: 'scheduled', created_at: new Date(),
      });
      expect((await admin.get(`${base}/${Number(foreign)}`)).status).to.equal(404);
      expect((await admin.post(`${base}/${Number(foreign)}/cancel`)).status).to.equal(404);
      expect((await portal.db('field_visits').where({ id: Number(foreign) }).first()).status).to.equal('scheduled');
    });
  });
});
