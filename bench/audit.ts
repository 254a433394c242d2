/**
 * bench/audit: the audit trail of one account of 1,000,000 events on MariaDB/MySQL (issue #26).
 *
 *   npx tsx bench/audit.ts                        # seed bench_audit (~5-10 min) + everything
 *   BENCH_SKIP_SEED=1 npx tsx bench/audit.ts      # reuse bench_audit as seeded
 *
 * Goals: (a) the "Auditoria" page filtered by a person and a month under 100 ms p99 with 16
 * viewers at once; (b) writing an event adds under 2 ms to an operation; (c) `npm run audit:verify`
 * over the million in under 30 s. Exit code 1 when a goal is missed.
 *
 * Drops and recreates the database `bench_audit` (nothing else is touched), runs the portal's
 * migrations (createPortal) and seeds it (bench/audit-seed.ts). Then:
 * (b) in this process: 2,000 pairs of transactions updating a contact, one with
 *     AuditService.record() and one without, interleaved; the difference is the event's cost;
 * (a) the portal in a child process (bench/list-servers.ts), 16 autocannon connections each with
 *     its own session of the administrator, on each page in turn, as fast as answers come (the
 *     goal's figure), then for the goal's pages one viewer alone (what a request takes unqueued);
 *     statements per request counted over sequential requests; each page's statements on
 *     audit_events EXPLAINed and timed alone;
 * (c) `npm run audit:verify -- --account <id>` under /usr/bin/time (wall time, peak RSS).
 *
 * Environment: BENCH_MYSQL_URL (server only), BENCH_SKIP_SEED=1, BENCH_EVENTS (1,000,000),
 * BENCH_SECONDS (10 per page), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (16),
 * BENCH_WRITES (2,000), BENCH_PARTS (write,pages,verify), BENCH_CPU_PROF=file (a V8 CPU profile of
 * the portal's process over the pages' load; read it with bench/profile-summary.ts).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import autocannon from 'autocannon';
import type { Knex } from 'knex';
import { auditFilterOf } from '../server/audit/audit.routes';
import { loadConfig } from '../server/config';
import { createPortal } from '../server/portal';
import { PASSWORD } from '../test/support/fixtures';
import { seedAudit, seededAccount, type AuditAccount } from './audit-seed';
import { benchDatabaseUrl, benchPortalEnv, recreateDatabase } from './bench-database';
import { HEADERS, login } from './http-load';
import { startServer } from './list-servers';
import { median, percentile } from './stats';

const DB_NAME = 'bench_audit';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const WRITES = Number(process.env.BENCH_WRITES ?? 2000);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'write,pages,verify').split(','));
const GOALS = { pageP99Ms: 100, eventMs: 2, verifyS: 30 };

const databaseUrl = benchDatabaseUrl(DB_NAME);
const portalEnv: NodeJS.ProcessEnv = { ...process.env, ...benchPortalEnv(databaseUrl), TRUST_PROXY: 'loopback', HOST: '127.0.0.1', PORT: '0' };
const loadavg = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const row = (cells: (string | number)[]) => console.log(`| ${cells.join(' | ')} |`);
const f = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const ymd = (d: Date) => d.toISOString().slice(0, 10);

/** (b): the same small operation with and without its event, interleaved so both see the same moments. */
async function timeWrites(db: Knex, record: (trx: Knex.Transaction, n: number) => Promise<void>, contactId: number) {
  const times = { without: [] as number[], with: [] as number[], record: [] as number[] };
  for (let i = 0; i < WRITES + 50; i++) {
    for (const withEvent of [false, true]) {
      const t0 = performance.now();
      let inRecord = 0;
      await db.transaction(async (trx) => {
        await trx('contacts').where({ id: contactId }).update({ phone: String(900_000_000 + i), updated_at: new Date() });
        if (withEvent) {
          const r0 = performance.now();
          await record(trx, i);
          inRecord = performance.now() - r0;
        }
      });
      // The first 50 pairs warm the pool and the JIT.
      if (i < 50) continue;
      times[withEvent ? 'with' : 'without'].push(performance.now() - t0);
      if (withEvent) times.record.push(inRecord);
    }
  }
  const stat = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    return { p50: median(xs), p99: percentile(xs, 0.99) };
  };
  return { without: stat(times.without), with: stat(times.with), record: stat(times.record) };
}

interface Page {
  label: string;
  path: string;
  /** The goal's page: person + a month. */
  goal: boolean;
}

function pagesOf(a: AuditAccount): Page[] {
  // A month about a year back: a filter that reaches past most of the trail.
  const start = new Date(Date.UTC(a.to.getUTCFullYear() - 1, a.to.getUTCMonth(), 1));
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0));
  const month = `from=${ymd(start)}&to=${ymd(end)}`;
  const busiest = a.actors[0]!;
  const typical = a.actors[Math.floor(a.actors.length / 2)]!;
  const base = `/accounts/${a.accountId}/audit`;
  const surname = typical.name.split(' ').at(-1)!;
  return [
    { label: 'first page, no filter', path: base, goal: false },
    { label: `person (busiest, ${busiest.email.split('@')[0]}) + a month`, path: `${base}?person=${encodeURIComponent(busiest.email)}&${month}`, goal: true },
    { label: 'person (median actor) + a month', path: `${base}?person=${encodeURIComponent(typical.email)}&${month}`, goal: true },
    { label: 'person (busiest) who acted, no dates', path: `${base}?person=${busiest.contactId}&role=by`, goal: false },
    { label: `free text "${surname}"`, path: `${base}?q=${encodeURIComponent(surname)}`, goal: false },
  ];
}

async function fetchAudit(url: string, cookie: string) {
  const res = await fetch(url, { headers: { ...HEADERS, cookie }, redirect: 'manual' });
  const html = await res.text();
  return { status: res.status, events: (html.match(/<details>/g) ?? []).length, kb: Buffer.byteLength(html) / 1024 };
}

function load(url: string, cookies: string[], seconds: number, connections = CONNECTIONS) {
  let next = 0;
  const latencies: number[] = [];
  return new Promise<{ rps: number; p50: number; p99: number; failed: number; requests: number; latencies: number[] }>((resolve, reject) => {
    autocannon(
      {
        url, connections, duration: seconds, timeout: 20, headers: HEADERS,
        // One session per connection, like separate browsers.
        setupClient: (client) => {
          client.setHeaders({ ...HEADERS, cookie: cookies[next++ % cookies.length]! });
          client.on('response', (_status, _bytes, ms) => latencies.push(ms));
        },
      },
      (err, r) => {
        if (err) return reject(err);
        latencies.sort((x, y) => x - y);
        resolve({ rps: (r['2xx'] + r.non2xx) / r.duration, p50: latencies.length ? Math.round(percentile(latencies, 0.5)) : Infinity, p99: latencies.length ? Math.round(percentile(latencies, 0.99)) : Infinity, requests: r['2xx'] + r.non2xx, failed: r.non2xx + r.errors + r.timeouts, latencies });
      },
    );
  });
}

/** What the page's service sends for `path`, each statement on audit_events EXPLAINed and timed alone (median of 9). */
async function explainPage(portal: Awaited<ReturnType<typeof createPortal>>, accountId: number, path: string) {
  const sent: { sql: string; bindings: readonly unknown[] }[] = [];
  const listen = (q: { sql: string; bindings?: readonly unknown[] }) => sent.push({ sql: q.sql, bindings: q.bindings ?? [] });
  portal.db.on('query', listen);
  const query = Object.fromEntries(new URL(path, 'http://x').searchParams);
  await portal.services.auditView.page(accountId, auditFilterOf(query), { t: ((k: string) => k) as never, locale: 'pt-BR' });
  portal.db.removeListener('query', listen);
  const out: { sql: string; ms: number; plan: string }[] = [];
  for (const s of sent.filter((x) => /from `audit_events`/.test(x.sql))) {
    const [plan] = (await portal.db.raw(`EXPLAIN ${s.sql}`, s.bindings as never)) as [Record<string, unknown>[]];
    const times: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t0 = performance.now();
      await portal.db.raw(s.sql, s.bindings as never);
      times.push(performance.now() - t0);
    }
    out.push({ sql: s.sql, ms: median(times), plan: plan.map((p) => `${p.table}: ${p.type} ${p.key ?? '-'} rows≈${p.rows} ${p.Extra ?? ''}`).join('; ') });
  }
  return out;
}

async function measurePages(a: AuditAccount) {
  const portal = await startServer('portal', portalEnv);
  const results: { page: Page; statements: number; events: number; rps: number; p50: number; p99: number; failed: number; cpuMs: number; alone: { p50: number; p99: number } | null; kb: number; load: string }[] = [];
  try {
    const cookies: string[] = [];
    for (let i = 0; i < CONNECTIONS; i++) cookies.push(await login(portal.url, a.admin.email, PASSWORD));
    if (process.env.BENCH_CPU_PROF) await portal.profile.start();
    for (const page of pagesOf(a)) {
      const url = portal.url + page.path;
      const counts: number[] = [];
      let events = 0;
      let kb = 0;
      for (let i = 0; i < 9; i++) {
        const before = await portal.statements();
        const r = await fetchAudit(url, cookies[0]!);
        if (r.status !== 200) throw new Error(`${page.path} answered ${r.status}`);
        counts.push((await portal.statements()) - before);
        events = r.events;
        kb = r.kb;
      }
      if (WARMUP > 0) await load(url, cookies, WARMUP);
      const cpu0 = await portal.cpuMs();
      const m = await load(url, cookies, SECONDS);
      const cpuMs = ((await portal.cpuMs()) - cpu0) / Math.max(1, m.requests);
      // One viewer at a time: what one request takes, without the 16-deep queue.
      const alone = page.goal ? await load(url, cookies, SECONDS / 2, 1) : null;
      results.push({ page, statements: median(counts), events, kb, ...m, cpuMs, alone, load: loadavg() });
      console.log(`${page.label.padEnd(48)} ${m.rps.toFixed(0)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  ${median(counts)} statements  ${events} events shown  portal CPU ${f(cpuMs)} ms/req` +
        `${alone ? `  one viewer p50 ${alone.p50} / p99 ${alone.p99} ms` : ''}  ${kb.toFixed(0)} KB  load ${loadavg()}`);
    }
    if (process.env.BENCH_CPU_PROF) await portal.profile.stop(process.env.BENCH_CPU_PROF);
  } finally {
    await portal.stop();
  }
  return results;
}

/** (c): the operator's command as typed, under /usr/bin/time: wall seconds and the peak RSS of its largest process. */
function verify(accountId: number): Promise<{ seconds: number; rssMb: number; cpuS: number; output: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %M %U %S', 'npm', 'run', '--silent', 'audit:verify', '--', '--account', String(accountId)], { env: portalEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      const m = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(out);
      resolve({ seconds: m ? Number(m[1]) : NaN, rssMb: m ? Number(m[2]) / 1024 : NaN, cpuS: m ? Number(m[3]) + Number(m[4]) : NaN, output: out.replace(/TIME .*\n?/, '').trim(), code: code ?? 1 });
    });
  });
}

async function main(): Promise<void> {
  const version = await recreateDatabase(DB_NAME, { keep: Boolean(process.env.BENCH_SKIP_SEED) });
  console.log(`audit bench: Node ${process.version}, ${version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()}`);
  const setup = await createPortal(loadConfig(portalEnv));
  let account: AuditAccount;
  let writes: Awaited<ReturnType<typeof timeWrites>> | null = null;
  try {
    if (!process.env.BENCH_SKIP_SEED) {
      const t = Date.now();
      account = await seedAudit(setup.db, EVENTS, console.log);
      console.log(`seeded ${EVENTS.toLocaleString('en')} events in ${((Date.now() - t) / 1000).toFixed(0)} s; load ${loadavg()}`);
    } else account = await seededAccount(setup.db);
    const [[size]] = (await setup.db.raw('SELECT data_length AS d, index_length AS i FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [DB_NAME, 'audit_events'])) as [[{ d: number; i: number }]];
    console.log(`audit_events: ${(size.d / 2 ** 20).toFixed(0)} MB of data, ${(size.i / 2 ** 20).toFixed(0)} MB of indexes`);
    if (PARTS.has('write')) {
      const a = account;
      const actor = { userId: a.admin.userId, contactId: a.admin.contactId, name: a.admin.name, ip: '200.147.35.12', userAgent: HEADERS['accept-language'], requestId: 'bench' };
      const target = a.actors[1]!;
      writes = await timeWrites(setup.db, (trx, n) => setup.services.audit.record(trx, actor, {
        accountId: a.accountId, action: 'contact.updated', target: { type: 'contact', id: target.contactId },
        details: { before: { phone: String(900_000_000 + n - 1) }, after: { phone: String(900_000_000 + n) } },
      }), target.contactId);
      console.log(`(b) ${WRITES} writes: operation alone p50 ${f(writes.without.p50)} / p99 ${f(writes.without.p99)} ms; with its event p50 ${f(writes.with.p50)} / p99 ${f(writes.with.p99)} ms; record() itself p50 ${f(writes.record.p50)} / p99 ${f(writes.record.p99)} ms; load ${loadavg()}`);
    }
    if (PARTS.has('pages')) {
      console.log('\nStatements on audit_events per page, alone (median of 9) and their plans:');
      for (const page of pagesOf(account)) {
        for (const e of await explainPage(setup, account.accountId, page.path)) console.log(`  ${page.label}: ${f(e.ms)} ms  ${e.plan}\n    ${e.sql}`);
      }
    }
  } finally {
    await setup.close();
  }

  const pages = PARTS.has('pages') ? await measurePages(account) : [];
  const verified = PARTS.has('verify') ? await verify(account.accountId) : null;
  if (verified) console.log(`(c) ${verified.output}\n    wall ${verified.seconds} s, node CPU ${verified.cpuS.toFixed(1)} s, peak RSS ${verified.rssMb.toFixed(0)} MB, exit ${verified.code}; load ${loadavg()}`);

  console.log(`\n== ${EVENTS.toLocaleString('en')} events in one account; ${CONNECTIONS} viewers, ${SECONDS} s per page (+${WARMUP} s warm-up) ==`);
  row(['page', 'req/s', 'p50 ms', 'p99 ms', 'one viewer: p50 / p99 ms', 'statements / request', 'events shown (page size)', 'portal CPU ms / request', 'load after']);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']);
  for (const r of pages) row([r.page.label, r.rps.toFixed(0), r.p50, `${r.p99}${r.page.goal && r.p99 >= GOALS.pageP99Ms ? ' **over**' : ''}`, r.alone ? `${r.alone.p50} / ${r.alone.p99}` : '–', r.statements, `${r.events} (${r.kb.toFixed(0)} KB)`, f(r.cpuMs), r.load]);
  const missed: string[] = [];
  for (const r of pages.filter((p) => p.page.goal)) if (r.p99 >= GOALS.pageP99Ms || r.failed) missed.push(`(a) ${r.page.label}: p99 ${r.p99} ms${r.failed ? `, ${r.failed} failed` : ''}`);
  if (writes) {
    const cost = writes.with.p50 - writes.without.p50;
    console.log(`\n(b) an event adds ${f(cost)} ms at the median (p99 ${f(writes.with.p99 - writes.without.p99)} ms); record() itself p50 ${f(writes.record.p50)}, p99 ${f(writes.record.p99)} ms`);
    if (cost >= GOALS.eventMs) missed.push(`(b) an event adds ${f(cost)} ms`);
  }
  if (verified) {
    console.log(`(c) audit:verify: ${verified.seconds} s (node CPU ${verified.cpuS.toFixed(1)} s), peak RSS ${verified.rssMb.toFixed(0)} MB`);
    if (verified.code !== 0 || !(verified.seconds < GOALS.verifyS)) missed.push(`(c) audit:verify ${verified.seconds} s, exit ${verified.code}`);
  }
  for (const m of missed) console.log(`MISSED ${m}`);
  if (missed.length) process.exitCode = 1;
  console.log(`load average at the end: ${loadavg()}`);
}

main()
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
