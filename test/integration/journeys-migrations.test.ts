import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest, migratorOptions, type MigrationSet } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount } from '../support/fixtures';

const support: MigrationSet = { owner: 'support', directory: path.resolve(import.meta.dirname, '../../plugins/support/migrations'), tableName: 'knex_migrations_support' };

/** The #24 migrations fill what they add for rows written before them. */
describe('migrations of #24: existing rows are filled', () => {
  it("contacts get their sort name; existing tickets get per-company numbers and the counters go on from them", async () => {
    const db = createDb(loadConfig({ ...process.env, DATABASE_URL: await freshDatabaseUrl() }).database);
    try {
      await migrateLatest(db, [coreMigrations, support]);
      const a = await createAccount(db);
      const b = await createAccount(db);
      // Rows as the previous version wrote them.
      await db.migrate.down({ ...migratorOptions(coreMigrations), name: '20261203152400_contact_sort_name' });
      await db.migrate.down({ ...migratorOptions(support), name: '20261203153000_support_ticket_numbers' });
      const now = new Date();
      await db('contacts').insert({ account_id: a.accountId, user_id: null, status: 'active', profile: 'member', name: 'Álvaro Dias', email: 'alvaro@x.test', country: 'BR', search: ' alvaro dias', created_at: now, updated_at: now });
      const ticket = (accountId: number, subject: string) => ({ account_id: accountId, owner_contact_id: null, opened_by_contact_id: null, subject, description: subject, category: 'question', priority: 'medium', status: 'open', bpo: false, created_at: now, updated_at: now });
      for (const [accountId, subject] of [[a.accountId, 'A1'], [b.accountId, 'B1'], [a.accountId, 'A2'], [b.accountId, 'B2'], [a.accountId, 'A3']] as const) await db('support_tickets').insert(ticket(accountId, subject));

      await db.migrate.up({ ...migratorOptions(coreMigrations), name: '20261203152400_contact_sort_name' });
      await db.migrate.up({ ...migratorOptions(support), name: '20261203153000_support_ticket_numbers' });

      expect((await db('contacts').where({ email: 'alvaro@x.test' }).first('sort_name')).sort_name).to.equal('alvaro dias');
      expect((await db('contacts').where({ id: a.admin.contactId }).first('sort_name')).sort_name).to.equal('ana administradora');
      const numbered = await db('support_tickets').orderBy('id').select('subject', 'number');
      expect(numbered.map((t) => `${t.subject}=${t.number}`)).to.deep.equal(['A1=1', 'B1=1', 'A2=2', 'B2=2', 'A3=3']);
      expect(Number((await db('support_ticket_counters').where({ account_id: a.accountId }).first('last_number')).last_number)).to.equal(3);
      // The pair is unique: a second "#1" in a company is refused by the database.
      let refused = false;
      await db('support_tickets').insert({ ...ticket(a.accountId, 'A dup'), number: 1 }).catch(() => (refused = true));
      expect(refused).to.equal(true);
    } finally {
      await db.destroy();
    }
  });

  it("contacts written before it are found by their e-mail's domain once it ran; rolled back, they are not", async () => {
    const db = createDb(loadConfig({ ...process.env, DATABASE_URL: await freshDatabaseUrl() }).database);
    const domain = { ...migratorOptions(coreMigrations), name: '20261203160000_contact_search_domain' };
    const searchOf = async (id: number) => String((await db('contacts').where({ id }).first('search')).search);
    try {
      await migrateLatest(db, [coreMigrations, support]);
      const a = await createAccount(db);
      const email = String((await db('contacts').where({ id: a.admin.contactId }).first('email')).email);
      const domainPart = email.slice(email.indexOf('@') + 1);
      await db.migrate.down(domain);
      expect(await searchOf(a.admin.contactId)).not.to.contain(` ${domainPart}`);
      await db.migrate.up(domain);
      expect(await searchOf(a.admin.contactId)).to.contain(` ${domainPart}`);
    } finally {
      await db.destroy();
    }
  });
});
