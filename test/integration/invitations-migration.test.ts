import { expect } from 'chai';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest, migratorOptions } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount } from '../support/fixtures';

const MIGRATION = '20261201000009_invitations';

describe('migration 0009 (invitations)', () => {
  it('keeps every contact: linked stay linked, active without a login stay active; one login is one contact per account from then on', async () => {
    const db = createDb(loadConfig({ ...process.env, DATABASE_URL: await freshDatabaseUrl() }).database);
    try {
      await migrateLatest(db, [coreMigrations]);
      const { accountId, admin } = await createAccount(db);
      await db.migrate.down({ ...migratorOptions(coreMigrations), name: MIGRATION });
      expect(await db.schema.hasTable('invitations')).to.equal(false);

      // Data of the previous version: an active contact without a login, and (as the old "add"
      // allowed when the login's e-mail had changed) the administrator's login linked twice.
      const now = new Date();
      const row = (name: string, email: string, userId: number | null) => ({ account_id: accountId, user_id: userId, status: 'active', profile: 'member', name, email, country: 'BR', search: '', created_at: now, updated_at: now });
      const [withoutLogin] = await db('contacts').insert(row('Sem Login', 'sem.login@x.test', null));
      const [twice] = await db('contacts').insert(row('Ana de Novo', 'ana.antiga@x.test', admin.userId));

      await db.migrate.up({ ...migratorOptions(coreMigrations), name: MIGRATION });
      const rows = await db('contacts').where({ account_id: accountId }).orderBy('id').select('id', 'user_id', 'status');
      expect(rows.map((r) => ({ id: Number(r.id), user_id: r.user_id === null ? null : Number(r.user_id), status: r.status }))).to.deep.equal([
        { id: admin.contactId, user_id: admin.userId, status: 'active' },
        { id: Number(withoutLogin), user_id: null, status: 'active' },
        { id: Number(twice), user_id: null, status: 'active' },
      ]);
      let refused = false;
      await db('contacts').where({ id: twice }).update({ user_id: admin.userId }).catch(() => (refused = true));
      expect(refused, 'unique (account, user)').to.equal(true);
      expect(await db.schema.hasTable('invitations')).to.equal(true);
    } finally {
      await db.destroy();
    }
  });
});
