/**
 * bench/pages: what a page view costs, for every page a person opens often (MariaDB/MySQL).
 *
 *   npx tsx bench/pages.ts                        # seed bench_pages (~70 s) + everything
 *   BENCH_SKIP_SEED=1 npx tsx bench/pages.ts      # reuse bench_pages as seeded
 *
 * Seeds the database `bench_pages` (DROP + CREATE; nothing else is touched) like bench/contacts-list
 * plus a manager, groups and tickets (bench/pages-seed.ts). Then, in one run, each page against the
 * same run's ceiling (bare Express + mysql2 + EJS, bench/list-servers.ts), alternating in stretches:
 * requests/s as a ratio of the ceiling's, p99 beside the ceiling's, statements per request (knex's
 * 'query' event in the portal's process, over sequential requests) and CPU ms per request.
 * Exit code 1 when a page sends more statements than its budget in bench/README.md.
 * Also times the big account's searches sorted by creation date (the list's "Mais recentes").
 *
 * Environment: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/test: only the server is used),
 * BENCH_SKIP_SEED=1, BENCH_SECONDS (6 per server and page), BENCH_WARMUP_SECONDS (1),
 * BENCH_STRETCHES (2), BENCH_CONNECTIONS (32), BENCH_PAGES (a comma list of page keys),
 * BENCH_CPU_PROF=file (a V8 CPU profile of the portal's process over the pages' load, warm-ups
 * included, without start-up and logins; read it with bench/profile-summary.ts).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Knex } from 'knex';
import { loadConfig } from '../server/config';
import { PAGE_SIZE } from '../server/contacts/contacts.service';
import { ContactRepository } from '../server/contacts/contacts.repository';
import { parseSearch } from '../server/contacts/search-text';
import { createPortal } from '../server/portal';
import { benchDatabaseUrl, benchPortalEnv, recreateDatabase } from './bench-database';
import { BIG_ACCOUNT_ID, BIG_CONTACTS, seed } from './contacts-seed';
import { fetchPage, login, measurePair, type LoadSettings, type Measured } from './http-load';
import { startServer, type RunningServer } from './list-servers';
import { MANAGER_PASSWORD, seedPages, type PageAccount } from './pages-seed';
import { sampleOf, SEARCHES } from './search-timings';
import { median, percentile } from './stats';

const DB_NAME = 'bench_pages';
const LOAD: LoadSettings = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 32),
  seconds: Number(process.env.BENCH_SECONDS ?? 6),
  warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 1),
  stretches: Math.max(1, Number(process.env.BENCH_STRETCHES ?? 2)),
};
const PROBES = 9;
const CREATED_REPETITIONS = 20;
const GOALS = { ceilingRatio: 0.5, createdSearchP50Ms: 60 };

const databaseUrl = benchDatabaseUrl(DB_NAME);
const portalEnv: NodeJS.ProcessEnv = { ...process.env, ...benchPortalEnv(databaseUrl), TRUST_PROXY: 'loopback', HOST: '127.0.0.1', PORT: '0' };

interface Page {
  key: string;
  /** The page's line in bench/README's budget. */
  budgetLine: string;
  label: string;
  account: 'typical' | 'big';
  path: (a: PageAccount) => string;
  hasRows: boolean;
}

const PAGES: Page[] = [
  { key: 'list', budgetLine: 'contacts list, first page', label: 'contacts list, first page', account: 'typical', path: (a) => `/accounts/${a.id}/contacts`, hasRows: true },
  { key: 'search', budgetLine: 'contacts search', label: 'contacts search "silva"', account: 'typical', path: (a) => `/accounts/${a.id}/contacts?q=silva`, hasRows: true },
  { key: 'big-list', budgetLine: 'contacts list, first page', label: 'contacts list, first page', account: 'big', path: (a) => `/accounts/${a.id}/contacts`, hasRows: true },
  { key: 'big-search', budgetLine: 'contacts search', label: 'contacts search "silva"', account: 'big', path: (a) => `/accounts/${a.id}/contacts?q=silva`, hasRows: true },
  { key: 'big-created', budgetLine: 'contacts search', label: 'search "silva", newest first', account: 'big', path: (a) => `/accounts/${a.id}/contacts?q=silva&sort=created`, hasRows: true },
  { key: 'contact', budgetLine: "a contact's page", label: "a contact's page", account: 'typical', path: (a) => `/accounts/${a.id}/contacts/${a.otherContactId}`, hasRows: false },
  { key: 'permissions', budgetLine: 'permission editor', label: 'permission editor', account: 'typical', path: (a) => `/accounts/${a.id}/contacts/${a.otherContactId}/permissions`, hasRows: false },
  { key: 'tickets', budgetLine: 'support tickets list', label: 'support tickets list', account: 'typical', path: (a) => `/accounts/${a.id}/p/support`, hasRows: true },
  { key: 'ticket', budgetLine: 'a ticket', label: 'a ticket', account: 'typical', path: (a) => `/accounts/${a.id}/p/support/${a.ticketId}`, hasRows: false },
  { key: 'invitations', budgetLine: 'invitations', label: 'invitations', account: 'typical', path: (a) => `/accounts/${a.id}/invitations`, hasRows: false },
  { key: 'me', budgetLine: 'Meu perfil', label: '"Meu perfil"', account: 'typical', path: () => '/me', hasRows: false },
];

/** The budget table of bench/README.md ("### Budget: statements per page"): page → statements. */
function readBudget(): Map<string, number> {
  const lines = readFileSync(new URL('README.md', import.meta.url), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('### Budget: statements per page'));
  if (start < 0) throw new Error('bench/README.md has no "### Budget: statements per page" table');
  const budget = new Map<string, number>();
  for (const line of lines.slice(start + 1)) {
    if (budget.size && !line.startsWith('|')) break;
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length > 3 && /^\d+$/.test(cells[2]!)) budget.set(cells[1]!, Number(cells[2]));
  }
  return budget;
}

/** Statements per request: sequential requests, the portal's count read between them (median: a session renewal lands in one). */
async function statementsPerRequest(portal: RunningServer, url: string, cookie: string): Promise<number> {
  const counts: number[] = [];
  for (let i = 0; i < PROBES; i++) {
    const before = await portal.statements();
    const page = await fetchPage(url, cookie);
    if (page.status !== 200) throw new Error(`${url} answered ${page.status}`);
    counts.push((await portal.statements()) - before);
  }
  return median(counts);
}

interface SortTiming {
  label: string;
  created: { p50: number; p95: number; rows: number };
  name: { p50: number; p95: number; rows: number };
}

/**
 * The big account's searches newest first, and by name for comparison: the statement the list
 * sends, one in flight, the two orders interleaved so both see the same moments of the host.
 */
async function timeCreatedSearches(db: Knex): Promise<SortTiming[]> {
  const repo = new ContactRepository();
  const sample = await sampleOf(db, BIG_ACCOUNT_ID);
  const out: SortTiming[] = [];
  for (const s of SEARCHES) {
    const times = { created: [] as number[], name: [] as number[] };
    const rows = { created: 0, name: 0 };
    for (let i = 0; i < CREATED_REPETITIONS + 2; i++) {
      for (const sort of ['created', 'name'] as const) {
        const query = { accountId: BIG_ACCOUNT_ID, status: 'active' as const, words: parseSearch(s.q(sample)), sort, offset: 0, limit: PAGE_SIZE };
        const t0 = performance.now();
        rows[sort] = ((await repo.listQuery(db, query)) as unknown[]).length;
        if (i >= 2) times[sort].push(performance.now() - t0);
      }
    }
    const stat = (xs: number[], n: number) => {
      xs.sort((a, b) => a - b);
      return { p50: percentile(xs, 0.5), p95: percentile(xs, 0.95), rows: n };
    };
    out.push({ label: s.label, created: stat(times.created, rows.created), name: stat(times.name, rows.name) });
  }
  return out;
}

interface Result {
  page: Page;
  statements: number;
  budget: number | undefined;
  portal: Measured;
  ceiling: Measured;
}

const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const row = (cells: (string | number)[]) => console.log(`| ${cells.join(' | ')} |`);
const loadavg = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

async function main(): Promise<void> {
  const budget = readBudget();
  const only = process.env.BENCH_PAGES ? new Set(process.env.BENCH_PAGES.split(',')) : null;
  const pages = PAGES.filter((p) => !only || only.has(p.key));
  const version = await recreateDatabase(DB_NAME, { keep: Boolean(process.env.BENCH_SKIP_SEED) });
  console.log(`pages bench: Node ${process.version}, ${version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()}`);
  const setup = await createPortal(loadConfig(portalEnv)); // runs the app's migrations
  let accounts: { typical: PageAccount; big: PageAccount };
  let created: Awaited<ReturnType<typeof timeCreatedSearches>> = [];
  try {
    if (!process.env.BENCH_SKIP_SEED) await seed(setup.db, console.log);
    else if (Number((await setup.db('contacts').where('account_id', BIG_ACCOUNT_ID).count({ n: '*' }).first())!.n) < BIG_CONTACTS) throw new Error(`${DB_NAME} is not seeded: run without BENCH_SKIP_SEED`);
    accounts = await seedPages(setup.db);
    if (!only || only.has('created-timing')) created = await timeCreatedSearches(setup.db);
  } finally {
    await setup.close();
  }

  const ceiling = await startServer('ceiling', { ...process.env, DATABASE_URL: databaseUrl });
  const portal = await startServer('portal', portalEnv).catch(async (err: unknown) => {
    await ceiling.stop();
    throw err;
  });
  const results: Result[] = [];
  try {
    const cookies = { typical: [] as string[], big: [] as string[] };
    for (const which of ['typical', 'big'] as const) {
      if (!pages.some((p) => p.account === which)) continue;
      for (let i = 0; i < LOAD.connections; i++) cookies[which].push(await login(portal.url, accounts[which].email, MANAGER_PASSWORD));
    }
    console.log(`\n== ${LOAD.connections} connections, ${LOAD.seconds} s per server and page in ${LOAD.stretches} alternating stretches (+${LOAD.warmupSeconds} s warm-up each); load average ${loadavg()} ==`);
    if (process.env.BENCH_CPU_PROF) await portal.profile.start();
    for (const page of pages) {
      const account = accounts[page.account];
      const url = portal.url + page.path(account);
      const statements = await statementsPerRequest(portal, url, cookies[page.account][0]!);
      const pair = await measurePair({ server: portal, url, cookies: cookies[page.account] }, { server: ceiling, url: `${ceiling.url}/accounts/${account.id}/contacts` }, LOAD, page.hasRows);
      results.push({ page, statements, budget: budget.get(page.budgetLine), ...pair });
      const { portal: p, ceiling: c } = pair;
      console.log(`${`${page.label} (${page.account})`.padEnd(44)} ${(p.rps / c.rps).toFixed(2)} x  ${p.rps.toFixed(0)} vs ${c.rps.toFixed(0)} req/s  p99 ${p.p99} vs ${c.p99} ms  ` +
        `${statements} statements  CPU ms/req ${p.serverCpu.toFixed(2)} vs ${c.serverCpu.toFixed(2)}  load ${loadavg()}`);
    }
    if (process.env.BENCH_CPU_PROF) await portal.profile.stop(process.env.BENCH_CPU_PROF);
  } finally {
    await portal.stop();
    await ceiling.stop();
  }
  if (results.some((r) => r.portal.failed || r.ceiling.failed)) throw new Error('some answers were not 2xx: the figures above are not valid');

  console.log(`\n== Pages (one run; the ceiling serves the same account's first contacts page) ==`);
  row(['page', 'account', 'req/s vs ceiling', 'portal / ceiling req/s', 'p99 ms (ceiling)', 'statements / request (budget)', 'CPU ms/req: Node (ceiling), MariaDB']);
  row(['---', '---', '---:', '---:', '---:', '---:', '---']);
  for (const r of results) {
    const over = r.budget === undefined || r.statements > r.budget;
    if (over) process.exitCode = 1;
    row([r.page.label, r.page.account, `**${(r.portal.rps / r.ceiling.rps).toFixed(2)}**`, `${r.portal.rps.toFixed(0)} / ${r.ceiling.rps.toFixed(0)}`, `${r.portal.p99} (${r.ceiling.p99})`,
      `${r.statements} (${r.budget ?? 'no budget line'})${over ? ' **OVER**' : ''}`, `${r.portal.serverCpu.toFixed(2)} (${r.ceiling.serverCpu.toFixed(2)}), ${r.portal.databaseCpu.toFixed(2)}`]);
  }
  if (created.length) {
    console.log(`\n== Big account (${BIG_CONTACTS.toLocaleString('en-US')} contacts), active tab: the list's statement through knex, ${CREATED_REPETITIONS} runs after 2, the two orders interleaved ==`);
    row(['search', 'newest first p50 ms', 'p95 ms', 'by name p50 ms', 'p95 ms', 'rows (newest, name)']);
    row(['---', '---:', '---:', '---:', '---:', '---:']);
    for (const c of created) row([c.label, ms(c.created.p50), ms(c.created.p95), ms(c.name.p50), ms(c.name.p95), `${c.created.rows}, ${c.name.rows}`]);
    const worst = created.reduce((a, b) => (b.created.p50 > a.created.p50 ? b : a));
    const worstName = created.reduce((a, b) => (b.name.p50 > a.name.p50 ? b : a));
    console.log(`slowest p50 newest first: ${ms(worst.created.p50)} ms (${worst.label}), ${worst.created.p50 < GOALS.createdSearchP50Ms ? 'under' : 'OVER'} the ${GOALS.createdSearchP50Ms} ms goal; by name: ${ms(worstName.name.p50)} ms (${worstName.label})`);
  }
  for (const r of results.filter((x) => x.page.key.endsWith('list') || x.page.key.endsWith('search'))) {
    const ratio = r.portal.rps / r.ceiling.rps;
    console.log(`goal ${r.page.label} (${r.page.account}) >= ${GOALS.ceilingRatio} x ceiling: ${ratio.toFixed(2)} ${ratio >= GOALS.ceilingRatio ? 'met' : 'MISSED'}`);
  }
  if (process.exitCode) console.log('\nFAILED: a page sends more statements than its budget in bench/README.md (or has no budget line)');
  console.log(`load average at the end: ${loadavg()}`);
}

main()
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
