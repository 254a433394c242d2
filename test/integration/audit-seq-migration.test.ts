import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { archiveChains } from '../../server/audit/audit-archive';
import { AuditService } from '../../server/audit/audit.service';
import { verifyChains } from '../../server/audit/audit-verify';
import { isoMs } from '../../server/audit/event-format';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest, migratorOptions } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount } from '../support/fixtures';

const SEQ = '20261206100000_audit_chain_seq';
const actor = { userId: null, contactId: null, name: 'Migração' };

describe('audit chains: the migration that gives each event its place (seq)', () => {
  it('numbers every chain in its order, heads and archive anchors included, in batches; verify passes and new events go on', async () => {
    const db = createDb(loadConfig({ ...process.env, DATABASE_URL: await freshDatabaseUrl() }).database);
    const step = { ...migratorOptions(coreMigrations), name: SEQ };
    const audit = new AuditService();
    const write = (accountId: number | null, n: number) => db.transaction((trx) => audit.record(trx, actor, { accountId, action: 'test.placed', details: { n } }));
    try {
      await migrateLatest(db, [coreMigrations]);
      const [a, b] = [(await createAccount(db)).accountId, (await createAccount(db)).accountId];
      // More events than one batch of the migration (2,000) in one account, interleaved with another's and chain 0's.
      for (let n = 0; n < 2100; n++) await write(n % 50 === 0 ? b : a, n);
      for (let n = 0; n < 3; n++) await write(null, n);
      // Account b's oldest 10 archived (an anchor), and one archived row an interrupted run left.
      const eleventh = await db('audit_events').where({ account_id: b }).orderBy('seq').offset(10).first('created_at');
      const cutoff = new Date(isoMs(eleventh.created_at));
      const leftover = await db('audit_events').where({ account_id: b }).orderBy('seq').offset(9).first();
      await archiveChains(db, audit, actor, { cutoff, dir: mkdtempSync(path.join(os.tmpdir(), 'audit-seq-')), chainId: b });
      await db('audit_events').insert(leftover);

      await db.migrate.down(step);
      expect(await db.schema.hasColumn('audit_events', 'seq')).to.equal(false);
      await db.migrate.up(step);

      for (const chain of [a, b, null]) {
        const rows = await (chain === null ? db('audit_events').whereNull('account_id') : db('audit_events').where({ account_id: chain })).orderBy('id').select('id', 'seq', 'hash');
        expect(rows.map((r) => Number(r.seq)), `chain ${chain ?? 0}: places in id order`).to.deep.equal(rows.map((_, i) => i + 1));
        const head = await db('audit_chain_heads').where({ chain_id: chain ?? 0 }).first();
        expect(Number(head.last_seq)).to.equal(rows.length);
      }
      // The left-over archived row keeps the place before the anchor's; the chain goes on after it.
      const anchor = await db('audit_chain_anchors').where({ chain_id: b }).first();
      expect(Number(anchor.last_seq)).to.equal(1);
      expect((await verifyChains(db)).problems).to.deep.equal([]);

      await write(a, 9999);
      await write(null, 9999);
      expect(Number((await db('audit_events').where({ account_id: a }).orderBy('seq', 'desc').first('seq')).seq)).to.equal(2059);
      expect((await verifyChains(db)).problems).to.deep.equal([]);

      // A place is unique in an account's chain, and never left empty.
      const taken = await db('audit_events').where({ account_id: a }).orderBy('seq').first();
      const { id: _id, ...copy } = taken;
      let duplicate: unknown;
      await db('audit_events').insert(copy).catch((err: unknown) => (duplicate = err));
      expect(String(duplicate)).to.match(/unique|duplicate/i);
      let empty: unknown;
      await db('audit_events').insert({ ...copy, seq: null }).catch((err: unknown) => (empty = err));
      expect(String(empty)).to.match(/not null|cannot be null/i);
    } finally {
      await db.destroy();
    }
  });
});
