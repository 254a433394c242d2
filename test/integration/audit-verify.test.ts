import { expect } from 'chai';
import type { Knex } from 'knex';
import { AuditService } from '../../server/audit/audit.service';
import { verifyChains } from '../../server/audit/audit-verify';
import { auditVerifyCommand } from '../../server/cli/audit-verify';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount } from '../support/fixtures';
import { testEnv } from '../support/portal';

const CONCURRENT = 20;

describe('npm run audit:verify', () => {
  let db: Knex;
  let url: string;
  const audit = new AuditService();
  const actor = { userId: 1, contactId: 2, name: 'Ana Verificadora', ip: '10.0.0.1', userAgent: 'Teste', requestId: 'req-1' };

  before(async () => {
    url = await freshDatabaseUrl();
    db = createDb(loadConfig({ ...process.env, DATABASE_URL: url }).database);
    await migrateLatest(db, [coreMigrations]);
  });
  after(() => db?.destroy());

  const record = (accountId: number | null, n: number) =>
    db.transaction((trx) => audit.record(trx, actor, {
      accountId, action: 'contact.updated', target: { type: 'contact', id: n },
      details: { before: { name: `Pessoa ${n}`, document_number: '12398224700', status: 'active' }, after: { name: `Pessoa ${n}b`, email: `p${n}@example.test` }, n },
    }));

  /** A new account with `count` events; answers the account and its event ids in chain order. */
  async function chainOf(count: number): Promise<{ accountId: number; ids: number[] }> {
    const { accountId } = await createAccount(db);
    for (let n = 0; n < count; n++) await record(accountId, n);
    const ids = (await db('audit_events').where({ account_id: accountId }).orderBy('seq').pluck('id')).map(Number);
    return { accountId, ids };
  }

  const seqOf = async (id: number) => Number((await db('audit_events').where({ id }).first('seq')).seq);
  /** Gives event `id` the place `seq` in its chain, as someone with write access to the table would. */
  const place = (id: number, seq: number) => db('audit_events').where({ id }).update({ seq });
  /** Exchanges two events' places (through a free one: the places are unique in a chain). */
  async function swapPlaces(a: number, b: number) {
    const [sa, sb] = [await seqOf(a), await seqOf(b)];
    await place(a, 1_000_000);
    await place(b, sa);
    await place(a, sb);
  }

  const firstProblem = async (accountId: number, batch?: number) => {
    const report = await verifyChains(db, { chainId: accountId, batch });
    expect(report.problems, 'one problem, in this chain').to.have.length(1);
    return report.problems[0]!;
  };

  async function run(args: string[]) {
    const out: string[] = [];
    const code = await auditVerifyCommand(args, testEnv({ DATABASE_URL: url }), (l) => out.push(l), (l) => out.push(l));
    return { code, text: out.join('\n') };
  }

  it('an untouched database passes, every chain of it (accounts and the events of no account), exit code 0', async () => {
    await chainOf(3);
    await record(null, 1);
    const { code, text } = await run([]);
    expect(text).to.match(/OK: \d+ chain\(s\), \d+ events verified/);
    expect(code).to.equal(0);
  });

  it('an edited detail: the command exits non-zero naming the account and the event whose content changed', async () => {
    const { accountId, ids } = await chainOf(4);
    await db('audit_events').where({ id: ids[2] }).update({ details: '{"n":99}' });
    const { code, text } = await run(['--account', String(accountId)]);
    expect(code).to.equal(2);
    expect(text).to.contain(`BROKEN account ${accountId}: event ${ids[2]}: content changed`);
  });

  it('an edited time, actor or action is a changed content too', async () => {
    for (const change of [{ created_at: new Date('2020-01-01T00:00:00.000Z') }, { actor_contact_id: 999 }, { action: 'contact.created' }]) {
      const { accountId, ids } = await chainOf(3);
      await db('audit_events').where({ id: ids[1] }).update(change);
      expect(await firstProblem(accountId)).to.include({ eventId: ids[1], kind: 'content-changed' });
    }
  });

  it('an edited personal value (a name put back in clear, say) no longer matches its digest', async () => {
    const { accountId, ids } = await chainOf(3);
    const row = await db('audit_events').where({ id: ids[1] }).first();
    await db('audit_events').where({ id: ids[1] }).update({ personal: String(row.personal).replace('Pessoa 1b', 'Outra Pessoa') });
    expect(await firstProblem(accountId)).to.include({ eventId: ids[1], kind: 'personal-changed' });
  });

  it('a deleted event: the one after it is named, its predecessor missing; the first or the newest deleted shows too', async () => {
    const middle = await chainOf(4);
    await db('audit_events').where({ id: middle.ids[1] }).delete();
    expect(await firstProblem(middle.accountId)).to.include({ eventId: middle.ids[2], kind: 'previous-missing' });

    const first = await chainOf(3);
    await db('audit_events').where({ id: first.ids[0] }).delete();
    expect(await firstProblem(first.accountId)).to.include({ eventId: first.ids[1], kind: 'previous-missing' });

    const newest = await chainOf(3);
    await db('audit_events').where({ id: newest.ids[2] }).delete();
    const { code, text } = await run(['--account', String(newest.accountId)]);
    expect(code).to.equal(2);
    expect(text).to.contain(`BROKEN account ${newest.accountId}: chain head mismatch`).and.to.contain(`the newest event is ${newest.ids[1]}`);
  });

  it('two events swapped (their contents exchanged between two places): the first of them is named, order swapped; also across a batch boundary', async () => {
    for (const [at, batch] of [[1, undefined], [2, 3]] as const) {
      const { accountId, ids } = await chainOf(6);
      const [a, b] = await Promise.all([ids[at]!, ids[at + 1]!].map((id) => db('audit_events').where({ id }).first()));
      const { id: _a, seq: _sa, ...aFields } = a;
      const { id: _b, seq: _sb, ...bFields } = b;
      await db('audit_events').where({ id: ids[at] }).update(bFields);
      await db('audit_events').where({ id: ids[at + 1] }).update(aFields);
      expect(await firstProblem(accountId, batch)).to.include({ eventId: ids[at], kind: 'order-swapped' });
    }
  });

  it('two neighbours\' places (seq) swapped: the one now first is named, order swapped; also across a batch boundary', async () => {
    for (const [at, batch] of [[1, undefined], [2, 3]] as const) {
      const { accountId, ids } = await chainOf(6);
      await swapPlaces(ids[at]!, ids[at + 1]!);
      const found = await firstProblem(accountId, batch);
      expect(found).to.include({ eventId: ids[at + 1], kind: 'order-swapped' });
      expect(found.message).to.contain(`order swapped with event ${ids[at]}`);
    }
  });

  it('two events further apart swapped, or one event moved to another place: the first out of order is named, and where its predecessor went', async () => {
    const apart = await chainOf(6);
    await swapPlaces(apart.ids[1]!, apart.ids[3]!);
    const swapped = await firstProblem(apart.accountId);
    expect(swapped).to.include({ eventId: apart.ids[3], kind: 'order-changed' });
    expect(swapped.message).to.contain(`it names event ${apart.ids[2]} as its predecessor, which is at place 3`);

    const moved = await chainOf(5);
    await place(moved.ids[2]!, 40);
    const found = await firstProblem(moved.accountId);
    expect(found).to.include({ eventId: moved.ids[3], kind: 'order-changed' });
    expect(found.message).to.contain(`it names event ${moved.ids[2]} as its predecessor, which is at place 40`);
  });

  it('a deleted event whose place was closed up (every later seq moved down by one): still the previous event is missing', async () => {
    const { accountId, ids } = await chainOf(5);
    await db('audit_events').where({ id: ids[1] }).delete();
    for (const id of ids.slice(2)) await place(id, (await seqOf(id)) - 1);
    expect(await firstProblem(accountId)).to.include({ eventId: ids[2], kind: 'previous-missing' });
  });

  it('a place changed where the links still hold (a gap in the sequence, or the newest moved on): the event is named, and the head\'s place is checked', async () => {
    const gap = await chainOf(4);
    for (const id of [...gap.ids.slice(2)].reverse()) await place(id, (await seqOf(id)) + 5);
    expect(await firstProblem(gap.accountId)).to.include({ eventId: gap.ids[2], kind: 'seq-changed' });

    const head = await chainOf(3);
    await db('audit_chain_heads').where({ chain_id: head.accountId }).update({ last_seq: 7 });
    const found = await firstProblem(head.accountId);
    expect(found).to.include({ eventId: head.ids[2], kind: 'head-mismatch' });
    expect(found.message).to.contain("the head's place 7 is not the newest event's, 3");
  });

  it('ids that run against the chain\'s order (as a Galera cluster hands them out) are no problem: the chain is walked by place', async () => {
    const { accountId, ids } = await chainOf(6);
    // Each node steps by the cluster size from its own offset: later events may get lower ids.
    const scrambled = [907, 302, 905, 304, 101, 910].map((n) => 5_000_000 + n);
    for (const [i, id] of ids.entries()) await db('audit_events').where({ id }).update({ id: scrambled[i] });
    await record(accountId, 6);
    const report = await verifyChains(db, { chainId: accountId, batch: 4 });
    expect(report.problems).to.deep.equal([]);
    expect(report.events).to.equal(7);
    // Tampering is still named by the event's id, wherever the id falls.
    await db('audit_events').where({ id: scrambled[4] }).update({ details: '{"n":99}' });
    expect(await firstProblem(accountId, 4)).to.include({ eventId: scrambled[4], kind: 'content-changed' });
  });

  it('a tampered event of no account is named in chain 0', async () => {
    await record(null, 2);
    await record(null, 3);
    const [newest] = await db('audit_events').whereNull('account_id').orderBy('seq', 'desc').limit(2).pluck('id');
    const before = await db('audit_events').where({ id: newest }).first();
    await db('audit_events').where({ id: newest }).update({ ip: '6.6.6.6' });
    const { code, text } = await run(['--account', '0']);
    expect(code).to.equal(2);
    expect(text).to.contain(`BROKEN chain 0 (events of no account): event ${newest}: content changed`);
    await db('audit_events').where({ id: newest }).update({ ip: before.ip });
    expect((await run(['--account', '0'])).code).to.equal(0);
  });

  it('chain 0 has no unique index on its places (its account is NULL): a place given twice is still caught', async () => {
    await record(null, 4);
    await record(null, 5);
    const [newest, before] = (await db('audit_events').whereNull('account_id').orderBy('seq', 'desc').limit(2).select('id', 'seq')).map((r) => ({ id: Number(r.id), seq: Number(r.seq) }));
    await place(newest!.id, before!.seq);
    const report = await verifyChains(db, { chainId: 0 });
    expect(report.problems).to.have.length(1);
    expect([newest!.id, before!.id]).to.include(report.problems[0]!.eventId);
    await place(newest!.id, newest!.seq);
    expect((await verifyChains(db, { chainId: 0 })).problems).to.deep.equal([]);
  });

  it(`${CONCURRENT} writers in one account at once never fork the chain`, async () => {
    const { accountId } = await createAccount(db);
    await Promise.all(Array.from({ length: CONCURRENT }, (_, n) => record(accountId, n)));
    const report = await verifyChains(db, { chainId: accountId });
    expect(report.problems).to.deep.equal([]);
    expect(report.events).to.equal(CONCURRENT);
  });

  it('refuses an argument it does not know', async () => {
    let error: unknown;
    await run(['--acount', '3']).catch((err: unknown) => (error = err));
    expect(String(error)).to.contain('usage: npm run audit:verify');
  });
});
