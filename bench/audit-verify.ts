/**
 * `npx tsx bench/audit-verify.ts`: `audit:verify` over one account of BENCH_EVENTS events (default
 * 1,000,000) on MariaDB/MySQL. Drops and recreates the database `portal_bench_audit` on the server
 * BENCH_MYSQL_URL names (bench/bench-database.ts), runs the migrations, writes the chain with the
 * portal's own format functions (multi-row INSERTs; the hashes chained as record() chains them),
 * then times `verifyChains` for that account and prints the wall time, events/s and the peak RSS.
 * BENCH_SKIP_SEED=1 reuses the seeded database.
 */
import { randomBytes } from 'node:crypto';
import { verifyChains } from '../server/audit/audit-verify';
import { eventHash, FORMAT, splitPersonal } from '../server/audit/event-format';
import { loadConfig } from '../server/config';
import { createDb } from '../server/db/knex';
import { coreMigrations, migrateLatest } from '../server/db/migrations';
import { benchDatabaseUrl, benchPortalEnv, recreateDatabase } from './bench-database';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ACCOUNT = 1;
const BATCH = 2000;
const NAME = 'portal_bench_audit';

async function seed(db: ReturnType<typeof createDb>) {
  await migrateLatest(db, [coreMigrations]);
  let prev: string | null = null;
  const start = Date.parse('2024-01-01T00:00:00.000Z');
  const salt = randomBytes(16).toString('hex');
  for (let done = 0; done < EVENTS; ) {
    const rows = [];
    for (let i = 0; i < BATCH && done < EVENTS; i++, done++) {
      const n = done;
      const split = splitPersonal(
        { before: { name: `Pessoa ${n}`, document_number: '12398224700', phone: '987654321', status: 'active' }, after: { name: `Pessoa ${n} Silva`, email: `pessoa${n}@empresa.test` } },
        `Administrador ${n % 50}`, salt,
      );
      const row = {
        format: FORMAT, account_id: ACCOUNT, actor_user_id: 1 + (n % 50), actor_contact_id: 1 + (n % 50), actor_name: null, action: n % 3 ? 'contact.updated' : 'contact.permissions_changed',
        target_type: 'contact', target_id: String(100 + (n % 5000)), ...split, ip: '200.147.35.12', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', request_id: randomBytes(8).toString('hex'),
        created_at: new Date(start + n * 30_000), prev_hash: prev,
      };
      const hash = eventHash(row);
      rows.push({ ...row, hash, seq: n + 1 });
      prev = hash;
    }
    await db('audit_events').insert(rows);
    if (done % 100_000 === 0) console.log(`  seeded ${done.toLocaleString('en')} events`);
  }
  await db('audit_chain_heads').insert({ chain_id: ACCOUNT, last_hash: prev, last_seq: EVENTS, updated_at: new Date() }).onConflict('chain_id').merge();
}

async function main() {
  const version = await recreateDatabase(NAME, { keep: process.env.BENCH_SKIP_SEED === '1' });
  const db = createDb(loadConfig(benchPortalEnv(benchDatabaseUrl(NAME))).database);
  try {
    console.log(`audit-verify bench: ${EVENTS.toLocaleString('en')} events in one account, ${version}`);
    if (process.env.BENCH_SKIP_SEED !== '1') {
      const t = Date.now();
      await seed(db);
      console.log(`  seed: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const t = process.hrtime.bigint();
    const report = await verifyChains(db, { chainId: ACCOUNT });
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    clearInterval(timer);
    console.log(`  verify: ${report.events.toLocaleString('en')} events in ${seconds.toFixed(1)} s (${Math.round(report.events / seconds).toLocaleString('en')} events/s), peak RSS ${Math.round(peak / 2 ** 20)} MiB, problems: ${report.problems.length}`);
    if (report.problems.length || report.events !== EVENTS) process.exitCode = 1;
  } finally {
    await db.destroy();
  }
}

await main();
