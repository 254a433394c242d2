/**
 * Database side of bench/contacts-list: the time of each search, single user, as the exact
 * statement ContactRepository.listQuery builds, run through knex; and MariaDB's plan of each
 * search in the big account (ANALYZE FORMAT=JSON: the plan with the rows actually read).
 */
import type { Knex } from 'knex';
import { PAGE_SIZE } from '../server/contacts/contacts.service';
import { ContactRepository, type ListQuery } from '../server/contacts/contacts.repository';
import { parseSearch } from '../server/contacts/search-text';
import { percentile } from './stats';

export interface SearchCase {
  name: string;
  label: string;
  /** What the user types for this account (a CPF or e-mail prefix comes from one of its contacts). */
  q: (sample: AccountSample) => string;
}

export interface AccountSample {
  accountId: number;
  /** An active contact's CPF, masked, first six digits ("123.456"), and e-mail up to 3 characters past "@". */
  cpfPrefix: string;
  emailPrefix: string;
}

export const SEARCHES: SearchCase[] = [
  { name: 'first', label: 'first page', q: () => '' },
  { name: 'surname', label: 'common surname "silva"', q: () => 'silva' },
  { name: 'prefix', label: 'first-name prefix "mari"', q: () => 'mari' },
  { name: 'nobody', label: 'word nobody has "zzyzx"', q: () => 'zzyzx' },
  { name: 'two', label: 'two words "maria silva"', q: () => 'maria silva' },
  { name: 'cpf', label: 'CPF prefix with mask', q: (s) => s.cpfPrefix },
  { name: 'email', label: 'e-mail prefix', q: (s) => s.emailPrefix },
];

/** A search in the account's active tab, sorted by name: the list page as the user first sees it. */
export function listQueryOf(accountId: number, q: string): ListQuery {
  return { accountId, status: 'active', words: parseSearch(q), sort: 'name', offset: 0, limit: PAGE_SIZE };
}

/** The account's search inputs, from the active contact in the middle of its ids. */
export async function sampleOf(db: Knex, accountId: number): Promise<AccountSample> {
  const active = db('contacts').where({ account_id: accountId, status: 'active' });
  const n = Number((await active.clone().count({ n: '*' }).first())!.n);
  const c = await active.clone().select('document_number', 'email').orderBy('id').offset(Math.floor(n / 2)).first();
  const d = String(c.document_number);
  const email = String(c.email);
  return { accountId, cpfPrefix: `${d.slice(0, 3)}.${d.slice(3, 6)}`, emailPrefix: email.slice(0, email.indexOf('@') + 4) };
}

export interface Timing {
  p50: number;
  p95: number;
  /** Rows the statement returned (the first sample's). */
  rows: number;
}

const timingOf = (ms: number[], rows: number): Timing => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), rows };
};

/**
 * Runs every search in every account, `rounds` times, one statement in flight; the searches and
 * accounts interleave so the host's slow moments fall on all of them alike. `warmup` rounds run
 * first, untimed, except that the very first round's times are kept apart (`firstRun`).
 */
export async function timeSearches(db: Knex, samples: AccountSample[], rounds: number, warmup: number) {
  const repo = new ContactRepository();
  const ms = new Map(SEARCHES.map((s) => [s.name, [] as number[]]));
  const first = new Map(SEARCHES.map((s) => [s.name, [] as number[]]));
  const rows = new Map<string, number>();
  for (let round = 0; round < warmup + rounds; round++) {
    for (const sample of samples) {
      for (const search of SEARCHES) {
        const statement = repo.listQuery(db, listQueryOf(sample.accountId, search.q(sample)));
        const t0 = performance.now();
        const result = (await statement) as unknown[];
        const took = performance.now() - t0;
        if (round === 0) first.get(search.name)!.push(took);
        if (round >= warmup) ms.get(search.name)!.push(took);
        if (!rows.has(search.name)) rows.set(search.name, result.length);
      }
    }
  }
  const floor: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await db.raw('select 1');
    floor.push(performance.now() - t0);
  }
  return {
    timings: new Map(SEARCHES.map((s) => [s.name, timingOf(ms.get(s.name)!, rows.get(s.name)!)])),
    firstRun: new Map(SEARCHES.map((s) => [s.name, timingOf(first.get(s.name)!, rows.get(s.name)!)])),
    roundTrip: timingOf(floor, 1),
  };
}

interface PlanTable {
  table_name: string;
  access_type?: string;
  key?: string;
  used_key_parts?: string[];
  rows?: number;
  r_rows?: number;
  r_filtered?: number;
  using_index?: boolean;
  index_condition?: string;
  attached_condition?: string;
}

function tablesIn(node: unknown, out: PlanTable[] = []): PlanTable[] {
  if (node && typeof node === 'object') {
    const table = (node as { table?: PlanTable }).table;
    if (table?.table_name) out.push(table);
    for (const value of Object.values(node)) tablesIn(value, out);
  }
  return out;
}

async function analyze(db: Knex, sql: string, bindings: readonly unknown[]): Promise<{ json: string; tables: PlanTable[]; serverMs: number }> {
  const [[row]] = (await db.raw(`ANALYZE FORMAT=JSON ${sql}`, bindings as Knex.RawBinding[])) as unknown as [Record<string, string>[]];
  const json = Object.values(row!)[0]!;
  const plan = JSON.parse(json) as { query_block: { r_total_time_ms?: number } };
  return { json, tables: tablesIn(plan), serverMs: Number(plan.query_block.r_total_time_ms ?? NaN) };
}

async function medianServerMs(db: Knex, sql: string, bindings: readonly unknown[], runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await analyze(db, sql, bindings)).serverMs);
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

export interface PlanReport {
  fullScan: boolean;
  /** MariaDB's own execution time of the repository's statement (median of a few ANALYZE runs). */
  serverMs: number;
  /** The same statement with FORCE INDEX (contacts_list_by_name), when the plan did not check the search in the index. */
  forcedServerMs?: number;
}

/**
 * Prints MariaDB's ANALYZE of the statement listQuery builds for `q` in `accountId`: the access
 * path, the rows read, whether the words are checked in the index (index condition pushdown) or
 * on each row after a primary-key lookup, and any full scan (access type ALL or index). When the
 * words are checked on the rows, it also times, as a labelled what-if, the same SQL with
 * FORCE INDEX: the figure a hint would give, for deciding whether the statement needs one.
 */
export async function printPlan(db: Knex, label: string, accountId: number, q: string): Promise<PlanReport> {
  const { sql, bindings } = new ContactRepository().listQuery(db, listQueryOf(accountId, q)).toSQL().toNative();
  const { json, tables } = await analyze(db, sql, bindings);
  const fullScan = tables.some((t) => t.access_type === 'ALL' || t.access_type === 'index');
  const words = /search like/i.test(sql);
  const inIndex = tables.some((t) => t.using_index || /search like/i.test(t.index_condition ?? ''));
  console.log(`\n-- ${label} (q=${JSON.stringify(q)})\n   ${sql}\n   bindings: ${JSON.stringify(bindings)}`);
  for (const t of tables) {
    console.log(`   ${t.table_name}: ${t.access_type} on ${t.key} (${t.used_key_parts?.join(', ')}), rows estimated ${t.rows}, read ${t.r_rows}, kept ${Number(t.r_filtered).toFixed(2)}%` +
      (t.index_condition ? `\n     index condition: ${t.index_condition}` : '') + (t.attached_condition ? `\n     condition on the rows: ${t.attached_condition}` : ''));
  }
  const serverMs = await medianServerMs(db, sql, bindings, 5);
  console.log(`   ${fullScan ? 'FULL SCAN' : 'no full table or index scan'}; ${/"(filesort|read_sorted_file)"/.test(json) ? 'SORTS (filesort)' : 'read in index order, no sort'}` +
    `${words ? `; words checked ${inIndex ? 'in the index' : 'on each row, after a primary-key lookup'}` : ''}; server time ${serverMs.toFixed(2)} ms (median of 5)`);
  if (!words || inIndex || /force index/i.test(sql)) return { fullScan, serverMs };
  const forced = sql.replace(/from `contacts`/i, 'from `contacts` force index (`contacts_list_by_name`)');
  const forcedServerMs = await medianServerMs(db, forced, bindings, 5);
  const forcedPlan = (await analyze(db, forced, bindings)).tables[0];
  console.log(`   what-if, not the repository's statement: the same with FORCE INDEX (contacts_list_by_name): ${forcedPlan?.access_type}, ` +
    `${forcedPlan?.index_condition ? 'words checked in the index' : 'words checked on the rows'}, server time ${forcedServerMs.toFixed(2)} ms (median of 5)`);
  return { fullScan, serverMs, forcedServerMs };
}
