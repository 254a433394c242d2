import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { archiveChains } from '../../server/audit/audit-archive';
import { AuditExportService } from '../../server/audit/audit-export.service';
import { parseAuditFilter } from '../../server/audit/audit-filter';
import { AuditService } from '../../server/audit/audit.service';
import { verifyChains } from '../../server/audit/audit-verify';
import { auditArchiveCommand } from '../../server/cli/audit-archive';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount } from '../support/fixtures';
import { testEnv } from '../support/portal';

const SCRIPT = path.resolve(import.meta.dirname, '../../docs/verify-audit-export.mjs');
const OPERATOR = { userId: null, contactId: null, name: 'operator (CLI)' };
const MONTH = 31 * 24 * 3_600_000;

const offline = (file: string): Promise<{ code: number; out: string }> =>
  new Promise((resolve) => execFile(process.execPath, [SCRIPT, file], (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr })));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('npm run audit:archive (retention)', () => {
  let db: Knex;
  let url: string;
  const audit = new AuditService();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'audit-archive-'));
  const dir = path.join(dataDir, 'audit-archive');

  before(async () => {
    url = await freshDatabaseUrl();
    db = createDb(loadConfig({ ...process.env, DATABASE_URL: url }).database);
    await migrateLatest(db, [coreMigrations]);
  });
  after(() => db?.destroy());

  const record = (accountId: number | null, n: number) =>
    db.transaction((trx) => audit.record(trx, { userId: 1, contactId: 2, name: 'Ana Arquivo' }, { accountId, action: 'test.archived', details: { n, after: { email: `p${n}@arquivo.test` } } }));
  /** The chain's event ids in chain order. */
  const idsOf = async (accountId: number) => (await db('audit_events').where({ account_id: accountId }).orderBy('seq').pluck('id')).map(Number);
  const expectVerifies = async (chainId: number) => expect((await verifyChains(db, { chainId })).problems).to.deep.equal([]);

  /** An account with 3 old events and 2 recent ones; answers the time between them. */
  async function oldAndNew() {
    const { accountId } = await createAccount(db);
    for (let n = 0; n < 3; n++) await record(accountId, n);
    await sleep(15);
    const cutoff = new Date();
    await sleep(15);
    for (let n = 3; n < 5; n++) await record(accountId, n);
    return { accountId, cutoff, ids: await idsOf(accountId) };
  }

  it('moves the old events to a file with the head they end on; what stays still verifies, online and exported; the file verifies offline', async () => {
    const { accountId, cutoff, ids } = await oldAndNew();
    const { archived: [done] } = await archiveChains(db, audit, OPERATOR, { cutoff, dir, chainId: accountId });
    expect(done).to.include({ chainId: accountId, count: 3, firstSeq: 1, lastSeq: 3, lastId: ids[2] });
    expect(path.basename(done!.file)).to.equal(`chain-${accountId}-seq-1-3.jsonl`);

    const lines = readFileSync(done!.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).to.have.length(4);
    expect(lines[0]).to.include({ type: 'header', anchor: null, anchor_seq: '0', head: lines[3].hash, head_event_id: String(ids[2]), head_seq: '3' });
    expect(lines.slice(1).map((l) => l.seq)).to.deep.equal(['1', '2', '3']);
    expect((await offline(done!.file)).code).to.equal(0);

    const left = await db('audit_events').where({ account_id: accountId }).orderBy('seq');
    expect(left.map((e) => Number(e.id)).slice(0, 2)).to.deep.equal(ids.slice(3));
    expect(left.map((e) => e.action)).to.deep.equal(['test.archived', 'test.archived', 'audit.archived']);
    expect(left[0].prev_hash).to.equal(lines[3].hash);
    expect(await db('audit_chain_anchors').where({ chain_id: accountId }).first()).to.include({ last_hash: lines[3].hash, file: path.basename(done!.file) });
    expect(Number((await db('audit_chain_anchors').where({ chain_id: accountId }).first()).last_seq)).to.equal(3);
    await expectVerifies(accountId);

    // An export of what stays starts from the anchor, and verifies offline.
    const file = new AuditExportService(db, audit).export({ accountId, actor: OPERATOR }, parseAuditFilter({}), 'jsonl', ((key: string) => key) as never);
    let text = '';
    for await (const line of file.lines) text += line;
    expect(JSON.parse(text.split('\n')[0]!)).to.include({ anchor: lines[3].hash });
    writeFileSync(path.join(dataDir, 'after-archive.jsonl'), text);
    const checked = await offline(path.join(dataDir, 'after-archive.jsonl'));
    expect(checked.out).to.contain('OK: 3 events');
    expect(checked.code).to.equal(0);
  });

  it('a second run archives on from the anchor: its file starts where the first ended, and verification still holds', async () => {
    const { accountId, cutoff } = await oldAndNew();
    const { archived: [first] } = await archiveChains(db, audit, OPERATOR, { cutoff, dir, chainId: accountId });
    const { archived: [second] } = await archiveChains(db, audit, OPERATOR, { cutoff: new Date(Date.now() + 1000), dir, chainId: accountId });
    expect(second!.count).to.equal(3);
    expect(JSON.parse(readFileSync(second!.file, 'utf8').split('\n')[0]!).anchor).to.equal(first!.lastHash);
    expect((await offline(second!.file)).code).to.equal(0);
    await expectVerifies(accountId);
    await record(accountId, 9);
    await expectVerifies(accountId);
  });

  it('after archiving, removing or editing the first event left is still caught', async () => {
    const { accountId, cutoff, ids } = await oldAndNew();
    await archiveChains(db, audit, OPERATOR, { cutoff, dir, chainId: accountId });
    await db('audit_events').where({ id: ids[3] }).delete();
    expect((await verifyChains(db, { chainId: accountId })).problems[0]).to.include({ eventId: ids[4], kind: 'previous-missing' });
  });

  it('rows an interrupted run left behind are not the chain any more, and the next run deletes them', async () => {
    const { accountId, cutoff, ids } = await oldAndNew();
    const leftover = await db('audit_events').where({ id: ids[1] }).first();
    await archiveChains(db, audit, OPERATOR, { cutoff, dir, chainId: accountId });
    await db('audit_events').insert(leftover);
    await expectVerifies(accountId);
    await archiveChains(db, audit, OPERATOR, { cutoff, dir, chainId: accountId });
    expect(await db('audit_events').where({ id: ids[1] })).to.have.length(0);
  });

  it('refuses to archive a chain whose old events do not verify: no file, nothing deleted', async () => {
    const { accountId, cutoff, ids } = await oldAndNew();
    await db('audit_events').where({ id: ids[1] }).update({ action: 'test.edited' });
    const report = await archiveChains(db, audit, OPERATOR, { cutoff, dir, chainId: accountId });
    expect(report.archived).to.deep.equal([]);
    expect(report.refused).to.deep.equal([`chain ${accountId}: event ${ids[1]} does not verify; nothing archived (run npm run audit:verify)`]);
    expect(await idsOf(accountId)).to.deep.equal(ids);
    expect(existsSync(path.join(dir, `chain-${accountId}-seq-1-3.jsonl`))).to.equal(false);
    expect(await db('audit_chain_anchors').where({ chain_id: accountId })).to.have.length(0);
  });

  it('the command: --months N archives every chain (the events of no account too) under DATA_DIR/audit-archive, leaves a broken one alone, says what it did', async () => {
    const { accountId } = await createAccount(db);
    await record(accountId, 1);
    await record(null, 1);
    const broken = await oldAndNew();
    await db('audit_events').where({ id: broken.ids[0] }).update({ action: 'test.edited' });
    const out: string[] = [];
    const env = testEnv({ DATABASE_URL: url, DATA_DIR: dataDir });
    const later = new Date(Date.now() + MONTH + 60_000);
    expect(await auditArchiveCommand(['--months', '1'], env, (l) => out.push(l), (l) => out.push(l), later)).to.equal(2);
    const text = out.join('\n');
    expect(text).to.match(new RegExp(`account ${accountId}: 1 events \\(places 1–1 of the chain\\) → ${dir}/chain-${accountId}-seq-1-1\\.jsonl`));
    expect(text).to.match(/chain 0 \(events of no account\): \d+ events/);
    expect(text).to.contain(`REFUSED chain ${broken.accountId}: event ${broken.ids[0]} does not verify`);
    expect(await idsOf(broken.accountId)).to.deep.equal(broken.ids);
    for (const chainId of [accountId, 0]) await expectVerifies(chainId);
    expect(await auditArchiveCommand(['--months', '1', '--account', String(accountId)], env, (l) => out.push(l))).to.equal(0);
    expect(out.at(-1)).to.contain('nothing archived');
  });

  it('ids that run against the chain\'s order (a Galera cluster\'s): the oldest places are archived, whatever their ids', async () => {
    const { accountId, cutoff, ids } = await oldAndNew();
    // The old events get the highest ids, the recent ones the lowest.
    const scrambled = [9_000_050, 9_000_040, 9_000_030, 9_000_020, 9_000_010];
    for (const [i, id] of ids.entries()) await db('audit_events').where({ id }).update({ id: scrambled[i] });
    const { archived: [done] } = await archiveChains(db, audit, OPERATOR, { cutoff, dir, chainId: accountId });
    expect(done).to.include({ count: 3, firstSeq: 1, lastSeq: 3, lastId: scrambled[2] });
    const archivedIds = readFileSync(done!.file, 'utf8').trim().split('\n').slice(1).map((l) => Number(JSON.parse(l).id));
    expect(archivedIds).to.deep.equal(scrambled.slice(0, 3));
    expect((await idsOf(accountId)).slice(0, 2)).to.deep.equal(scrambled.slice(3));
    expect((await offline(done!.file)).code).to.equal(0);
    await expectVerifies(accountId);
  });

  it('refuses a missing or zero number of months', async () => {
    for (const args of [[], ['--months', '0'], ['--months', 'x'], ['--account', '3']]) {
      let error: unknown;
      await auditArchiveCommand(args, testEnv({ DATABASE_URL: url })).catch((err: unknown) => (error = err));
      expect(String(error), args.join(' ')).to.contain('usage: npm run audit:archive');
    }
  });
});
