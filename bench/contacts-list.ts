/**
 * bench/contacts-list: the contacts list and search on the product's shape (MariaDB/MySQL).
 *
 *   npx tsx bench/contacts-list.ts
 *
 * 1. Seeds the database `portal_bench` (DROP + CREATE; nothing else is touched) through the app's
 *    migrations: 20,000 accounts of 25 contacts and one of 100,000 (bench/contacts-seed.ts).
 * 2. Database time per search, single user, of the exact statement ContactRepository.listQuery
 *    builds, in 200 typical accounts and in the big one; MariaDB's plan of each big-account search.
 * 3. Bytes per contact; rows written when an administrator adds a contact through the form.
 * 4. Throughput and p99 under 32 connections, portal against the same run's ceiling (bare Express
 *    + mysql2 + EJS), alternating in stretches: first page and "silva", typical and big account.
 * 5. A summary with the goals. Exit code 1 when a plan scans a whole table or index.
 *
 * Environment: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/test: only the server is used),
 * BENCH_SKIP_SEED=1 (reuse portal_bench), BENCH_PARTS (default search,plans,size,writes,load),
 * BENCH_SECONDS (20 per server and scenario), BENCH_WARMUP_SECONDS (3), BENCH_STRETCHES (4),
 * BENCH_CONNECTIONS (32), BENCH_SESSIONS (logins per account, default one per connection).
 */
import os from 'node:os';
import type { Knex } from 'knex';
import { loadConfig } from '../server/config';
import { ContactRepository } from '../server/contacts/contacts.repository';
import { createPortal } from '../server/portal';
import { benchDatabaseUrl, benchPortalEnv, recreateDatabase } from './bench-database';
import { contactRowsOf, describeWrite, writesOfAddingAContact, type Write } from './contact-writes';
import { BIG_ACCOUNT_ID, BIG_CONTACTS, PASSWORD, prng, seed, TYPICAL_ACCOUNTS } from './contacts-seed';
import { login, measurePair, type LoadSettings, type Measured } from './http-load';
import { startServer } from './list-servers';
import { listQueryOf, printPlan, sampleOf, SEARCHES, timeSearches, type AccountSample, type PlanReport, type Timing } from './search-timings';
import { contactSizes, printSizes } from './table-sizes';

const DB_NAME = 'portal_bench';
const PARTS = new Set((process.env.BENCH_PARTS ?? 'search,plans,size,writes,load').split(',').map((s) => s.trim()));
const TYPICAL_SAMPLED = 200;
const TYPICAL_ROUNDS = 5;
const BIG_REPETITIONS = 50;
const LOAD: LoadSettings = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 32),
  seconds: Number(process.env.BENCH_SECONDS ?? 20),
  warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 3),
  stretches: Math.max(1, Number(process.env.BENCH_STRETCHES ?? 4)),
};
const SESSIONS = Math.max(1, Number(process.env.BENCH_SESSIONS ?? LOAD.connections));
const GOALS = { typicalMs: 1, bigSlowestP50Ms: 60, bytesPerContact: 1024, ceilingRatio: 0.5 };

const databaseUrl = benchDatabaseUrl(DB_NAME);
/** The portal's configuration in production, behind a TLS proxy (see HEADERS in http-load.ts). */
const portalEnv: NodeJS.ProcessEnv = { ...process.env, ...benchPortalEnv(databaseUrl), TRUST_PROXY: 'loopback', HOST: '127.0.0.1', PORT: '0' };

const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const row = (cells: (string | number)[]) => console.log(`| ${cells.join(' | ')} |`);

async function ownerEmailOf(db: Knex, accountId: number): Promise<string> {
  return (await db('accounts as a').join('contacts as c', 'c.id', 'a.owner_contact_id').where('a.id', accountId).first('c.email')).email;
}

/** The first typical account where "silva" finds someone: the throughput scenarios need rows. */
async function typicalLoadAccount(db: Knex): Promise<number> {
  const repo = new ContactRepository();
  for (let id = 1; id <= TYPICAL_ACCOUNTS; id++) if ((await repo.list(db, listQueryOf(id, 'silva'))).length > 0) return id;
  throw new Error('no typical account has a Silva');
}

interface SearchReport {
  typical: Map<string, Timing>;
  typicalFirstRun: Map<string, Timing>;
  big: Map<string, Timing>;
  roundTrip: Timing;
}

async function searchPart(db: Knex, bigSample: AccountSample): Promise<SearchReport> {
  const pick = prng(16);
  const ids = new Set<number>();
  while (ids.size < TYPICAL_SAMPLED) ids.add(1 + pick.int(TYPICAL_ACCOUNTS));
  const samples = [];
  for (const id of ids) samples.push(await sampleOf(db, id));
  console.log(`\n== Database time per search: the statement listQuery builds, through knex, one in flight ==`);
  console.log(`typical: ${TYPICAL_SAMPLED} accounts picked at random, ${TYPICAL_ROUNDS} rounds after one kept apart ("first run": the account's first search in this process); big: ${BIG_REPETITIONS} repetitions after 3 untimed`);
  console.log(`big account samples: CPF "${bigSample.cpfPrefix}", e-mail "${bigSample.emailPrefix}"`);
  const typical = await timeSearches(db, samples, TYPICAL_ROUNDS, 1);
  const big = await timeSearches(db, [bigSample], BIG_REPETITIONS, 3);
  row(['search', 'typical p50 ms', 'typical p95 ms', 'typical first run p50 / p95 ms', 'big p50 ms', 'big p95 ms', 'rows (typical sample, big)']);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:']);
  for (const s of SEARCHES) {
    const t = typical.timings.get(s.name)!;
    const f = typical.firstRun.get(s.name)!;
    const b = big.timings.get(s.name)!;
    row([s.label, ms(t.p50), ms(t.p95), `${ms(f.p50)} / ${ms(f.p95)}`, ms(b.p50), ms(b.p95), `${t.rows}, ${b.rows}`]);
  }
  console.log(`round-trip floor (select 1): p50 ${ms(typical.roundTrip.p50)} ms, p95 ${ms(typical.roundTrip.p95)} ms`);
  return { typical: typical.timings, typicalFirstRun: typical.firstRun, big: big.timings, roundTrip: typical.roundTrip };
}

async function planPart(db: Knex, bigSample: AccountSample): Promise<Map<string, PlanReport>> {
  console.log(`\n== Plans of the big account's searches (MariaDB ANALYZE FORMAT=JSON) ==`);
  const plans = new Map<string, PlanReport>();
  for (const s of SEARCHES) {
    const plan = await printPlan(db, s.label, BIG_ACCOUNT_ID, s.q(bigSample));
    plans.set(s.name, plan);
    if (plan.fullScan) process.exitCode = 1;
  }
  return plans;
}

interface LoadResult {
  label: string;
  portal: Measured;
  ceiling: Measured;
}

async function loadPart(db: Knex): Promise<LoadResult[]> {
  const typicalId = await typicalLoadAccount(db);
  const accounts = [{ id: typicalId, name: `typical account ${typicalId}` }, { id: BIG_ACCOUNT_ID, name: `big account (${BIG_CONTACTS.toLocaleString('en-US')})` }];
  const emails = new Map<number, string>();
  for (const a of accounts) emails.set(a.id, await ownerEmailOf(db, a.id));
  console.log(`\n== Throughput: ${LOAD.connections} connections, ${LOAD.seconds} s per server and scenario in ${LOAD.stretches} alternating stretches (+${LOAD.warmupSeconds} s warm-up each) ==`);
  const ceiling = await startServer('ceiling', { ...process.env, DATABASE_URL: databaseUrl });
  const portal = await startServer('portal', portalEnv).catch(async (err: unknown) => {
    await ceiling.stop();
    throw err;
  });
  const results: LoadResult[] = [];
  try {
    for (const account of accounts) {
      const cookies: string[] = [];
      for (let i = 0; i < SESSIONS; i++) cookies.push(await login(portal.url, emails.get(account.id)!, PASSWORD));
      const base = `/accounts/${account.id}/contacts`;
      for (const [what, query] of [['first page', ''], ['"silva"', '?q=silva']] as const) {
        const label = `${account.name}, ${what}`;
        const pair = await measurePair({ server: portal, url: portal.url + base + query, cookies }, { server: ceiling, url: ceiling.url + base }, LOAD);
        results.push({ label, ...pair });
        for (const [who, m] of [['ceiling', pair.ceiling], ['portal', pair.portal]] as const) {
          console.log(`${label.padEnd(40)} ${who.padEnd(8)} ${m.rps.toFixed(0).padStart(5)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  failed ${m.failed}  ` +
            `CPU ms/req: server ${m.serverCpu.toFixed(2)}, MariaDB ${m.databaseCpu.toFixed(2)}  (${m.rows} rows; stretches ${m.perStretch.map((r) => r.toFixed(0)).join(' ')})`);
        }
      }
    }
  } finally {
    await portal.stop();
    await ceiling.stop();
  }
  if (results.some((r) => r.portal.failed || r.ceiling.failed)) throw new Error('some answers were not 2xx: the figures above are not valid');
  return results;
}

async function main(): Promise<void> {
  const version = await recreateDatabase(DB_NAME, { keep: Boolean(process.env.BENCH_SKIP_SEED) });
  console.log(`contacts-list bench: Node ${process.version}, ${version}, ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const portal = await createPortal(loadConfig(portalEnv)); // runs the app's migrations
  let search: SearchReport | undefined;
  let plans: Map<string, PlanReport> | undefined;
  let sizes: ReturnType<typeof printSizes> | undefined;
  let writes: Write[] | undefined;
  let load: LoadResult[] | undefined;
  try {
    const db = portal.db;
    if (!(await db.schema.hasColumn('contacts', 'search'))) throw new Error('contacts has no `search` column: the migration that adds it has not run');
    if (!process.env.BENCH_SKIP_SEED) await seed(db, console.log);
    else if (Number((await db('contacts').where('account_id', BIG_ACCOUNT_ID).count({ n: '*' }).first())!.n) < BIG_CONTACTS) throw new Error(`${DB_NAME} is not seeded: run without BENCH_SKIP_SEED`);
    const bigSample = await sampleOf(db, BIG_ACCOUNT_ID);
    if (PARTS.has('search')) search = await searchPart(db, bigSample);
    if (PARTS.has('plans')) plans = await planPart(db, bigSample);
    if (PARTS.has('size')) {
      console.log('\n== Bytes per contact ==');
      sizes = printSizes(await contactSizes(db));
    }
    if (PARTS.has('writes')) {
      console.log('\n== Rows written when an administrator adds a contact (POST /accounts/1/contacts) ==');
      writes = await writesOfAddingAContact(portal.app, db, 1, await ownerEmailOf(db, 1), PASSWORD);
      for (const w of writes) console.log(`  ${describeWrite(w)}`);
    }
    if (PARTS.has('load')) load = await loadPart(db);
  } finally {
    await portal.close();
  }

  console.log('\n== Summary ==');
  row(['goal', 'measured', 'verdict']);
  row(['---', '---', '---']);
  const verdict = (pass: boolean) => (pass ? 'met' : 'MISSED');
  if (search) {
    const worst = (m: Map<string, Timing>, f: (t: Timing) => number) => SEARCHES.map((s) => ({ label: s.label, v: f(m.get(s.name)!) })).sort((a, b) => b.v - a.v)[0]!;
    const t95 = worst(search.typical, (t) => t.p95);
    const t50 = worst(search.typical, (t) => t.p50);
    row([`typical-account search < ${GOALS.typicalMs} ms (slowest search, p95)`, `${ms(t95.v)} ms p95 (${t95.label}); slowest p50 ${ms(t50.v)} ms`, verdict(t95.v < GOALS.typicalMs)]);
    const b = worst(search.big, (t) => t.p50);
    const plan = plans?.get(SEARCHES.find((x) => x.label === b.label)!.name);
    const forced = plan?.forcedServerMs === undefined ? '' : `; server time ${ms(plan.serverMs)} ms, ${ms(plan.forcedServerMs)} ms with FORCE INDEX (what-if)`;
    row([`big account's slowest search < ${GOALS.bigSlowestP50Ms} ms p50`, `${ms(b.v)} ms (${b.label})${forced}`, verdict(b.v < GOALS.bigSlowestP50Ms)]);
  }
  if (sizes) row([`< ${GOALS.bytesPerContact} bytes per contact`, `${sizes.contactsTable.toFixed(0)} in contacts, ${sizes.allTables.toFixed(0)} over every contacts table`, verdict(sizes.allTables < GOALS.bytesPerContact)]);
  if (writes) {
    const contactRows = contactRowsOf(writes);
    const cell = writes.map((w) => `${w.table} ${w.rows}`).join(', ');
    row(['one row written per contact added (its own and its search index), besides the audit event', `${contactRows} in contact tables; all rows: ${cell} (see above)`, verdict(contactRows === 1)]);
  }
  for (const r of load ?? []) {
    const ratio = r.portal.rps / r.ceiling.rps;
    const goal = r.label.endsWith('first page') ? verdict(ratio >= GOALS.ceilingRatio) : '(no goal)';
    row([`${r.label}: >= ${GOALS.ceilingRatio} x the ceiling's req/s`, `${r.portal.rps.toFixed(0)} vs ${r.ceiling.rps.toFixed(0)} req/s = ${ratio.toFixed(2)}; p99 ${r.portal.p99} ms (ceiling ${r.ceiling.p99} ms)`, goal]);
  }
  console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (the host is shared: figures taken under other load are low and noisy)`);
}

main()
  .then(() => process.exit(process.exitCode ?? 0)) // the session store's clean-up timer would keep the process alive
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
