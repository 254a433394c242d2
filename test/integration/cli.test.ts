import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { cnpj, cpf } from 'cpf-cnpj-validator';
import type { Knex } from 'knex';
import { isValidPhoneNumber } from 'libphonenumber-js';
import { readableActorName } from '../../server/audit/event-format';
import { accountSeatsCommand, setSeatLimit } from '../../server/cli/account-seats';
import { CliError, describeError } from '../../server/cli/common';
import { migrateCommand } from '../../server/cli/migrate';
import { formatReport, seedDemo, type SeedResult } from '../../server/cli/seed-demo';
import { ConfigError, loadConfig, type Config } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { verifyPassword } from '../../server/users/passwords';
import { freshDatabaseUrl } from '../support/databases';
import { addMember, createAccount } from '../support/fixtures';
import { agent, loggedIn, sharedPortal, startPortal, testEnv, type TestPortal } from '../support/portal';

const databaseUrl = (config: Config) => (config.database.client === 'sqlite' ? `sqlite:${config.database.filename}` : config.database.url);

/** Every row of the tables the seed writes, in id order: two equal snapshots mean nothing changed. */
async function snapshot(db: Knex) {
  const out: Record<string, unknown[]> = {};
  for (const table of ['accounts', 'users', 'contacts', 'audit_events', 'groups', 'cloud_environments', 'education_course_seats']) out[table] = await db(table).select('*').orderBy('id');
  out.group_permissions = await db('group_permissions').select('*').orderBy(['group_id', 'permission_key']);
  out.group_members = await db('group_members').select('*').orderBy(['group_id', 'contact_id']);
  return out;
}

async function expectCountersExact(db: Knex) {
  const real: { account_id: number; status: string; n: number | string }[] = await db('contacts').select('account_id', 'status').count({ n: '*' }).groupBy('account_id', 'status');
  for (const a of await db('accounts').select('id', 'active_count', 'pending_count', 'deactivated_count')) {
    for (const status of ['active', 'pending', 'deactivated']) {
      const n = Number(real.find((r) => Number(r.account_id) === Number(a.id) && r.status === status)?.n ?? 0);
      expect(Number(a[`${status}_count`]), `account ${a.id} ${status}`).to.equal(n);
    }
  }
}

describe('operator commands (server/cli)', () => {
  describe('seed:demo', () => {
    // One seeded database for the first two tests (migrating and seeding MySQL takes seconds).
    let portal: TestPortal;
    let db: Knex;
    let first: SeedResult;
    before(async () => {
      portal = await startPortal();
      db = portal.db;
      first = await seedDemo(db, { password: 'senha-demo-2026', registry: portal.registry });
    });

    it('fills a fresh database; a second run changes nothing, prints the same logins, and the counters are exact', async () => {
      expect(first.created).to.deep.equal({ accounts: 3, contacts: 42, users: 32 });
      const before = await snapshot(db);
      const report = await formatReport(db, first);

      const second = await seedDemo(db, { password: 'senha-demo-2026', registry: portal.registry });
      expect(second.created).to.deep.equal({ accounts: 0, contacts: 0, users: 0 });
      expect(second.accounts).to.deep.equal(first.accounts);
      expect(await snapshot(db)).to.deep.equal(before);
      expect(await formatReport(db, second)).to.deep.equal(report);
      await expectCountersExact(db);
    });

    it('writes realistic, valid data: every status, every profile, valid CPFs, CNPJs and phones', async () => {
      const { accounts } = first;
      const contacts = await db('contacts').select('*');
      expect(contacts.length).to.be.within(35, 45);
      const aurora = contacts.filter((c) => Number(c.account_id) === accounts.aurora);
      expect(new Set(aurora.map((c) => c.status))).to.deep.equal(new Set(['active', 'pending', 'deactivated']));
      expect(new Set(aurora.map((c) => c.profile))).to.deep.equal(new Set(['administrator', 'member', 'observer_download', 'observer']));
      for (const c of contacts) {
        expect(c.email, c.email).to.equal(c.email.toLowerCase());
        if (c.status === 'pending') expect(c.user_id, `${c.email} is pending`).to.equal(null);
        else expect(c.user_id, `${c.email} is ${c.status}`).to.not.equal(null);
        if (c.document_type === 'cpf') {
          expect(c.document_number, c.email).to.match(/^\d{11}$/);
          expect(cpf.isValid(c.document_number), `${c.document_number} of ${c.email}`).to.equal(true);
        }
        if (c.country === 'BR') {
          expect(c.phone, c.email).to.match(/^9\d{8}$/);
          expect(isValidPhoneNumber(`+55${c.area_code}${c.phone}`), `(${c.area_code}) ${c.phone}`).to.equal(true);
        }
      }
      const perAccount = new Set(contacts.map((c) => `${c.account_id}/${c.email}`));
      expect(perAccount.size).to.equal(contacts.length);
      for (const a of await db('accounts').select('*')) expect(cnpj.isValid(a.document), a.document).to.equal(true);

      const owner = async (accountId: number) => {
        const a = await db('accounts').where({ id: accountId }).first();
        return (await db('contacts').where({ id: a.owner_contact_id }).first()).email;
      };
      expect(await owner(accounts.aurora)).to.equal('admin@demo.portal');
      expect(await owner(accounts.valeVerde)).to.equal('admin2@demo.portal');
    });

    it("grants the cloud plugin's demo IT team: its member may restart Aurora's environments, another member may not", async () => {
      const restartButtons = async (email: string) => {
        const { agent: a } = await loggedIn(portal, email, 'senha-demo-2026');
        const page = await a.get(`/accounts/${first.accounts.aurora}/p/cloud`);
        expect(page.status, email).to.equal(200);
        return (page.text.match(/\/restart" class="inline">/g) ?? []).length;
      };
      const members: { email: string }[] = await db('contacts').select('email').where({ account_id: first.accounts.aurora, status: 'active', profile: 'member' }).orderBy('id').limit(2);
      expect(members).to.have.length(2);
      expect(await restartButtons(members[0]!.email), 'in the IT team group').to.equal(3);
      expect(await restartButtons(members[1]!.email), 'member profile only').to.equal(0);
    });

    it('without DEMO_PASSWORD: one random password on the first run, kept (not reset) on the next; the logins work', async () => {
      const portal = await startPortal();
      const first = await seedDemo(portal.db, {});
      expect(first.password.kind).to.equal('generated');
      const password = first.password.kind === 'generated' ? first.password.password : '';
      expect(password.length).to.be.at.least(10);
      const hashes = await portal.db('users').distinct('password_hash');
      expect(hashes).to.have.length(1);
      expect(await verifyPassword(hashes[0].password_hash, password)).to.equal(true);
      expect((await formatReport(portal.db, first)).join('\n')).to.contain(password);

      const second = await seedDemo(portal.db, {});
      expect(second.password).to.deep.equal({ kind: 'kept' });
      expect(await portal.db('users').distinct('password_hash')).to.deep.equal(hashes);
      expect(second.logins).to.deep.equal(first.logins);
      expect((await formatReport(portal.db, second)).join('\n')).to.not.contain(password);

      // admin@demo.portal lands on Aurora; admin2 of the second account cannot open it.
      const admin = await loggedIn(portal, 'admin@demo.portal', password);
      const home = await admin.agent.get('/accounts');
      expect(home.headers.location).to.equal(`/accounts/${first.accounts.aurora}`);
      const other = await loggedIn(portal, 'admin2@demo.portal', password);
      expect((await other.agent.get(`/accounts/${first.accounts.aurora}`)).status).to.equal(404);
      expect((await agent(portal).get('/setup')).status).to.equal(404);
    });
  });

  describe('account:seats', () => {
    async function accountUsingFour(db: Knex) {
      const name = `Seats ${Math.random().toString(36).slice(2)}`;
      const { accountId } = await createAccount(db, { name, seatLimit: 10 });
      await addMember(db, accountId);
      await addMember(db, accountId);
      await addMember(db, accountId, { status: 'pending' });
      await addMember(db, accountId, { status: 'deactivated' });
      return { accountId, name }; // 3 active + 1 pending = 4 seats in use
    }
    const events = (db: Knex, accountId: number) => db('audit_events').where({ account_id: accountId, action: 'account.seats_changed' }).orderBy('id');

    it('refuses a limit below the seats in use (active + pending) and changes nothing', async () => {
      const { db } = await sharedPortal();
      const { accountId } = await accountUsingFour(db);
      let error: unknown;
      try {
        await setSeatLimit(db, String(accountId), 3);
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(CliError);
      expect((error as Error).message).to.contain('4 seats in use (3 active + 1 pending)');
      expect((await db('accounts').where({ id: accountId }).first()).seat_limit).to.equal(10);
      expect(await events(db, accountId)).to.have.length(0);
    });

    it('accepts a limit equal to the usage, by exact name, and signs the audit event as "operator (CLI)"', async () => {
      const { db } = await sharedPortal();
      const { accountId, name } = await accountUsingFour(db);
      const change = await setSeatLimit(db, name, 4);
      expect(change).to.include({ before: 10, after: 4, inUse: 4, changed: true });
      expect((await db('accounts').where({ id: accountId }).first()).seat_limit).to.equal(4);
      const [event, ...more] = await events(db, accountId);
      expect(more).to.have.length(0);
      expect(event).to.include({ actor_user_id: null, target_type: 'account', target_id: String(accountId) });
      expect(readableActorName(event)).to.equal('operator (CLI)');
      expect(JSON.parse(event.details)).to.deep.include({ before: { seat_limit: 10 }, after: { seat_limit: 4 } });

      expect((await setSeatLimit(db, String(accountId), 4)).changed).to.equal(false);
      expect(await events(db, accountId)).to.have.length(1);
    });

    it('names the problem: unknown account, ambiguous name, a limit that is not a number', async () => {
      const { db } = await sharedPortal();
      const name = `Twin ${Math.random().toString(36).slice(2)}`;
      const a = await createAccount(db, { name });
      const b = await createAccount(db, { name });
      const failure = (p: Promise<unknown>) => p.then(() => 'no error', (err: Error) => (err instanceof CliError ? err.message : `unexpected ${err}`));
      expect(await failure(setSeatLimit(db, 'No Such Company 42', 5))).to.contain('no account with id or exact name');
      expect(await failure(setSeatLimit(db, name, 5))).to.contain(`ids ${a.accountId}, ${b.accountId}`);
      expect(await failure(setSeatLimit(db, String(a.accountId), 'lots'))).to.contain('whole number');
    });

    it('the command prints the usage and the change', async () => {
      const { db, config } = await sharedPortal();
      const { accountId } = await accountUsingFour(db);
      const lines: string[] = [];
      const env = testEnv({ DATABASE_URL: databaseUrl(config) });
      expect(await accountSeatsCommand([String(accountId)], env, (l) => lines.push(l))).to.equal(0);
      expect(await accountSeatsCommand([String(accountId), '50'], env, (l) => lines.push(l))).to.equal(0);
      expect(lines[1]).to.contain('4 of 10 seats in use');
      expect(lines[3]).to.contain('seat limit 10 → 50');
    });
  });

  describe('migrate', () => {
    it('`tsx server/cli/migrate.ts latest` migrates a fresh database; latest again is a no-op; rollback undoes it', async function () {
      this.timeout(60_000);
      const url = await freshDatabaseUrl();
      const env = testEnv({ DATABASE_URL: url });
      const child = spawn('npx', ['tsx', 'server/cli/migrate.ts', 'latest'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, err).to.equal(0);
      expect(out).to.match(/Ran \d+ migration\(s\):/);
      expect(out).to.contain('core/20261123000001_baseline');

      const lines: string[] = [];
      await migrateCommand(['latest'], env, (l) => lines.push(l));
      expect(lines).to.include('Already up to date: no migration to run.');
      await migrateCommand(['rollback'], env, (l) => lines.push(l));
      expect(lines.join('\n')).to.contain('core/20261123000001_baseline');

      const db = createDb(loadConfig(env).database);
      try {
        // The baseline's down drops every table its up made (later migrations drop theirs).
        for (const table of ['users', 'accounts', 'contacts', 'audit_events', 'sessions', 'rate_limits', 'contact_permissions', 'groups', 'group_permissions', 'group_members']) {
          expect(await db.schema.hasTable(table), table).to.equal(false);
        }
      } finally {
        await db.destroy();
      }
    });

    it('answers a bad argument or a bad configuration with one clear message', async () => {
      const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);
      const usage = await failure(migrateCommand(['sideways']));
      expect(usage).to.be.instanceOf(CliError);
      expect(describeError(usage)).to.contain('latest|rollback');
      const config = await failure(migrateCommand(['latest'], testEnv({ DATABASE_URL: 'postgres://db/portal' })));
      expect(config).to.be.instanceOf(ConfigError);
      expect(describeError(config)).to.contain('DATABASE_URL');
    });
  });
});
