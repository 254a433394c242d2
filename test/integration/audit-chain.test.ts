import { expect } from 'chai';
import type { Knex } from 'knex';
import { AuditService } from '../../server/audit/audit.service';
import { eventHash, personalIntact, type EventRow as StoredEvent } from '../../server/audit/event-format';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest, migratorOptions } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount } from '../support/fixtures';
import { sharedPortal, type TestPortal } from '../support/portal';

const CONCURRENT = 12;

interface EventRow extends Record<string, unknown> {
  id: number;
  hash: string;
  prev_hash: string | null;
}

/** A chain's events in chain order (an account's, or the events of no account). */
async function chainOf(db: Knex, accountId: number | null): Promise<EventRow[]> {
  const q = db('audit_events').orderBy('seq');
  if (accountId === null) q.whereNull('account_id');
  else q.where({ account_id: accountId });
  return q.select('*');
}

/** Each event names the one before it and its hash covers its own fields: nothing forked, edited or removed. */
function expectLinked(events: EventRow[]) {
  for (const [i, e] of events.entries()) {
    if (i > 0) expect(e.prev_hash, `event ${e.id} follows event ${events[i - 1]!.id}`).to.equal(events[i - 1]!.hash);
    if (i > 0) expect(Number(e.seq), `event ${e.id} takes the place after event ${events[i - 1]!.id}'s`).to.equal(Number(events[i - 1]!.seq) + 1);
    expect(eventHash(e as unknown as StoredEvent), `event ${e.id}'s hash covers its fields`).to.equal(e.hash);
    expect(personalIntact(e as unknown as StoredEvent), `event ${e.id}'s personal values match their digest`).to.equal(true);
  }
}

describe('audit chain', () => {
  let portal: TestPortal;
  const audit = new AuditService();
  const actor = { userId: null, contactId: null, name: 'Teste da cadeia' };

  before(async () => {
    portal = await sharedPortal();
  });

  const record = (accountId: number | null, n: number) =>
    portal.db.transaction((trx) => audit.record(trx, actor, { accountId, action: 'test.chained', details: { n } }));

  it(`${CONCURRENT} events of one account written at once form one unbroken chain, and the head names the newest`, async () => {
    const { accountId } = await createAccount(portal.db);
    await Promise.all(Array.from({ length: CONCURRENT }, (_, n) => record(accountId, n)));
    const events = (await chainOf(portal.db, accountId)).filter((e) => e.action === 'test.chained');
    expect(events).to.have.length(CONCURRENT);
    expectLinked(await chainOf(portal.db, accountId));
    const head = await portal.db('audit_chain_heads').where({ chain_id: accountId }).first();
    expect(head.last_hash).to.equal(events.at(-1)!.hash);
  });

  it(`${CONCURRENT} events of no account (a person's own sign-in changes) written at once do not fork their chain`, async () => {
    await Promise.all(Array.from({ length: CONCURRENT }, (_, n) => record(null, n)));
    const events = await chainOf(portal.db, null);
    expectLinked(events);
    const head = await portal.db('audit_chain_heads').where({ chain_id: 0 }).first();
    expect(head.last_hash).to.equal(events.at(-1)!.hash);
  });

  it('two accounts keep separate chains: an event of one never follows an event of the other', async () => {
    const [a, b] = [await createAccount(portal.db), await createAccount(portal.db)];
    await Promise.all([record(a.accountId, 1), record(b.accountId, 1), record(a.accountId, 2), record(b.accountId, 2)]);
    for (const id of [a.accountId, b.accountId]) {
      const events = await chainOf(portal.db, id);
      expectLinked(events);
      const hashes = new Set(events.map((e) => e.hash));
      for (const e of events.slice(1)) expect(hashes.has(e.prev_hash!)).to.equal(true);
    }
  });

  it('the migration fills each chain head from its newest event, and new events go on from there', async () => {
    const db = createDb(loadConfig({ ...process.env, DATABASE_URL: await freshDatabaseUrl() }).database);
    // Named: later migrations may exist, and this one is stepped on its own.
    const heads = { ...migratorOptions(coreMigrations), name: '20261203000100_audit_chain_heads' };
    const seq = { ...migratorOptions(coreMigrations), name: '20261206100000_audit_chain_seq' };
    const write = (accountId: number | null, n: number) => db.transaction((trx) => audit.record(trx, actor, { accountId, action: 'test.chained', details: { n } }));
    try {
      await migrateLatest(db, [coreMigrations]);
      const { accountId } = await createAccount(db);
      await write(accountId, 1);
      await write(null, 1);
      await write(accountId, 2);
      await db.migrate.down(seq);
      await db.migrate.down(heads);
      expect(await db.schema.hasTable('audit_chain_heads')).to.equal(false);
      await db.migrate.up(heads);
      await db.migrate.up(seq);
      for (const id of [accountId, null]) {
        const newest = (await chainOf(db, id)).at(-1)!;
        expect((await db('audit_chain_heads').where({ chain_id: id ?? 0 }).first()).last_hash).to.equal(newest.hash);
      }
      await write(accountId, 3);
      expectLinked(await chainOf(db, accountId));
    } finally {
      await db.destroy();
    }
  });
});
