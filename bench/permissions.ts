/**
 * bench/permissions: what a permission costs on a request.
 *
 *   npx tsx bench/permissions.ts
 *
 * Goals (issue "bench/permissions"): a permission check costs under 1 µs on a warm request, and
 * computing a contact's effective set with 3 groups and 50 flags costs under 1 ms on MariaDB.
 *
 * A. In memory, no database. The real registry (loadRegistry: core + the built-in plugins) plus a
 *    synthetic plugin "benchmark" declaring 60 flags (validated by the real loader), so a contact
 *    can hold 50 flags. One effective set is computed with effectivePermissions(); then millions of
 *    checks, hits and misses mixed, are timed with process.hrtime.bigint(): `can(set, key)`
 *    (policy.ts), the `req.ctx.can(key)` closure as PermissionService.accessOf builds it, the owner's
 *    set, and the requirePermission() guard itself. Warm-up runs first; the figure is the median of
 *    several runs, in ns per check, next to the cost of the same loop doing no check.
 *
 * B. On MariaDB/MySQL. Creates the database `portal_bench_perm` (DROP + CREATE; no other database
 *    is touched), runs every migration through createPortal, seeds 200 accounts (the measured one
 *    with 1,000 contacts, 3 groups of 16/16/17 flags; the measured contact is in all three groups,
 *    has 5 explicit grants and the "custom" profile: 50 distinct flags in all). Then, sequentially
 *    (one query in flight), BENCH_ITERATIONS times each after a warm-up, interleaved: the
 *    per-request work of accountContext (server/accounts/account-context.ts) as the app's services
 *    do it: AccountService.activeMembership (one statement) then PermissionService.accessOf (the
 *    explicit ∪ group flags, one statement, and the effective set); also each statement alone, the
 *    real accountContext middleware, `SELECT 1` (the round-trip floor) and, labelled as not the
 *    repository's, extraFlags written with UNION ALL. Prints p50/p99/mean in ms, the EXPLAIN of the
 *    SQL the repositories sent (captured from knex's `query` event), failing on a full table or
 *    index scan, and MariaDB's own optimizer/execution time of each (ANALYZE FORMAT=JSON).
 *
 * Environment: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/test: only the server is used),
 * BENCH_CHECKS (checks per timed run, default 5,000,000), BENCH_RUNS (timed runs, default 7),
 * BENCH_ITERATIONS (default 2,000), BENCH_WARMUP (default 300), BENCH_SKIP_DB=1 (part A only).
 * Exits 1 when a goal is missed (the check: the slowest variant's median; the effective set: its
 * p50, with mean and p99 printed beside it) or a plan scans a whole table or index.
 */
import os from 'node:os';
import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { accountContext, type AccountContext } from '../server/accounts/account-context';
import { requirePermission } from '../server/http/guards';
import { loadConfig } from '../server/config';
import { PermissionRepository } from '../server/permissions/permissions.repository';
import { can, effectivePermissions } from '../server/permissions/policy';
import { definePlugin, type PluginManifest } from '../server/plugins/contract';
import { coreManifest } from '../server/plugins/core-manifest';
import { loadRegistry, validatePlugins } from '../server/plugins/loader';
import { Registry } from '../server/plugins/registry';
import { createPortal } from '../server/portal';
import { createServices } from '../server/services';
import { BENCH_SERVER_URL, benchDatabaseUrl, benchPortalEnv, recreateDatabase } from './bench-database';
import { insertInBatches, prng } from './contacts-seed';
import { median, percentile } from './stats';

const DB_NAME = 'portal_bench_perm';
const CHECKS = Number(process.env.BENCH_CHECKS ?? 5_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const GOAL_CHECK_NS = 1_000;
const GOAL_SET_MS = 1;

// ---------------------------------------------------------------------------------------------
// The synthetic plugin: 60 flags, of which the measured contact holds 50.
// ---------------------------------------------------------------------------------------------

const PLUGIN_ID = 'benchmark';
const FLAG_COUNT = 60;
const flag = (n: number) => `${PLUGIN_ID}.flag-${String(n).padStart(2, '0')}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => flag(from + i));

/** The measured contact's grants: three overlapping groups and five explicit flags, 50 distinct. */
const GROUPS: { name: string; flags: string[] }[] = [
  { name: 'Financeiro', flags: range(1, 16) },
  { name: 'Suporte N2', flags: range(15, 30) },
  { name: 'TI', flags: range(29, 45) },
];
const EXPLICIT = range(46, 50);
const HELD = new Set([...GROUPS.flatMap((g) => g.flags), ...EXPLICIT]);

const benchmarkPlugin: PluginManifest = definePlugin({
  id: PLUGIN_ID,
  name: 'plugins.benchmark.name',
  permissions: Array.from({ length: FLAG_COUNT }, (_, i) => ({ key: flag(i + 1), label: `plugins.benchmark.flag${i + 1}`, group: 'plugins.benchmark.name' })),
  profiles: { member: [flag(1)] },
  locales: {
    'pt-BR': { plugins: { benchmark: { name: 'Benchmark', ...Object.fromEntries(Array.from({ length: FLAG_COUNT }, (_, i) => [`flag${i + 1}`, `Permissão ${i + 1}`])) } } },
  },
});

async function buildRegistry(): Promise<{ registry: Registry; real: Registry }> {
  const real = await loadRegistry();
  const plugins = [...real.plugins.filter((p) => p.id !== 'core'), benchmarkPlugin];
  validatePlugins(plugins); // the same checks the portal runs at start-up
  return { registry: new Registry([coreManifest, ...plugins]), real };
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** Deterministic shuffle (the seeds' PRNG), so every run probes the same sequence. */
function shuffled<T>(xs: T[], seed = 42): T[] {
  const rnd = prng(seed).next;
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A. ns per check
// ---------------------------------------------------------------------------------------------

interface CheckResult {
  name: string;
  nsPerCheck: number;
  runs: number[];
  hits: number;
  checks: number;
}

// One function per variant, so each call site stays monomorphic as it is in the server.
function loopBaseline(probes: string[], n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (probes[i & 63]!.length > 200) hits++;
  return hits;
}
function loopCan(set: ReadonlySet<string>, probes: string[], n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (can(set, probes[i & 63]!)) hits++;
  return hits;
}
function loopCtx(ctx: Pick<AccountContext, 'can'>, probes: string[], n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (ctx.can(probes[i & 63]!)) hits++;
  return hits;
}
function loopGuard(guards: ((req: Request, res: Response, next: NextFunction) => void)[], req: Request, n: number): number {
  let hits = 0;
  const res = {} as Response;
  const next = () => {
    hits++;
  };
  for (let i = 0; i < n; i++) guards[i & 63]!(req, res, next);
  return hits;
}

function timeChecks(name: string, body: (n: number) => number): CheckResult {
  body(CHECKS); // warm-up: let the JIT optimize the loop and the Set lookups
  body(CHECKS);
  const runs: number[] = [];
  let hits = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    hits = body(CHECKS);
    const t1 = process.hrtime.bigint();
    runs.push(Number(t1 - t0) / CHECKS);
  }
  return { name, nsPerCheck: median(runs), runs, hits, checks: CHECKS };
}

function benchChecks(registry: Registry): { results: CheckResult[]; setSize: number; effectiveUs: number } {
  const subject = { profile: 'custom', isOwner: false, extraFlags: [...GROUPS.flatMap((g) => g.flags), ...EXPLICIT] };
  const permissions = effectivePermissions(registry, subject);
  if (permissions.size !== 50 || ![...HELD].every((k) => permissions.has(k))) throw new Error(`effective set has ${permissions.size} flags, expected the 50 held`);

  // 64 probes (a power of two: `i & 63`), half hits, half misses of three kinds: a flag of the
  // same plugin that is not held, flags of core and the built-in plugins, a key nobody declares.
  const hitsProbe = shuffled([...HELD]).slice(0, 32);
  const misses = [...range(51, 60), ...registry.permissions.filter((p) => p.plugin !== PLUGIN_ID).map((p) => p.key), 'crm.view', 'support.tickets', 'billing.invoices'];
  const missesProbe = Array.from({ length: 32 }, (_, i) => misses[i % misses.length]!);
  const probes = shuffled([...hitsProbe, ...missesProbe], 7);
  const expectedHits = (n: number) => {
    let h = 0;
    for (let i = 0; i < n; i++) if (permissions.has(probes[i & 63]!)) h++;
    return h;
  };

  // What accountContext puts on req.ctx (`can` as PermissionService.accessOf builds it).
  const ctx: AccountContext = {
    account: { id: 1, name: 'Bench', ownerContactId: 1, seatLimit: 99, counts: { active: 1, pending: 0, deactivated: 0 } },
    contact: { id: 2, name: 'Bench', profile: 'custom' },
    isOwner: false,
    companies: 1,
    permissions,
    can: (key) => can(permissions, key),
  };
  const ownerSet = effectivePermissions(registry, { profile: 'administrator', isOwner: true });
  const ownerCtx = { can: (key: string) => can(ownerSet, key) };
  // The route guard as mounted: one middleware per declared flag; only allowed requests reach
  // next() (a refusal throws Forbidden and renders a 403 page, a different cost).
  const guards = Array.from({ length: 64 }, (_, i) => requirePermission(hitsProbe[i & 31]!));
  const req = { ctx } as unknown as Request;

  const results = [
    timeChecks('loop alone (no check, for reference)', (n) => loopBaseline(probes, n)),
    timeChecks('can(set, key)  policy.ts', (n) => loopCan(permissions, probes, n)),
    timeChecks('req.ctx.can(key)  closure of accessOf', (n) => loopCtx(ctx, probes, n)),
    timeChecks('req.ctx.can(key)  primary administrator', (n) => loopCtx(ownerCtx, probes, n)),
    timeChecks('requirePermission(key) guard, allowed', (n) => loopGuard(guards, req, n)),
  ];
  const want = expectedHits(CHECKS);
  for (const r of results.slice(1, 3)) if (r.hits !== want) throw new Error(`${r.name}: ${r.hits} hits, expected ${want}`);

  // The CPU part of the per-request work, for B.
  for (let i = 0; i < 20_000; i++) effectivePermissions(registry, subject);
  const n = 200_000;
  const t0 = process.hrtime.bigint();
  let size = 0;
  for (let i = 0; i < n; i++) size += effectivePermissions(registry, subject).size;
  const effectiveUs = Number(process.hrtime.bigint() - t0) / n / 1000;
  if (size !== 50 * n) throw new Error('effectivePermissions changed its answer');
  return { results, setSize: permissions.size, effectiveUs };
}

// ---------------------------------------------------------------------------------------------
// B. The effective set on MariaDB
// ---------------------------------------------------------------------------------------------

interface Seeded {
  accountId: number;
  userId: number;
  contactId: number;
  rows: Record<string, number>;
}

const ACCOUNTS = 200;
const MAIN_CONTACTS = 1_000;
const OTHER_CONTACTS = 25;

/**
 * 200 accounts: account 1 is measured (1,000 contacts), 199 others have 25 each; every account
 * has 3 groups of ~15 flags; ~40 % of contacts are in groups, ~15 % hold explicit grants (profile
 * "custom"), so the grant tables are large enough for a full scan to show in the plans.
 * Keys are plain strings in these tables; grants of flags nobody declares are kept and ignored.
 */
async function seed(db: Knex): Promise<Seeded> {
  let seed = 1234;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const now = new Date();
  const allKeys = [...range(1, FLAG_COUNT), 'support.portal', 'support.bpo-full', 'cloud.it-admin', 'education.academy-clients', 'contacts.manage'];
  const pickKeys = (n: number) => shuffled(allKeys, Math.floor(rnd() * 1e9)).slice(0, n);

  const users: Record<string, unknown>[] = [];
  const accounts: Record<string, unknown>[] = [];
  const contacts: Record<string, unknown>[] = [];
  const groups: Record<string, unknown>[] = [];
  const groupPermissions: Record<string, unknown>[] = [];
  const groupMembers: Record<string, unknown>[] = [];
  const contactPermissions: Record<string, unknown>[] = [];
  let contactId = 0;
  let groupId = 0;
  let userId = 0;
  const newUser = (email: string, name: string) => {
    users.push({ id: ++userId, email, name, password_hash: null, locale: 'pt-BR', verified_at: now, created_at: now, updated_at: now });
    return userId;
  };

  // The measured person: a login that is a contact of account 1 and of two other accounts.
  const measuredUser = newUser('medida@bench.test', 'Marta Medida');
  let measured: { accountId: number; contactId: number } | undefined;

  for (let a = 1; a <= ACCOUNTS; a++) {
    const size = a === 1 ? MAIN_CONTACTS : OTHER_CONTACTS;
    const counts = { active_count: 0, pending_count: 0, deactivated_count: 0 };
    const ids: number[] = [];
    const accountGroups: number[] = [];
    for (let g = 0; g < 3; g++) {
      groups.push({ id: ++groupId, account_id: a, name: a === 1 ? GROUPS[g]!.name : `Grupo ${g + 1}`, description: null, created_at: now, updated_at: now });
      accountGroups.push(groupId);
      const keys = a === 1 ? GROUPS[g]!.flags : pickKeys(15);
      for (const k of keys) groupPermissions.push({ group_id: groupId, permission_key: k });
    }
    for (let i = 0; i < size; i++) {
      const id = ++contactId;
      ids.push(id);
      const isMeasured = (a === 1 && i === 1) || ((a === 2 || a === 3) && i === 1);
      const p = rnd();
      const status = i === 0 || isMeasured ? 'active' : p < 0.9 ? 'active' : p < 0.95 ? 'pending' : 'deactivated';
      const q = rnd();
      const profile = i === 0 ? 'administrator' : isMeasured && a === 1 ? 'custom' : q < 0.15 ? 'custom' : q < 0.75 ? 'member' : q < 0.9 ? 'observer_download' : 'observer';
      const email = isMeasured ? 'medida@bench.test' : `c${id}@empresa${a}.test`;
      const name = isMeasured ? 'Marta Medida' : `Contato ${id}`;
      const user = isMeasured ? measuredUser : status === 'pending' ? null : newUser(email, name);
      contacts.push({ id, account_id: a, user_id: user, status, profile, name, email, country: 'BR', consulting_authorized: false, created_at: now, updated_at: now, deactivated_at: status === 'deactivated' ? now : null });
      counts[`${status as 'active' | 'pending' | 'deactivated'}_count`]++;

      if (a === 1 && isMeasured) {
        measured = { accountId: a, contactId: id };
        for (const g of accountGroups) groupMembers.push({ contact_id: id, group_id: g });
        for (const k of EXPLICIT) contactPermissions.push({ contact_id: id, permission_key: k });
        continue;
      }
      if (i > 0 && rnd() < 0.4) {
        for (const g of shuffled(accountGroups, id).slice(0, 1 + Math.floor(rnd() * 2))) groupMembers.push({ contact_id: id, group_id: g });
      }
      if (profile === 'custom') for (const k of pickKeys(3 + Math.floor(rnd() * 6))) contactPermissions.push({ contact_id: id, permission_key: k });
    }
    accounts.push({ id: a, name: a === 1 ? 'Companhia Medida S.A.' : `Empresa ${a} Ltda.`, document: null, seat_limit: size + 99, owner_contact_id: ids[0], ...counts, created_at: now, updated_at: now });
  }

  await insertInBatches(db, 'users', users);
  await insertInBatches(db, 'accounts', accounts);
  await insertInBatches(db, 'contacts', contacts);
  await insertInBatches(db, 'groups', groups);
  await insertInBatches(db, 'group_permissions', groupPermissions);
  await insertInBatches(db, 'group_members', groupMembers);
  await insertInBatches(db, 'contact_permissions', contactPermissions);
  await db.raw('ANALYZE TABLE users, accounts, contacts, `groups`, group_permissions, group_members, contact_permissions');
  return {
    accountId: measured!.accountId,
    userId: measuredUser,
    contactId: measured!.contactId,
    rows: {
      users: users.length, accounts: accounts.length, contacts: contacts.length, groups: groups.length,
      group_permissions: groupPermissions.length, group_members: groupMembers.length, contact_permissions: contactPermissions.length,
    },
  };
}

/** A statement as a repository sent it (knex's `query` event): the SQL and its bindings. */
interface Sent {
  sql: string;
  bindings: readonly Knex.Value[];
}

/** The statements `work` sends through `db`, as sent. */
async function captured(db: Knex, work: () => Promise<unknown>): Promise<Sent[]> {
  const sent: Sent[] = [];
  const onQuery = (data: { sql: string; bindings?: Knex.Value[] }) => sent.push({ sql: data.sql, bindings: data.bindings ?? [] });
  db.on('query', onQuery);
  try {
    await work();
  } finally {
    db.off('query', onQuery);
  }
  return sent;
}

async function explain(db: Knex, label: string, { sql, bindings }: Sent): Promise<boolean> {
  const [plan] = (await db.raw(`EXPLAIN ${sql}`, bindings as Knex.RawBinding[])) as unknown as [Record<string, unknown>[]];
  const shown = sql.trim().replace(/\s+/g, ' ');
  console.log(`\n-- ${label}\n   ${shown}\n   bindings: ${JSON.stringify(bindings)}`);
  const cols = ['id', 'select_type', 'table', 'type', 'possible_keys', 'key', 'key_len', 'ref', 'rows', 'Extra'];
  printTable(cols, plan.map((r) => cols.map((c) => String(r[c] ?? ''))));
  // A full scan of a real table fails; `<unionN,M>` / `<derivedN>` are small temporary results.
  const scans = plan.filter((r) => !String(r.table).startsWith('<') && (r.type === 'ALL' || r.type === 'index'));
  if (scans.length) {
    console.log(`   FAIL: full ${scans.map((r) => `${r.type === 'ALL' ? 'table' : 'index'} scan of ${r.table}`).join(', ')}`);
    return false;
  }
  console.log('   OK: index lookups only (no full table or index scan)');
  return true;
}

interface AnalyzeBlock {
  r_total_time_ms?: number;
  union_result?: { query_specifications: { query_block: AnalyzeBlock }[] };
}
interface AnalyzeDoc {
  query_optimization?: { r_total_time_ms?: number };
  query_block?: AnalyzeBlock;
}

/** MariaDB's own account of one statement (ANALYZE FORMAT=JSON): optimizer and execution ms. */
async function serverTimes(db: Knex, { sql, bindings }: Sent, runs = 200): Promise<{ optimize: number; execute: number } | null> {
  const optimize: number[] = [];
  const execute: number[] = [];
  for (let i = 0; i < runs; i++) {
    let doc: AnalyzeDoc;
    try {
      const [rows] = (await db.raw(`ANALYZE FORMAT=JSON ${sql}`, bindings as Knex.RawBinding[])) as unknown as [Record<string, string>[]];
      doc = JSON.parse(Object.values(rows[0]!)[0]!) as AnalyzeDoc;
    } catch {
      return null; // MySQL has no ANALYZE statement
    }
    const block = doc.query_block ?? {};
    const blocks = block.union_result ? block.union_result.query_specifications.map((q) => q.query_block) : [block];
    optimize.push(Number(doc.query_optimization?.r_total_time_ms ?? 0));
    execute.push(blocks.reduce((sum, b) => sum + Number(b.r_total_time_ms ?? 0), 0));
  }
  return { optimize: median(optimize), execute: median(execute) };
}

interface Timing {
  name: string;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/**
 * Times every measure ITERATIONS times, sequentially (one query in flight at a time), after
 * WARMUP rounds. The measures are interleaved, one call of each per round in a rotating order,
 * so background work of the server or the machine falls on all of them alike.
 */
async function timeInterleaved(measures: [name: string, body: () => Promise<unknown>][]): Promise<Timing[]> {
  for (let i = 0; i < WARMUP; i++) for (const [, body] of measures) await body();
  const samples = measures.map(() => [] as number[]);
  for (let i = 0; i < ITERATIONS; i++) {
    for (let j = 0; j < measures.length; j++) {
      const k = (i + j) % measures.length;
      const t0 = process.hrtime.bigint();
      await measures[k]![1]();
      samples[k]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return measures.map(([name], k) => {
    const ms = samples[k]!;
    const sorted = [...ms].sort((a, b) => a - b);
    return { name, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), mean: ms.reduce((sum, x) => sum + x, 0) / ms.length, max: sorted[sorted.length - 1]! };
  });
}

async function benchDatabase(registry: Registry): Promise<{ timings: Timing[]; plansOk: boolean; version: string }> {
  console.log(`\n== B. Effective set on ${new URL(BENCH_SERVER_URL).host}, database ${DB_NAME} ==`);
  await recreateDatabase(DB_NAME);
  const config = loadConfig(benchPortalEnv(benchDatabaseUrl(DB_NAME)));
  const portal = await createPortal(config); // runs core and plugin migrations
  const db = portal.db;
  try {
    const version = String(((await db.raw('select version() as v')) as unknown as [{ v: string }[]])[0][0]!.v);
    const t0 = Date.now();
    const seeded = await seed(db);
    console.log(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${Object.entries(seeded.rows).map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ')}`);
    console.log(`measured: account ${seeded.accountId} (${MAIN_CONTACTS.toLocaleString('en-US')} contacts), contact ${seeded.contactId} (profile custom, member of ${GROUPS.length} groups granting ${GROUPS.map((g) => g.flags.length).join('/')} flags, ${EXPLICIT.length} explicit grants), user ${seeded.userId} (a contact of 3 accounts)`);

    const repo = new PermissionRepository();
    // The app's own services, composed as the app composes them, with the registry that knows the
    // synthetic flags.
    const { accounts, permissions } = createServices({ config, db, registry, i18n: portal.i18n });

    // The per-request work of accountContext (server/accounts/account-context.ts): the membership
    // (one statement), then the explicit ∪ group flags (one statement) and the effective set.
    const perRequest = async () => {
      const m = await accounts.activeMembership(seeded.accountId, seeded.userId);
      if (!m) throw new Error('measured contact not found');
      return (await permissions.accessOf({ contactId: m.contact_id, profile: m.profile, isOwner: m.owner_contact_id === m.contact_id })).permissions;
    };
    const check = await perRequest();
    if (check.size !== 50 || ![...HELD].every((k) => check.has(k))) throw new Error(`effective set from the database has ${check.size} flags, expected the 50 held`);

    const middleware = accountContext(accounts, permissions);
    const req = { params: { accountId: String(seeded.accountId) }, user: { id: seeded.userId, email: 'medida@bench.test', name: 'Marta Medida', locale: null } } as unknown as Request;
    const viaMiddleware = async () => {
      await middleware(req, { locals: {} } as Response, () => undefined);
      if (req.ctx!.permissions.size !== 50) throw new Error('accountContext computed another set');
    };
    await viaMiddleware();

    // Plans of the statements the middleware sends, as sent.
    console.log("\n== Plans (EXPLAIN of the SQL accountContext's services send, captured from knex's query event) ==");
    const sent = await captured(db, viaMiddleware);
    if (sent.length !== 2) throw new Error(`accountContext sent ${sent.length} statements, expected the membership and the flags`);
    const [membership, flags] = sent as [Sent, Sent];
    let plansOk = await explain(db, 'AccountService.activeMembership(accountId, userId)', membership);
    plansOk = (await explain(db, 'PermissionService.accessOf → PermissionRepository.extraFlags(contactId)', flags)) && plansOk;
    for (const [label, statement] of [['activeMembership', membership], ['extraFlags', flags]] as const) {
      const st = await serverTimes(db, statement);
      if (st) console.log(`   server side, ${label} (ANALYZE FORMAT=JSON, median of 200): optimizer ${fmt(st.optimize, 3)} ms, execution ${fmt(st.execute, 3)} ms`);
    }

    // Not the repository's query: the same two SELECTs joined by UNION ALL (duplicates are
    // removed by the Set in effectivePermissions anyway), to show what the DISTINCT step costs.
    const unionAll = (contactId: number) =>
      db.select('permission_key').from('contact_permissions').where({ contact_id: contactId })
        .unionAll((u) => u.select('gp.permission_key').from('group_members as gm').join('group_permissions as gp', 'gp.group_id', 'gm.group_id').where('gm.contact_id', contactId));

    console.log(`\n== Timings: ${ITERATIONS.toLocaleString('en-US')} sequential iterations of each after ${WARMUP} warm-up rounds, interleaved, one query in flight ==`);
    const timings = await timeInterleaved([
      ['effective set: activeMembership + accessOf (2 statements)', perRequest],
      ['accountContext middleware (the real one)', viaMiddleware],
      ['AccountService.activeMembership alone', () => accounts.activeMembership(seeded.accountId, seeded.userId)],
      ['PermissionRepository.extraFlags alone', () => repo.extraFlags(db, seeded.contactId)],
      ['SELECT 1 (round-trip floor)', () => db.raw('select 1')],
      ['what-if, not the repository: extraFlags as UNION ALL', () => unionAll(seeded.contactId)],
    ]);
    return { timings, plansOk, version };
  } finally {
    await portal.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const cpus = os.cpus();
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`bench/permissions — Node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${load()}`);
  const { registry, real } = await buildRegistry();
  console.log(`registry: ${real.keys.size} real flags (${real.plugins.map((p) => p.id).join(', ')}) + ${FLAG_COUNT} of the synthetic plugin "${PLUGIN_ID}" = ${registry.keys.size}`);

  console.log(`\n== A. Permission checks in memory: ${RUNS} runs × ${CHECKS.toLocaleString('en-US')} checks after 2 warm-up runs, median ==`);
  const a = benchChecks(registry);
  printTable(
    ['check', 'ns/check', 'runs min..max', 'hits'],
    a.results.map((r) => [r.name, fmt(r.nsPerCheck, 2), `${fmt(Math.min(...r.runs), 2)}..${fmt(Math.max(...r.runs), 2)}`, `${fmt((100 * r.hits) / r.checks, 0)} %`]),
  );
  console.log(`  effective set of ${a.setSize} flags: effectivePermissions() ${fmt(a.effectiveUs, 2)} µs (CPU only)`);

  let b: Awaited<ReturnType<typeof benchDatabase>> | undefined;
  if (process.env.BENCH_SKIP_DB !== '1') {
    b = await benchDatabase(registry);
    printTable(
      ['measure (ms)', 'p50', 'p99', 'mean', 'max'],
      b.timings.map((t) => [t.name, fmt(t.p50, 3), fmt(t.p99, 3), fmt(t.mean, 3), fmt(t.max, 3)]),
    );
  }

  console.log('\n== Goals ==');
  const worstCheck = Math.max(...a.results.slice(1).map((r) => r.nsPerCheck));
  const rows: string[][] = [];
  let ok = true;
  const verdict = (pass: boolean) => {
    ok &&= pass;
    return pass ? 'PASS' : 'FAIL';
  };
  rows.push(['permission check, warm (slowest variant above)', `${fmt(worstCheck, 2)} ns`, `< ${GOAL_CHECK_NS} ns`, verdict(worstCheck < GOAL_CHECK_NS)]);
  if (b) {
    const set = b.timings[0]!;
    // The goal is the typical request: judged on the median. Mean and p99 are shown beside it,
    // with whether they are under 1 ms too, but do not decide the verdict.
    rows.push([`effective set, 3 groups + 50 flags, ${b.version} (p50)`, `${fmt(set.p50, 3)} ms`, `< ${GOAL_SET_MS} ms`, verdict(set.p50 < GOAL_SET_MS)]);
    rows.push(['  same, mean (reported)', `${fmt(set.mean, 3)} ms`, `< ${GOAL_SET_MS} ms`, set.mean < GOAL_SET_MS ? 'under' : 'over']);
    rows.push(['  same, p99 (reported)', `${fmt(set.p99, 3)} ms`, `< ${GOAL_SET_MS} ms`, set.p99 < GOAL_SET_MS ? 'under' : 'over']);
    rows.push(['plans: no full table/index scan', b.plansOk ? 'none' : 'scan found', 'none', verdict(b.plansOk)]);
  } else {
    rows.push(['effective set on MariaDB', 'not run (BENCH_SKIP_DB=1)', `< ${GOAL_SET_MS} ms`, '-']);
  }
  printTable(['goal', 'measured', 'target', 'verdict'], rows);
  console.log(`\nload average at the end: ${load()} (figures from a machine busy with other work are not comparable)`);
  if (!ok) process.exitCode = 1;
}

main()
  .then(() => process.exit(process.exitCode ?? 0)) // the session store's clean-up timer would keep the process alive
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
