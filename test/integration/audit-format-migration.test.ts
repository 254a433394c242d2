import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { AuditService } from '../../server/audit/audit.service';
import { eventHash, personalIntact, readableActorName, readableDetails, type EventRow } from '../../server/audit/event-format';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest, migratorOptions } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount } from '../support/fixtures';

const V2 = '20261204170000_audit_event_format_v2';

/** An event as format 1 wrote it: details in clear, the hash over JSON.stringify of the row. */
async function writeV1(db: Knex, accountId: number | null, actorName: string, details: Record<string, unknown>) {
  const head = await db('audit_chain_heads').where({ chain_id: accountId ?? 0 }).first();
  const row = {
    account_id: accountId, actor_user_id: null, actor_contact_id: null, actor_name: actorName, action: 'test.v1', target_type: null, target_id: null,
    details: JSON.stringify(details), ip: null, user_agent: null, request_id: null, created_at: new Date(), prev_hash: head?.last_hash ?? null,
  };
  const hash = createHash('sha256').update(JSON.stringify({ ...row, created_at: row.created_at.toISOString() })).digest('hex');
  await db('audit_events').insert({ ...row, hash });
  if (head) await db('audit_chain_heads').where({ chain_id: accountId ?? 0 }).update({ last_hash: hash });
  else await db('audit_chain_heads').insert({ chain_id: accountId ?? 0, last_hash: hash, updated_at: new Date() });
}

const chain = (db: Knex, accountId: number | null): Promise<(EventRow & { id: number; hash: string })[]> => {
  const q = db('audit_events').orderBy('id').select('*');
  return accountId === null ? q.whereNull('account_id') : q.where({ account_id: accountId });
};

describe('audit events: the format 2 migration', () => {
  it('moves names, e-mails and CPFs (masked) out of the details, re-chains every event, and new events go on from the head', async () => {
    const db = createDb(loadConfig({ ...process.env, DATABASE_URL: await freshDatabaseUrl() }).database);
    const step = { ...migratorOptions(coreMigrations), name: V2 };
    // The chain's places came later: stepped down first, up after.
    const seq = { ...migratorOptions(coreMigrations), name: '20261206100000_audit_chain_seq' };
    try {
      await migrateLatest(db, [coreMigrations]);
      const { accountId } = await createAccount(db);
      await db.migrate.down(seq);
      await db.migrate.down(step);
      await db('audit_events').delete();
      await db('audit_chain_heads').delete();
      const cpf = '12398224700';
      await writeV1(db, accountId, 'Admin Antiga', { after: { name: 'Joana Migrada', email: 'joana@example.test', document_number: cpf, status: 'pending' } });
      await writeV1(db, null, 'Joana Migrada', { before: { email: 'velho@example.test' }, after: { email: 'novo@example.test' } });
      await writeV1(db, accountId, 'Admin Antiga', { before: { status: 'active' }, after: { status: 'deactivated' } });

      await db.migrate.up(step);
      await db.migrate.up(seq);

      const dump = JSON.stringify(await db('audit_events').select('id', 'details', 'actor_name', 'hash', 'prev_hash'));
      for (const clear of ['Joana', 'joana@', 'velho@', 'Admin Antiga', cpf, '982.247']) expect(dump).not.to.contain(clear);
      const events = await chain(db, accountId);
      expect(readableDetails(events[0]!)).to.deep.equal({ after: { name: 'Joana Migrada', email: 'joana@example.test', document_number: '***.982.247-**', status: 'pending' } });
      expect(readableActorName(events[0]!)).to.equal('Admin Antiga');
      expect(JSON.stringify(events[0]!.personal)).not.to.contain(cpf);

      await db.transaction((trx) => new AuditService().record(trx, { userId: null, contactId: null, name: 'Novo' }, { accountId, action: 'test.v2' }));
      for (const id of [accountId, null]) {
        const rows = await chain(db, id);
        let prev: string | null = null;
        for (const e of rows) {
          expect(Number(e.format)).to.equal(2);
          expect(e.prev_hash, `event ${e.id} follows its predecessor`).to.equal(prev);
          expect(eventHash(e), `event ${e.id}`).to.equal(e.hash);
          expect(personalIntact(e)).to.equal(true);
          prev = e.hash;
        }
        expect((await db('audit_chain_heads').where({ chain_id: id ?? 0 }).first()).last_hash).to.equal(prev);
      }

      // And back: format 1's rows, chained with format 1's hash (the CPF stays masked).
      await db.migrate.down(seq);
      await db.migrate.down(step);
      const back = await chain(db, accountId);
      expect(JSON.parse(back[0]!.details!)).to.deep.equal({ after: { name: 'Joana Migrada', email: 'joana@example.test', document_number: '***.982.247-**', status: 'pending' } });
      expect(back[0]!.actor_name).to.equal('Admin Antiga');
    } finally {
      await db.destroy();
    }
  });
});
