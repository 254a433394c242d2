/**
 * `npx tsx bench/cluster.ts`: the portal on a three-node Galera cluster through HAProxy against the
 * portal on one MariaDB, in the same run (issue #28, bench/README "cluster").
 *
 * Both databases are started here with the same small settings (test/cluster/galera.ts: its cluster,
 * and one server with the nodes' settings minus wsrep), each with one portal process in
 * production mode. Measured in alternating stretches so both see the same moments of this shared host:
 * - the contacts list (GET, 8 connections): requests/s, p50, p99;
 * - an add through the form (POST, 4 clients, each a new person): adds/s, p50, p99;
 * - the commit of a one-row transaction straight from mysql2 (1 client): what certification adds to
 *   a write, without the portal around it.
 * Options (env): BENCH_SECONDS per measure and target (default 20), BENCH_STRETCHES (default 4).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import knexFactory, { type Knex } from 'knex';
import { createAccount, PASSWORD } from '../test/support/fixtures';
import { startMain, type MainProcess } from '../test/support/main-process';
import { validContact } from '../test/integration/helpers/contacts';
import { startCluster, startOneServer } from '../test/cluster/galera';
import { ContactLedger } from '../server/contacts/contact-ledger';
import { benchPortalEnv } from './bench-database';
import { csrfTokenIn, HEADERS, login } from './http-load';
import { personName } from './contacts-seed';
import { median, percentile } from './stats';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const STRETCHES = Number(process.env.BENCH_STRETCHES ?? 4);
const CONTACTS = 300;
const DATABASE = 'portal_bench';
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

interface Target {
  name: string;
  portal: MainProcess;
  db: Knex;
  accountId: number;
  cookie: string;
  csrf: string;
}

/** An account of CONTACTS contacts and its administrator's session on `portal`. */
async function prepare(name: string, databaseUrl: string, dataDir: string): Promise<Target> {
  const portal = await startMain({ ...benchPortalEnv(databaseUrl), TRUST_PROXY: 'loopback', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const db = knexFactory({ client: 'mysql2', connection: databaseUrl, pool: { min: 0, max: 2 } });
  const { accountId, admin } = await createAccount(db, { seatLimit: 1_000_000 });
  const ledger = new ContactLedger(db);
  await db.transaction(async (trx) => {
    const people = Array.from({ length: CONTACTS }, (_, i) => {
      const { name: person } = personName();
      return { user_id: null, status: 'active' as const, profile: 'member', name: person, email: `pessoa${i}.${accountId}@bench.example`, country: 'BR' };
    });
    await ledger.enter(trx, await ledger.lockAccount(trx, accountId), people);
  });
  const cookie = await login(portal.baseUrl, admin.email, PASSWORD);
  const page = await fetch(`${portal.baseUrl}/accounts/${accountId}/contacts`, { headers: { ...HEADERS, cookie } });
  const csrf = csrfTokenIn(await page.text());
  if (page.status !== 200 || !csrf) throw new Error(`${name}: the contacts list answered ${page.status}`);
  return { name, portal, db, accountId, cookie, csrf };
}

interface Sample { latencies: number[]; done: number; failed: number; seconds: number; statuses: Record<number, number> }
const empty = (): Sample => ({ latencies: [], done: 0, failed: 0, seconds: 0, statuses: {} });

function readStretch(t: Target, seconds: number, into: Sample): Promise<void> {
  return new Promise((resolve, reject) => {
    autocannon({
      url: `${t.portal.baseUrl}/accounts/${t.accountId}/contacts`, connections: 8, duration: seconds, timeout: 10,
      headers: { ...HEADERS, cookie: t.cookie },
      setupClient: (client) => client.on('response', (status, _bytes, ms) => (status === 200 ? into.latencies.push(ms) : into.failed++)),
    }, (err, r) => {
      if (err) return reject(err);
      into.done += r['2xx'];
      into.failed += r.errors + r.timeouts;
      into.seconds += r.duration;
      resolve();
    });
  });
}

/** 4 clients, each adding one new person after another for `seconds`: 303 is an add. */
async function addStretch(t: Target, seconds: number, into: Sample): Promise<void> {
  const end = Date.now() + seconds * 1000;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (Date.now() < end) {
      const started = performance.now();
      const res = await fetch(`${t.portal.baseUrl}/accounts/${t.accountId}/contacts`, {
        method: 'POST', redirect: 'manual', headers: { ...HEADERS, cookie: t.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: t.csrf, ...validContact({ name: personName().name }) }),
      });
      await res.arrayBuffer();
      if (res.status === 303) {
        into.latencies.push(performance.now() - started);
        into.done++;
      } else {
        into.failed++;
        into.statuses[res.status] = (into.statuses[res.status] ?? 0) + 1;
      }
    }
  }));
  into.seconds += (Date.now() - t0) / 1000;
}

/** One-row transactions committed one after another from mysql2: the bare write latency. */
async function commitStretch(t: Target, seconds: number, into: Sample): Promise<void> {
  const end = Date.now() + seconds * 1000;
  const t0 = Date.now();
  while (Date.now() < end) {
    const started = performance.now();
    await t.db.transaction((trx) => trx('bench_commits').insert({ at: new Date() }));
    into.latencies.push(performance.now() - started);
    into.done++;
  }
  into.seconds += (Date.now() - t0) / 1000;
}

function summary(s: Sample): string {
  const sorted = [...s.latencies].sort((a, b) => a - b);
  const rate = s.done / Math.max(s.seconds, 1e-9);
  return `${rate.toFixed(1).padStart(8)}/s  p50 ${median(sorted).toFixed(1).padStart(7)} ms  p99 ${(sorted.length ? percentile(sorted, 0.99) : 0).toFixed(1).padStart(7)} ms  failed ${s.failed}${s.failed ? ` (${Object.entries(s.statuses).map(([k, n]) => `${n} × ${k}`).join(', ') || 'errors'})` : ''}`;
}

async function measure(label: string, targets: Target[], stretch: (t: Target, seconds: number, into: Sample) => Promise<void>): Promise<Sample[]> {
  const samples = targets.map(empty);
  await Promise.all(targets.map((t) => stretch(t, 2, empty()))); // warm-up, both at once
  for (let i = 0; i < STRETCHES; i++) {
    for (const [k, t] of targets.entries()) await stretch(t, SECONDS / STRETCHES, samples[k]!);
  }
  console.log(`\n${label}`);
  for (const [k, t] of targets.entries()) console.log(`  ${t.name.padEnd(24)} ${summary(samples[k]!)}`);
  const rate = (s: Sample) => s.done / Math.max(s.seconds, 1e-9);
  console.log(`  cluster / one MariaDB: ${(rate(samples[1]!) / rate(samples[0]!)).toFixed(2)} × the throughput`);
  for (const [k, t] of targets.entries()) {
    if (!samples[k]!.failed) continue;
    const errors = t.portal.output().split('\n').filter((line) => line.includes('"level":50') || /gave up/.test(line));
    console.log(`  ${t.name}, the portal's log: ${errors.length} error lines; first: ${errors[0]?.slice(0, 400) ?? '-'}`);
  }
  return samples;
}

async function main(): Promise<void> {
  log(`load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${os.cpus().length} cores`);
  const dataDirs = [0, 1].map(() => mkdtempSync(path.join(os.tmpdir(), 'portal-bench-data-')));
  const single = await startOneServer(DATABASE);
  log('one MariaDB up');
  const t0 = Date.now();
  const cluster = await startCluster(log);
  log(`three Galera nodes Synced and HAProxy up in ${Math.round((Date.now() - t0) / 1000)} s`);
  const targets: Target[] = [];
  try {
    await cluster.sql(cluster.nodes[0]!, `CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    targets.push(await prepare('one MariaDB', single.url, dataDirs[0]!));
    targets.push(await prepare('Galera via HAProxy', cluster.url(DATABASE, 'haproxy'), dataDirs[1]!));
    for (const t of targets) await t.db.schema.createTable('bench_commits', (table) => { table.bigIncrements('id'); table.dateTime('at'); });
    log(`portals up, ${CONTACTS} contacts in each account; ${SECONDS} s per measure and target, ${STRETCHES} stretches`);
    await measure('Contacts list (GET, 8 connections)', targets, readStretch);
    await measure('Add a contact (POST, 4 clients)', targets, addStretch);
    const commits = await measure('Commit of a one-row transaction (mysql2, 1 client)', targets, commitStretch);
    const p50 = commits.map((s) => median([...s.latencies].sort((a, b) => a - b)));
    console.log(`  certification adds ${(p50[1]! - p50[0]!).toFixed(2)} ms to a commit (p50)`);
    log(`load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    for (const t of targets) {
      t.portal.child.kill('SIGTERM');
      await t.db.destroy();
    }
    await cluster.destroy();
    await single.stop();
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  }
}

await main();
