import { expect } from 'chai';
import type { Knex } from 'knex';
import { inTransaction, isRetryable, rerunOnConflict } from '../../server/db/transaction';

/** A stand-in for knex: each `transaction(work)` is one attempt, with its own "trx" that records what the work did. */
function fakeDb() {
  const attempts: string[][] = [];
  const db = {
    async transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
      const done: string[] = [];
      attempts.push(done);
      return work({ record: (what: string) => done.push(what) } as unknown as Knex.Transaction);
    },
  } as unknown as Knex;
  return { db, attempts };
}
const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213, code: 'ER_LOCK_DEADLOCK' });
const record = (trx: Knex.Transaction, what: string) => (trx as unknown as { record(w: string): void }).record(what);
const fast = { baseDelayMs: 1, maxDelayMs: 2 };

describe('inTransaction: reruns a transaction the database aborted for a conflict', () => {
  it('reruns the whole work, from its first statement, after a deadlock', async () => {
    const { db, attempts } = fakeDb();
    let calls = 0;
    const answer = await inTransaction(db, async (trx) => {
      record(trx, 'lock account');
      if (++calls < 3) throw deadlock();
      record(trx, 'insert contact');
      return 'added';
    }, fast);
    expect(answer).to.equal('added');
    expect(attempts).to.deep.equal([['lock account'], ['lock account'], ['lock account', 'insert contact']]);
  });

  it('gives up after the bounded number of attempts with the database error', async () => {
    const { db, attempts } = fakeDb();
    const retried: number[] = [];
    const failure = await inTransaction(db, async () => { throw deadlock(); }, { ...fast, attempts: 4, onRetry: (_e, n) => retried.push(n) }).catch((e: unknown) => e);
    expect((failure as { errno: number }).errno).to.equal(1213);
    expect(attempts).to.have.length(4);
    expect(retried).to.deep.equal([1, 2, 3]);
  });

  it('does not rerun other errors: a rule refused, a duplicate, a lock wait timeout', async () => {
    for (const err of [new Error('seat limit'), Object.assign(new Error('dup'), { errno: 1062 }), Object.assign(new Error('timeout'), { errno: 1205 })]) {
      const { db, attempts } = fakeDb();
      const failure = await inTransaction(db, async () => { throw err; }, fast).catch((e: unknown) => e);
      expect(failure).to.equal(err);
      expect(attempts).to.have.length(1);
    }
  });

  it('inside an outer transaction opens one savepoint and leaves the rerun to the outer helper', async () => {
    const { db, attempts } = fakeDb();
    (db as unknown as { isTransaction: boolean }).isTransaction = true;
    const failure = await inTransaction(db, async () => { throw deadlock(); }, fast).catch((e: unknown) => e);
    expect((failure as { errno: number }).errno).to.equal(1213);
    expect(attempts).to.have.length(1);
  });

  it('knows the deadlock by errno or by code', () => {
    expect(isRetryable({ errno: 1213 })).to.equal(true);
    expect(isRetryable({ code: 'ER_LOCK_DEADLOCK' })).to.equal(true);
    expect(isRetryable({ errno: 1205 })).to.equal(false);
    expect(isRetryable(null)).to.equal(false);
  });
});

describe('rerunOnConflict: reruns work that is one transaction of its own (a library\'s)', () => {
  it('runs it again after a deadlock, and not after any other error', async () => {
    let calls = 0;
    expect(await rerunOnConflict(async () => (++calls < 3 ? Promise.reject(deadlock()) : 'counted'), fast)).to.equal('counted');
    expect(calls).to.equal(3);
    let others = 0;
    const refused = await rerunOnConflict(async () => { others++; throw new Error('limit reached'); }, fast).catch((e: unknown) => e);
    expect((refused as Error).message).to.equal('limit reached');
    expect(others).to.equal(1);
  });
});
