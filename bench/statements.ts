/**
 * bench/statements: what each statement of a contacts page view costs MariaDB and Node, apart
 * from HTTP. Needs `portal_bench` as `bench/contacts-list.ts` seeds it (run that first).
 *
 *   npx tsx bench/statements.ts                  # every statement, 8 connections
 *   BENCH_CONNECTIONS=1 npx tsx bench/statements.ts first,mari
 *
 * The exact SQL the portal sends (the member statement of `MemberContextRepository`, the pages of
 * `ContactRepository.listQuery`), run as prepared statements like the portal runs them, by
 * BENCH_CONNECTIONS (8) connections at once, BENCH_EXECUTIONS (800) per round, 4 interleaved
 * rounds after a warm-up. Prints per execution: this process's CPU, `mariadbd`'s CPU (from
 * /proc, on the same machine) and the wall time.
 */
import knexFactory from 'knex';
import mysql from 'mysql2/promise';
import { sessionWithMemberSql } from '../server/accounts/member-context.repository';
import { ContactRepository, type ListQuery } from '../server/contacts/contacts.repository';
import { parseSearch } from '../server/contacts/search-terms';
import { databaseCpuMs } from './database-cpu';

const server = new URL(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test');
server.pathname = '/portal_bench';
const URL_ = server.toString();
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 800);
const ROUNDS = 4;

const db = knexFactory({ client: 'mysql2', connection: URL_ });
const connections = await Promise.all(Array.from({ length: CONNECTIONS }, () => mysql.createConnection({ uri: URL_, supportBigNumbers: true, timezone: 'Z', charset: 'utf8mb4' })));

const account = await db('accounts').orderBy('active_count', 'desc').first();
if (!account || account.active_count < 10_000) throw new Error('portal_bench is not seeded: run npx tsx bench/contacts-list.ts first');
const repo = new ContactRepository();
const query = (q: string, page: number, after?: ListQuery['after']): ListQuery => ({
  accountId: account.id, status: 'active', terms: parseSearch(q), sort: 'name', offset: after ? 0 : (page - 1) * 25, limit: 25, after,
});
const page199 = await repo.list(db, query('', 199));
const last = page199[24]!;
const statement = async (q: ListQuery) => {
  const { sql, bindings } = (await repo.listQuery(db, q)).statement.toSQL().toNative();
  return { sql, bindings: bindings as unknown[] };
};
// A session row shaped as connect-session-knex writes it, signed in as the account's owner.
const owner = await db('contacts').where({ id: account.owner_contact_id }).first();
const sid = `bench-statements-${process.pid}`;
await db('sessions').insert({ sid, expired: new Date(Date.now() + 3_600_000), sess: JSON.stringify({ cookie: {}, passport: { user: { id: owner.user_id } } }) });

const statements: Record<string, { sql: string; bindings: unknown[] }> = {
  member: { sql: sessionWithMemberSql(db), bindings: [account.id, sid, new Date()] },
  first: await statement(query('', 1)),
  next200: await statement(query('', 200, { id: Number(last.id), name: String(last.name) })),
  typed200: await statement(query('', 200)),
  silva: await statement(query('silva', 1)),
  mari: await statement(query('mari', 1)),
  mariaSilva: await statement(query('maria silva', 1)),
  cpf: await statement(query('553.092', 1)),
  select1: { sql: 'select 1', bindings: [] },
};
const only = process.argv[2]?.split(',');
const chosen = Object.entries(statements).filter(([name]) => !only || only.includes(name));

const totals = new Map(chosen.map(([name]) => [name, { node: 0, db: 0, wall: 0 }]));
const runAll = (sql: string, bindings: unknown[], n: number) =>
  Promise.all(connections.map(async (c) => {
    for (let i = 0; i < n / CONNECTIONS; i++) await c.execute(sql, bindings as never);
  }));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, s] of chosen) {
    await runAll(s.sql, s.bindings, CONNECTIONS * 5);
    const cpu0 = process.cpuUsage();
    const db0 = databaseCpuMs();
    const wall0 = performance.now();
    await runAll(s.sql, s.bindings, EXECUTIONS);
    const cpu = process.cpuUsage(cpu0);
    const t = totals.get(name)!;
    t.node += (cpu.user + cpu.system) / 1000;
    t.db += databaseCpuMs() - db0;
    t.wall += performance.now() - wall0;
  }
}
console.log(`statements of a contacts page view: ${CONNECTIONS} connections, ${ROUNDS} x ${EXECUTIONS} executions each (µs per execution)`);
console.log('statement    Node CPU  MariaDB CPU   wall');
const per = (ms: number) => ((ms * 1000) / (ROUNDS * EXECUTIONS)).toFixed(0);
for (const [name, t] of totals) console.log(`${name.padEnd(12)} ${per(t.node).padStart(8)} ${per(t.db).padStart(12)} ${per(t.wall).padStart(6)}`);

await db('sessions').where({ sid }).delete();
await Promise.all(connections.map((c) => c.end()));
await db.destroy();
