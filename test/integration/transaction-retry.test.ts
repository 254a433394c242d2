import { expect } from 'chai';
import type { Knex } from 'knex';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { inTransaction } from '../../server/db/transaction';
import { freshDatabaseUrl, TEST_DB } from '../support/databases';

/** Resolves once `n` callers have arrived: both transactions hold their first lock before either asks for the second. */
function barrier(n: number) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return () => {
    if (++arrived === n) open();
    return opened;
  };
}

describe(`inTransaction on a real database (${TEST_DB})`, function () {
  let db: Knex;

  before(async () => {
    const url = await freshDatabaseUrl();
    db = createDb(loadConfig({ NODE_ENV: 'test', SESSION_SECRET: 'x'.repeat(32), DATABASE_URL: url }).database);
    await db.schema.createTable('retry_rows', (t) => {
      t.integer('id').primary();
      t.integer('visits').notNullable();
    });
  });
  beforeEach(async () => {
    await db('retry_rows').del();
    await db('retry_rows').insert([{ id: 1, visits: 0 }, { id: 2, visits: 0 }]);
  });
  after(() => db?.destroy());

  const visits = async () => (await db('retry_rows').orderBy('id')).map((r: { visits: number }) => Number(r.visits));

  it('commits the work once and rolls all of it back on an error it does not rerun', async () => {
    await inTransaction(db, async (trx) => { await trx('retry_rows').where({ id: 1 }).increment('visits', 1); });
    const failure = await inTransaction(db, async (trx) => {
      await trx('retry_rows').where({ id: 2 }).increment('visits', 1);
      throw new Error('seat limit');
    }).catch((e: unknown) => e);
    expect((failure as Error).message).to.equal('seat limit');
    expect(await visits()).to.deep.equal([1, 0]);
  });

  if (TEST_DB === 'mysql') {
    /** Locks row `first`, waits for the other transaction to lock its row, then locks `second`. */
    const crossing = (meet: () => Promise<void>, first: number, second: number, attempts: number[]) => async (trx: Knex.Transaction) => {
      attempts.push(first);
      await trx('retry_rows').where({ id: first }).increment('visits', 1);
      if (attempts.filter((a) => a === first).length === 1) await meet();
      await trx('retry_rows').where({ id: second }).increment('visits', 1);
    };

    it('two transactions locking two rows in opposite order: without the helper one of them fails with a deadlock', async () => {
      const meet = barrier(2);
      const attempts: number[] = [];
      const outcomes = await Promise.allSettled([db.transaction(crossing(meet, 1, 2, attempts)), db.transaction(crossing(meet, 2, 1, attempts))]);
      const failed = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
      expect(failed).to.have.length(1);
      expect((failed[0]!.reason as { errno: number }).errno).to.equal(1213);
      expect(await visits()).to.deep.equal([1, 1]);
    });

    it('the same two through inTransaction: the loser reruns whole and both commit exactly once', async () => {
      const meet = barrier(2);
      const attempts: number[] = [];
      const retried: unknown[] = [];
      const options = { onRetry: (err: unknown) => retried.push((err as { errno: number }).errno) };
      await Promise.all([inTransaction(db, crossing(meet, 1, 2, attempts), options), inTransaction(db, crossing(meet, 2, 1, attempts), options)]);
      expect(retried).to.deep.equal([1213]);
      expect(attempts).to.have.length(3);
      expect(await visits()).to.deep.equal([2, 2]);
    });
  }
});
