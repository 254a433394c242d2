/**
 * bench/contacts-list: the contacts list page under load, on MariaDB/MySQL.
 *
 *   npx tsx bench/contacts-list.ts
 *
 * 1. Creates the database `portal_bench` (DROP + CREATE; nothing else is dropped), runs the
 *    migrations through createPortal and seeds 1,000 small accounts plus one account with 100,000
 *    contacts (bulk INSERTs in transactions of 5,000 rows, search terms from searchTermsOf).
 * 2. Prints the plan (MariaDB ANALYZE = EXPLAIN + actual rows) of the exact SQL the repository
 *    generates for every scenario and fails on a full scan of a table.
 * 3. Benchmarks, with autocannon (32 connections, BENCH_SECONDS each), the real portal, logged in
 *    as the big account's primary administrator, on several list URLs, each right after the
 *    "ceiling" (bare Express + mysql2 + EJS rendering 25 rows of one indexed query).
 *
 * Each server runs in a child process (this file with `--serve portal|ceiling`), so the load
 * generator does not share an event loop with the server it measures.
 *
 * Environment: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/test: only the server is
 * used), BENCH_SECONDS (20), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (32), BENCH_SESSIONS
 * (how many logins the connections share, default 32: one browser session per connection),
 * BENCH_WORKERS (node:cluster processes per server, default 1, the same for both servers),
 * BENCH_SLICES (4: the ceiling and the portal alternate in that many stretches per scenario),
 * BENCH_ONLY (comma-separated scenario names), BENCH_SKIP_SEED=1 (reuse portal_bench as seeded),
 * BENCH_CPU_PROF=<dir> (the server child writes a V8 CPU profile there), BENCH_LIGHT_CONNECTIONS=<n>
 * (a second pass per scenario with n connections: latency without the queue of 32).
 * (autocannon's overallRate sends each second's quota in a burst, so it cannot show an open-loop p99.)
 */
import { fork, type ChildProcess } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { cnpj, cpf } from 'cpf-cnpj-validator';
import knexFactory, { type Knex } from 'knex';
import { loadConfig } from '../server/config';
import { databaseCpuMs } from './database-cpu';
import { FREQUENT_WORD_MIN } from '../server/contacts/contact-search';
import { ContactRepository } from '../server/contacts/contacts.repository';
import { SearchIndexRepository, type WordCount } from '../server/contacts/search-index.repository';
import { PAGE_SIZE } from '../server/contacts/contacts.service';
import { validatePhone } from '../server/contacts/identity';
import { countedPrefixesOf, fold, parseSearch, searchTermsOf } from '../server/contacts/search-terms';
import { createPortal } from '../server/portal';
import { hashPassword } from '../server/users/passwords';

const DB_NAME = 'portal_bench';
const SERVER_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
/** Alternating stretches of ceiling and portal load per scenario (see measurePair). */
const SLICES = Math.max(1, Number(process.env.BENCH_SLICES ?? 4));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SESSIONS = Math.max(1, Number(process.env.BENCH_SESSIONS ?? CONNECTIONS));
const WORKERS = Math.max(1, Number(process.env.BENCH_WORKERS ?? 1));
/** Optional second pass per scenario with few connections: service time without the queue of 32. */
const LIGHT = Number(process.env.BENCH_LIGHT_CONNECTIONS ?? 0);
const BIG_CONTACTS = 100_000;
const OTHER_ACCOUNTS = 1_000;
const BATCH = 5_000;
const PASSWORD = 'bench password 2026';
const GOAL_RATIO = 0.5;
const GOAL_P99_MS = 50;

const benchUrl = (() => {
  const u = new URL(SERVER_URL);
  u.pathname = `/${DB_NAME}`;
  return u.toString();
})();

/** What the portal child and the seeding share: the same config the app reads in production. */
const portalEnv: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_ENV: 'production',
  DATABASE_URL: benchUrl,
  SESSION_SECRET: process.env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
  LOG_LEVEL: 'silent',
  // Production cookies are `Secure`: the bench speaks plain HTTP as a TLS-terminating proxy
  // would, saying so with X-Forwarded-Proto (see HEADERS).
  TRUST_PROXY: 'true',
  HOST: '127.0.0.1',
  PORT: '0',
};
const HEADERS = { 'x-forwarded-proto': 'https', 'accept-language': 'pt-BR,pt;q=0.9', accept: 'text/html' };

// ---------------------------------------------------------------------------------------------
// Child process: one server under test
// ---------------------------------------------------------------------------------------------

async function serve(kind: string): Promise<void> {
  if (WORKERS > 1 && cluster.isPrimary) return servePrimary();
  let server: http.Server;
  if (kind === 'portal') {
    const portal = await createPortal(loadConfig(process.env));
    server = http.createServer(portal.app);
  } else if (kind === 'ceiling') {
    server = await ceilingServer();
  } else {
    throw new Error(`unknown server kind ${kind}`);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  process.on('message', (msg) => {
    if (msg === 'cpu') return process.send!({ cpu: process.cpuUsage() });
    if (msg !== 'stop') return;
    // Requests still queued when the load stops are simply dropped with the process (closing
    // the pool first would only make them fail noisily). Exiting writes the --cpu-prof profile.
    server.closeAllConnections();
    process.exit(0);
  });
  process.send!({ port });
}

/**
 * BENCH_WORKERS > 1: node:cluster workers sharing one port (DESIGN §6: app processes are
 * stateless). Started one after the other; CPU time is summed over the workers.
 */
async function servePrimary(): Promise<void> {
  const workers: Worker[] = [];
  let port = 0;
  for (let i = 0; i < WORKERS; i++) {
    const worker = cluster.fork();
    port = await new Promise<number>((resolve) => worker.once('message', (m: { port: number }) => resolve(m.port)));
    workers.push(worker);
  }
  const ask = (w: Worker) =>
    new Promise<NodeJS.CpuUsage>((resolve) => {
      w.once('message', (m: { cpu: NodeJS.CpuUsage }) => resolve(m.cpu));
      w.send('cpu');
    });
  process.on('message', async (msg) => {
    if (msg === 'cpu') {
      const all = [process.cpuUsage(), ...(await Promise.all(workers.map(ask)))];
      return process.send!({ cpu: { user: all.reduce((a, c) => a + c.user, 0), system: all.reduce((a, c) => a + c.system, 0) } });
    }
    if (msg !== 'stop') return;
    await Promise.all(workers.map((w) => new Promise((resolve) => (w.once('exit', resolve), w.send('stop')))));
    process.exit(0);
  });
  process.send!({ port });
}

/**
 * The ceiling for this stack: Express 5 + a mysql2 pool of 32 + EJS, no session, no auth, one
 * indexed query (a prepared statement), 25 rows in a table like the portal's (cheap string masks instead of the
 * libraries' formatters: this is the floor of the work a list page must do).
 */
async function ceilingServer() {
  const express = (await import('express')).default;
  const mysql = (await import('mysql2/promise')).default;
  const pool = mysql.createPool({ uri: benchUrl, connectionLimit: 32, charset: 'utf8mb4', timezone: 'Z' });
  const app = express();
  app.set('view engine', 'ejs');
  app.set('views', path.join(import.meta.dirname, 'views'));
  app.enable('view cache');
  const profiles: Record<string, string> = { administrator: 'Administrador', member: 'Membro', observer: 'Observador' };
  const cpfMask = (d: string | null) => (d && d.length === 11 ? `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6, 9)}-${d.slice(9)}` : d ?? '');
  const phoneMask = (area: string | null, n: string | null) => (n ? `(${area ?? ''}) ${n.slice(0, -4)}-${n.slice(-4)}` : '');
  app.get('/accounts/:accountId/contacts', async (req, res) => {
    const accountId = Number(req.params.accountId);
    // Prepared, like the portal's per-request reads: the best this stack does for one query.
    const [rows] = await pool.execute(
      'SELECT id, name, email, country, document_type, document_number, area_code, phone, status, profile, user_id, created_at FROM contacts WHERE account_id = ? AND status = ? ORDER BY name, id LIMIT 25',
      [accountId, 'active'],
    );
    res.render('ceiling', { rows, base: `/accounts/${accountId}/contacts`, profiles, cpf: cpfMask, phone: phoneMask });
  });
  return http.createServer(app);
}

interface Running {
  url: string;
  /** CPU time (user + system) the server process has used so far, in ms. */
  cpuMs: () => Promise<number>;
  stop: () => Promise<void>;
}

function startServer(kind: 'portal' | 'ceiling', env: NodeJS.ProcessEnv): Promise<Running> {
  const execArgv = [...process.execArgv];
  if (process.env.BENCH_CPU_PROF) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`);
  const child: ChildProcess = fork(import.meta.filename, ['--serve', kind], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with code ${code}`)));
    child.once('message', (msg) => {
      const { port } = msg as { port: number };
      child.removeAllListeners('exit');
      resolve({
        url: `http://127.0.0.1:${port}`,
        cpuMs: () =>
          new Promise<number>((done) => {
            child.once('message', (m) => {
              const { cpu } = m as { cpu: NodeJS.CpuUsage };
              done((cpu.user + cpu.system) / 1000);
            });
            child.send('cpu');
          }),
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.send('stop');
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32): the same data on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!,
  };
}
const rnd = prng(20261123);

const FIRST_NAMES: readonly string[] = [
  'Maria', 'Ana', 'Francisca', 'Antônia', 'Adriana', 'Juliana', 'Márcia', 'Fernanda', 'Patrícia', 'Aline', 'Sandra', 'Camila',
  'Amanda', 'Bruna', 'Jéssica', 'Letícia', 'Júlia', 'Luciana', 'Vanessa', 'Mariana', 'Gabriela', 'Vera', 'Vitória', 'Larissa',
  'Cláudia', 'Beatriz', 'Luana', 'Rita', 'Sônia', 'Renata', 'Eliane', 'Conceição', 'Raimunda', 'Josefa', 'Tatiane', 'Simone',
  'Carla', 'Débora', 'Daniela', 'Natália', 'Isabela', 'Lívia', 'Heloísa', 'Cecília', 'Valentina', 'Manuela',
  'José', 'João', 'Antônio', 'Francisco', 'Carlos', 'Paulo', 'Pedro', 'Lucas', 'Luiz', 'Marcos', 'Luís', 'Gabriel', 'Rafael',
  'Daniel', 'Marcelo', 'Bruno', 'Eduardo', 'Felipe', 'Raimundo', 'Rodrigo', 'Manoel', 'Mateus', 'André', 'Fernando', 'Fábio',
  'Leonardo', 'Gustavo', 'Guilherme', 'Leandro', 'Tiago', 'Anderson', 'Ricardo', 'Márcio', 'Jorge', 'Sebastião', 'Alexandre',
  'Roberto', 'Edson', 'Diego', 'Vítor', 'Sérgio', 'Cláudio', 'Matheus', 'Thiago', 'Geraldo', 'Adriano', 'Luciano', 'Júlio',
  'Renato', 'Vinícius', 'Rogério', 'Samuel', 'Ronaldo', 'Mário', 'Flávio', 'Igor', 'Douglas', 'Davi', 'Caio', 'Heitor',
  'Otávio', 'Benedito', 'Arthur', 'Enzo', 'Miguel', 'Henrique', 'Murilo', 'Wellington',
];

// [surname, weight, connector]: Silva, Santos, Oliveira and Souza are by far the most common.
const SURNAMES: [string, number, string][] = [
  ['Silva', 9, 'da'], ['Santos', 7, 'dos'], ['Oliveira', 6, 'de'], ['Souza', 5, 'de'], ['Rodrigues', 3, ''], ['Ferreira', 3, ''],
  ['Alves', 3, ''], ['Pereira', 3, ''], ['Lima', 3, ''], ['Gomes', 2, ''], ['Costa', 2, 'da'], ['Ribeiro', 2, ''], ['Martins', 2, ''],
  ['Carvalho', 2, 'de'], ['Almeida', 2, 'de'], ['Lopes', 1, ''], ['Soares', 1, ''], ['Fernandes', 1, ''], ['Vieira', 1, ''],
  ['Barbosa', 1, ''], ['Rocha', 1, 'da'], ['Dias', 1, ''], ['Nascimento', 1, 'do'], ['Andrade', 1, 'de'], ['Moreira', 1, ''],
  ['Nunes', 1, ''], ['Marques', 1, ''], ['Machado', 1, ''], ['Mendes', 1, ''], ['Freitas', 1, 'de'], ['Cardoso', 1, ''],
  ['Ramos', 1, ''], ['Gonçalves', 1, ''], ['Santana', 1, ''], ['Teixeira', 1, ''], ['Araújo', 1, ''], ['Cavalcanti', 1, ''],
  ['Monteiro', 1, ''], ['Moura', 1, 'de'], ['Correia', 1, ''], ['Pinto', 1, ''], ['Batista', 1, ''], ['Campos', 1, ''],
  ['Azevedo', 1, 'de'], ['Brandão', 1, ''], ['Guimarães', 1, ''], ['Magalhães', 1, ''], ['Conceição', 1, 'da'],
  ['Assunção', 1, 'da'], ['Figueiredo', 1, ''], ['Peixoto', 1, ''], ['Sampaio', 1, ''], ['Xavier', 1, ''], ['Castro', 1, 'de'],
  ['Falcão', 1, ''], ['Medeiros', 1, ''], ['Pires', 1, ''], ['Reis', 1, 'dos'], ['Borges', 1, ''], ['Prado', 1, 'do'],
];
const SURNAME_BAG = SURNAMES.flatMap((s) => Array<[string, number, string]>(s[1]).fill(s));
const DDDS = ['11', '11', '11', '11', '21', '21', '31', '41', '51', '61', '71', '81', '85', '19', '27', '48', '62', '92', '98', '13'];
const FREE_MAIL = ['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com.br', 'uol.com.br', 'bol.com.br'];

function personName(): { name: string; first: string; last: string } {
  const first = rnd.pick(FIRST_NAMES);
  const parts: string[] = [first];
  if (rnd.next() < 0.25) parts.push(rnd.pick(FIRST_NAMES.filter((n) => n !== first)));
  const s1 = rnd.pick(SURNAME_BAG);
  if (s1[2] && rnd.next() < 0.5) parts.push(s1[2]);
  parts.push(s1[0]);
  let last = s1[0];
  if (rnd.next() < 0.6) {
    const s2 = rnd.pick(SURNAME_BAG);
    if (s2[0] !== s1[0]) {
      parts.push(s2[0]);
      last = s2[0];
    }
  }
  return { name: parts.join(' '), first, last };
}

/** A valid CPF (11 digits) from a 9-digit base: the check digits computed as the Receita does. */
export function cpfFromBase(base: number): string {
  const d = String(base).padStart(9, '0').split('').map(Number);
  const check = (digits: number[]) => {
    const sum = digits.reduce((acc, n, i) => acc + n * (digits.length + 1 - i), 0);
    const r = sum % 11;
    return r < 2 ? 0 : 11 - r;
  };
  d.push(check(d));
  d.push(check(d));
  return d.join('');
}

/** Distinct CPFs: bases walk a permutation of 0..999,999,999 (the multiplier is coprime with 10). */
let cpfCounter = 0;
function nextCpf(): string {
  for (;;) {
    const base = (cpfCounter++ * 387_420_489 + 12_345_678) % 1_000_000_000;
    const doc = cpfFromBase(base);
    if (cpf.isValid(doc)) return doc; // skips the library's blacklist (111.111.111-11, …)
  }
}

function nextPhone(): { area_code: string; phone: string } {
  for (;;) {
    const area = rnd.pick(DDDS);
    const mobile = rnd.next() < 0.8;
    const digits = (n: number) => Array.from({ length: n }, () => rnd.int(10)).join('');
    const phone = mobile ? `9${6 + rnd.int(4)}${digits(7)}` : `${2 + rnd.int(4)}${digits(7)}`;
    const v = validatePhone('BR', area, phone);
    if (v.ok) return { area_code: v.areaCode!, phone: v.number };
  }
}

const emailsTaken = new Map<string, number>();
function emailOf(first: string, last: string, domain: string): string {
  const local = `${fold(first)}.${fold(last)}`.replace(/[^a-z0-9.]/g, '');
  const n = (emailsTaken.get(`${local}@${domain}`) ?? 0) + 1;
  emailsTaken.set(`${local}@${domain}`, n);
  return `${local}${n > 1 ? n : ''}@${domain}`;
}

type Status = 'active' | 'pending' | 'deactivated';
interface ContactSeed {
  id: number;
  account_id: number;
  user_id: number | null;
  status: Status;
  profile: string;
  name: string;
  email: string;
  country: string;
  document_type: string;
  document_number: string;
  area_code: string;
  phone: string;
  consulting_authorized: boolean;
  created_by_contact_id: number | null;
  created_at: Date;
  updated_at: Date;
  deactivated_at: Date | null;
}

let nextContactId = 1;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function contactSeed(accountId: number, domain: string, createdBy: number | null, over: Partial<ContactSeed> = {}): ContactSeed {
  const { name, first, last } = personName();
  const r = rnd.next();
  const status: Status = r < 0.85 ? 'active' : r < 0.95 ? 'pending' : 'deactivated';
  const created = new Date(NOW - rnd.int(3 * 365 * 86_400) * 1000);
  const p = rnd.next();
  return {
    id: nextContactId++,
    account_id: accountId,
    user_id: null,
    status,
    profile: p < 0.05 ? 'administrator' : p < 0.85 ? 'member' : p < 0.93 ? 'observer_download' : 'observer',
    name,
    email: emailOf(first, last, rnd.next() < 0.7 ? domain : rnd.pick(FREE_MAIL)),
    country: 'BR',
    document_type: 'cpf',
    document_number: nextCpf(),
    ...nextPhone(),
    consulting_authorized: rnd.next() < 0.3,
    created_by_contact_id: createdBy,
    created_at: created,
    updated_at: created,
    deactivated_at: status === 'deactivated' ? new Date(created.getTime() + 86_400_000) : null,
    ...over,
  };
}

async function insertContacts(db: Knex, rows: ContactSeed[]): Promise<void> {
  const words = new Map<string, WordCount>();
  const termsOf = new Map<ContactSeed, string[]>();
  for (const c of rows) {
    const terms = searchTermsOf(c);
    termsOf.set(c, terms);
    for (const word of countedPrefixesOf(terms)) {
      const key = `${c.account_id} ${word}`;
      if (!words.has(key)) words.set(key, { account_id: c.account_id, word, contacts: 0 });
      words.get(key)!.contacts++;
    }
  }
  await new SearchIndexRepository().addWordCounts(db, [...words.values()]);
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    const terms = chunk.flatMap((c) => termsOf.get(c)!.map((term) => ({ account_id: c.account_id, term, contact_id: c.id, status: c.status, name: c.name })));
    await db.transaction(async (trx) => {
      await trx('contacts').insert(chunk);
      // As SearchIndexRepository.write: terms equal only to MySQL's collation keep the first.
      for (let j = 0; j < terms.length; j += BATCH) await trx('contact_search_terms').insert(terms.slice(j, j + BATCH)).onConflict().ignore();
    });
  }
}

function countsOf(rows: ContactSeed[]) {
  const c = { active_count: 0, pending_count: 0, deactivated_count: 0 };
  for (const r of rows) c[`${r.status}_count`]++;
  return c;
}

interface Seeded {
  accountId: number;
  ownerEmail: string;
  sample: { cpfPrefix: string; emailPrefix: string; contactName: string };
  counts: { active_count: number; pending_count: number; deactivated_count: number };
}

async function seed(db: Knex): Promise<Seeded> {
  const started = Date.now();
  const now = new Date(NOW);

  // 1,000 other accounts with 2 to 8 contacts each (the first is the primary administrator).
  const accounts: Record<string, unknown>[] = [];
  const small: ContactSeed[] = [];
  for (let a = 1; a <= OTHER_ACCOUNTS; a++) {
    const domain = `empresa${a}.com.br`;
    const contacts: ContactSeed[] = [];
    const n = 2 + rnd.int(7);
    for (let i = 0; i < n; i++) {
      contacts.push(contactSeed(a, domain, contacts[0]?.id ?? null, i === 0 ? { status: 'active', profile: 'administrator' } : {}));
    }
    small.push(...contacts);
    accounts.push({ id: a, name: `Empresa ${a} Ltda.`, document: cnpj.generate(), seat_limit: 99, owner_contact_id: contacts[0]!.id, ...countsOf(contacts), created_at: now, updated_at: now });
  }
  const bigId = OTHER_ACCOUNTS + 1;
  accounts.push({ id: bigId, name: 'Companhia Brasileira de Tecnologia S.A.', document: cnpj.generate(), seat_limit: 150_000, created_at: now, updated_at: now });
  for (let i = 0; i < accounts.length; i += BATCH) await db('accounts').insert(accounts.slice(i, i + BATCH));
  await insertContacts(db, small);

  // The big account: its primary administrator (who logs in) and 99,999 more contacts.
  const ownerEmail = 'administradora@cbt.com.br';
  const userId = (await db('users').insert({ email: ownerEmail, name: 'Ana Administradora', password_hash: await hashPassword(PASSWORD), locale: 'pt-BR', verified_at: now, created_at: now, updated_at: now }))[0] as number;
  const owner = contactSeed(bigId, 'cbt.com.br', null, { name: 'Ana Administradora', email: ownerEmail, user_id: userId, status: 'active', profile: 'administrator' });
  const big: ContactSeed[] = [owner];
  while (big.length < BIG_CONTACTS) big.push(contactSeed(bigId, 'cbt.com.br', owner.id));
  await insertContacts(db, big);
  const counts = countsOf(big);
  await db('accounts').where({ id: bigId }).update({ owner_contact_id: owner.id, ...counts });

  // The counters must equal the rows (DESIGN §3): checked for every account.
  const real = await db('contacts').select('account_id', 'status').count({ n: '*' }).groupBy('account_id', 'status');
  const byAccount = new Map<number, Record<string, number>>();
  for (const r of real as { account_id: number; status: Status; n: number }[]) {
    const m = byAccount.get(r.account_id) ?? { active_count: 0, pending_count: 0, deactivated_count: 0 };
    m[`${r.status}_count`] = Number(r.n);
    byAccount.set(r.account_id, m);
  }
  for (const a of await db('accounts').select('id', 'active_count', 'pending_count', 'deactivated_count')) {
    const m = byAccount.get(a.id)!;
    if (m.active_count !== a.active_count || m.pending_count !== a.pending_count || m.deactivated_count !== a.deactivated_count) {
      throw new Error(`counters of account ${a.id} do not match its rows`);
    }
  }
  await db.raw('ANALYZE TABLE accounts, contacts, contact_search_terms, contact_search_words, users');

  const terms = (await db('contact_search_terms').count({ n: '*' }).first())!.n;
  console.log(`seeded ${OTHER_ACCOUNTS + 1} accounts, ${small.length + big.length} contacts, ${terms} search terms in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { accountId: bigId, ownerEmail, sample: sampleOf(big), counts };
}

/** Search inputs that match: a CPF prefix typed with mask, an e-mail prefix with "@". */
function sampleOf(big: ContactSeed[]): Seeded['sample'] {
  const c = big.find((r, i) => i > BIG_CONTACTS / 2 && r.status === 'active' && r.email.endsWith('@cbt.com.br'))!;
  const d = c.document_number;
  return { cpfPrefix: `${d.slice(0, 3)}.${d.slice(3, 6)}`, emailPrefix: c.email.slice(0, c.email.indexOf('@') + 4), contactName: c.name };
}

async function seededFromDb(db: Knex): Promise<Seeded> {
  const a = await db('accounts').orderBy('active_count', 'desc').first();
  const owner = await db('contacts').where({ id: a.owner_contact_id }).first();
  const rows = await db('contacts').where({ account_id: a.id }).orderBy('id').select();
  return { accountId: a.id, ownerEmail: owner.email, sample: sampleOf(rows), counts: { active_count: a.active_count, pending_count: a.pending_count, deactivated_count: a.deactivated_count } };
}

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

interface Scenario {
  name: string;
  label: string;
  /** `after`: the cursor the page before carries in its "next" link (filled in from the data). */
  query: { q?: string; page?: number; viaLink?: boolean; viaPrevLink?: boolean; after?: { id: number; name: string }; before?: { id: number; name: string } };
}

async function explain(db: Knex, accountId: number, scenarios: Scenario[]): Promise<boolean> {
  const repo = new ContactRepository();
  let ok = true;
  console.log('\n== Plans: MariaDB ANALYZE (EXPLAIN + actual rows) of the SQL ContactRepository.list generates ==');
  const analyze = async (label: string, statement: Knex.QueryBuilder | [string, Knex.Value[]]) => {
    const { sql, bindings } = Array.isArray(statement) ? { sql: statement[0], bindings: statement[1] } : statement.toSQL().toNative();
    const [plan] = (await db.raw(`ANALYZE ${sql}`, bindings as Knex.RawBinding[])) as [Record<string, unknown>[]];
    console.log(`\n-- ${label}\n${sql}\n   bindings: ${JSON.stringify(bindings)}`);
    const cols = ['id', 'select_type', 'table', 'type', 'key', 'key_len', 'ref', 'rows', 'r_rows', 'Extra'];
    const table = plan.map((r) => cols.map((c) => String(r[c] ?? '')));
    const widths = cols.map((c, i) => Math.max(c.length, ...table.map((r) => r[i]!.length)));
    const line = (cells: string[]) => '   ' + cells.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
    console.log(line(cols));
    for (const r of table) console.log(line(r));
    // A full scan of a real table fails; `<subqueryN>`/`<derivedN>`/`<unionN>` are the small
    // results the optimizer built from index ranges, scanning them is expected.
    const scans = plan.filter((r) => !String(r.table).startsWith('<') && (r.type === 'ALL' || r.type === 'index'));
    for (const r of plan.filter((row) => String(row.table).startsWith('<') && row.type === 'ALL')) {
      console.log(`   note: ${r.table} type ALL is the read of a materialized intermediate result (${r.r_rows} rows), not a table scan`);
    }
    if (scans.length) {
      ok = false;
      console.log(`   FAIL: full ${scans.map((r) => `${r.type === 'ALL' ? 'table' : 'index'} scan of ${r.table}`).join(', ')}`);
    } else {
      console.log('   OK: index access only (no full table or index scan)');
    }
  };
  for (const s of scenarios) {
    const page = s.query.page ?? 1;
    const terms = parseSearch(s.query.q ?? '');
    if (s.query.viaLink) {
      // Where page - 1 ends: what its "next" link carries (ContactService.list builds it the same way).
      const before = await repo.list(db, { accountId, status: 'active', terms, sort: 'name', offset: (page - 2) * PAGE_SIZE, limit: PAGE_SIZE });
      const last = before[PAGE_SIZE - 1]!;
      s.query.after = { id: Number(last.id), name: String(last.name) };
    }
    if (s.query.viaPrevLink) {
      // Where page + 1 begins: what its "previous" link carries.
      const next = await repo.list(db, { accountId, status: 'active', terms, sort: 'name', offset: page * PAGE_SIZE, limit: PAGE_SIZE });
      s.query.before = { id: Number(next[0]!.id), name: String(next[0]!.name) };
    }
    const byCursor = s.query.after || s.query.before;
    const query = { accountId, status: 'active' as const, terms, sort: 'name' as const, offset: byCursor ? 0 : (page - 1) * PAGE_SIZE, limit: PAGE_SIZE, after: s.query.after, before: s.query.before };
    // Every statement the list runs: a search of several words plans with the account's frequent prefixes (read once a minute per process).
    if (query.terms.length > 1) await analyze(`${s.label}: frequent words (once a minute)`, db('contact_search_words').select('word', 'contacts').where('account_id', accountId).where('contacts', '>=', FREQUENT_WORD_MIN));
    await analyze(s.label, (await repo.listQuery(db, query)).statement);
  }
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------------

const setCookies = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]!);

/** Logs in like a browser: GET /login for the session cookie and CSRF token, POST the form. */
async function login(base: string, email: string): Promise<string> {
  const page = await fetch(`${base}/login`, { headers: HEADERS, redirect: 'manual' });
  const html = await page.text();
  const cookie = setCookies(page).find((c) => c.startsWith('portal.sid='));
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (page.status !== 200 || !cookie || !token) throw new Error(`GET /login: status ${page.status}, cookie ${Boolean(cookie)}, token ${Boolean(token)}`);
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...HEADERS, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email, password: PASSWORD }).toString(),
  });
  const session = setCookies(res).find((c) => c.startsWith('portal.sid='));
  if (res.status !== 303 || !session) throw new Error(`POST /login: status ${res.status} (${(await res.text()).slice(0, 200)})`);
  return session;
}

interface Check {
  status: number;
  rows: number;
  bytes: number;
}

async function check(url: string, cookie?: string): Promise<Check> {
  const res = await fetch(url, { headers: cookie ? { ...HEADERS, cookie } : HEADERS, redirect: 'manual' });
  const body = await res.text();
  const tbody = /<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(body)?.[1] ?? '';
  return { status: res.status, rows: (tbody.match(/<tr>/g) ?? []).length, bytes: Buffer.byteLength(body) };
}

/** `latencies`, when given, receives every answer's latency in ms (to merge stretches exactly). */
function load(url: string, cookies: string[], seconds: number, connections = CONNECTIONS, latencies?: number[]): Promise<Result> {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration: seconds,
        timeout: 10,
        headers: HEADERS,
        // One session per connection (round-robin over the logins), like separate browsers.
        setupClient: (client) => {
          if (cookies.length) client.setHeaders({ ...HEADERS, cookie: cookies[next++ % cookies.length]! });
          if (latencies) client.on('response', (_status, _bytes, ms) => latencies.push(ms));
        },
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

interface Measured {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  bytes: number;
  rows: number;
  cpuPerRequest: number;
  /** MariaDB's CPU per request (NaN when /proc cannot tell). */
  dbCpuPerRequest: number;
  paced?: { rps: number; p50: number; p99: number };
}

interface Slice {
  latencies: number[];
  requests: number;
  seconds: number;
  cpuMs: number;
  dbMs: number;
  non2xx: number;
  errors: number;
}

/** One stretch of load on one server: what it served, with its CPU and the database's. */
async function slice(server: Running, url: string, cookies: string[], seconds: number): Promise<Slice> {
  const cpuBefore = await server.cpuMs();
  const dbBefore = databaseCpuMs();
  const latencies: number[] = [];
  const r = await load(url, cookies, seconds, CONNECTIONS, latencies);
  return {
    latencies, requests: r['2xx'] + r.non2xx, seconds: r.duration, cpuMs: (await server.cpuMs()) - cpuBefore, dbMs: databaseCpuMs() - dbBefore,
    non2xx: r.non2xx, errors: r.errors + r.timeouts,
  };
}

/** A page both servers show: checked once before the load (status, rows, size). */
async function checked(label: string, url: string, cookie?: string): Promise<Check> {
  const first = await check(url, cookie);
  if (first.status !== 200) throw new Error(`${label}: ${url} answered ${first.status}`);
  // Every scenario finds rows; a page without any would be measuring an empty (cheaper) page.
  if (first.rows === 0) throw new Error(`${label}: ${url} shows no rows in its table`);
  return first;
}

function combine(label: string, page: Check, slices: Slice[]): Measured {
  const sum = (f: (s: Slice) => number) => slices.reduce((n, s) => n + f(s), 0);
  const requests = Math.max(1, sum((s) => s.requests));
  // Percentiles of every answer of every stretch, in whole ms as autocannon reports them.
  const all = Float64Array.from(slices.flatMap((s) => s.latencies)).sort();
  const percentile = (p: number) => (all.length ? Math.round(all[Math.min(all.length - 1, Math.floor((p / 100) * all.length))]!) : 0);
  return {
    label, rps: sum((s) => s.requests) / sum((s) => s.seconds), p50: percentile(50), p99: percentile(99),
    non2xx: sum((s) => s.non2xx), errors: sum((s) => s.errors), bytes: page.bytes, rows: page.rows,
    cpuPerRequest: sum((s) => s.cpuMs) / requests, dbCpuPerRequest: sum((s) => s.dbMs) / requests,
  };
}

const describe = (m: Measured) =>
  `${m.label.padEnd(44)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${String(m.p50).padStart(3)} ms  p99 ${String(m.p99).padStart(4)} ms  ` +
  `non-2xx ${m.non2xx}  errors ${m.errors}  CPU ms/req: server ${m.cpuPerRequest.toFixed(2)}` +
  (Number.isNaN(m.dbCpuPerRequest) ? '' : `, database ${m.dbCpuPerRequest.toFixed(2)}`) + `  (${m.rows} rows, ${(m.bytes / 1024).toFixed(1)} KiB)`;

/**
 * The portal on `path` and the ceiling, in SLICES alternating stretches (ceiling, portal, ceiling,
 * portal…) that add up to SECONDS each: the host's speed moves within seconds, and both servers
 * see the same moments. Requests/s and CPU are summed over the stretches, the percentiles taken
 * over every answer of them.
 */
async function measurePair(label: string, portal: Running, path: string, cookies: string[], ceiling: Running | undefined, ceilingPath: string): Promise<{ portal: Measured; ceiling?: Measured }> {
  const portalUrl = portal.url + path;
  const ceilingUrl = ceiling ? ceiling.url + ceilingPath : '';
  const portalPage = await checked(label, portalUrl, cookies[0]);
  const ceilingPage = ceiling ? await checked('ceiling', ceilingUrl) : undefined;
  const loadBefore = os.loadavg()[0]!;
  if (WARMUP_SECONDS > 0) {
    if (ceiling) await load(ceilingUrl, [], WARMUP_SECONDS);
    await load(portalUrl, cookies, WARMUP_SECONDS);
  }
  const mine: Slice[] = [];
  const theirs: Slice[] = [];
  for (let i = 0; i < SLICES; i++) {
    if (ceiling) theirs.push(await slice(ceiling, ceilingUrl, [], SECONDS / SLICES));
    mine.push(await slice(portal, portalUrl, cookies, SECONDS / SLICES));
  }
  const m = combine(label, portalPage, mine);
  const c = ceiling ? combine('  ceiling (bare express+mysql2+ejs)', ceilingPage!, theirs) : undefined;
  if (c) console.log(describe(c));
  console.log(describe(m));
  console.log(`${''.padEnd(44)} per stretch, req/s: portal ${mine.map((s) => (s.requests / s.seconds).toFixed(0)).join(' ')}` +
    (c ? `; ceiling ${theirs.map((s) => (s.requests / s.seconds).toFixed(0)).join(' ')}` : '') + `  (load avg ${loadBefore.toFixed(1)})`);
  if (LIGHT > 0) {
    const paced = await load(portalUrl, cookies, SECONDS, LIGHT);
    m.paced = { rps: paced.requests.mean, p50: paced.latency.p50, p99: paced.latency.p99 };
    m.non2xx += paced.non2xx;
    m.errors += paced.errors + paced.timeouts;
    console.log(`${''.padEnd(44)} with ${LIGHT} connection(s): ${m.paced.rps.toFixed(0)} req/s  p50 ${m.paced.p50} ms  p99 ${m.paced.p99} ms  non-2xx ${paced.non2xx}`);
  }
  return { portal: m, ceiling: c };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  console.log(`contacts-list bench: ${CONNECTIONS} connections, ${SECONDS} s per scenario (+${WARMUP_SECONDS} s warm-up), ${SESSIONS} session(s), ${WORKERS} server process(es), Node ${process.version}`);
  const admin = knexFactory({ client: 'mysql2', connection: SERVER_URL, pool: { min: 0, max: 1 } });
  const [[version]] = (await admin.raw('SELECT VERSION() AS v')) as [[{ v: string }]];
  console.log(`database server ${version.v}, database ${DB_NAME}; ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (os.loadavg()[0]! > os.cpus().length / 2) console.log('WARNING: the machine is busy with other work: the figures will be low and noisy');
  if (!process.env.BENCH_SKIP_SEED) {
    await admin.raw(`DROP DATABASE IF EXISTS \`${DB_NAME}\``);
    await admin.raw(`CREATE DATABASE \`${DB_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  }
  await admin.destroy();

  // Migrations through the portal itself, then the seed through its knex instance.
  const portal = await createPortal(loadConfig(portalEnv));
  let seeded: Seeded;
  let plansOk: boolean;
  let scenarios: Scenario[];
  try {
    seeded = process.env.BENCH_SKIP_SEED ? await seededFromDb(portal.db) : await seed(portal.db);
    console.log(`big account ${seeded.accountId}: ${seeded.counts.active_count} active, ${seeded.counts.pending_count} pending, ${seeded.counts.deactivated_count} deactivated`);
    scenarios = [
      { name: 'first', label: 'first page', query: {} },
      { name: 'deep', label: 'deep page (page=200 from its "next" link)', query: { page: 200, viaLink: true } },
      { name: 'back', label: 'page 199 from page 200\'s "previous" link', query: { page: 199, viaPrevLink: true } },
      { name: 'deeptyped', label: 'deep page (page=200 typed)', query: { page: 200 } },
      { name: 'name', label: 'name search (q=silva)', query: { q: 'silva' } },
      { name: 'prefix', label: 'name prefix (q=mari)', query: { q: 'mari' } },
      { name: 'name2', label: 'two-word search (q=maria silva)', query: { q: 'maria silva' } },
      { name: 'cpf', label: `CPF prefix (q=${seeded.sample.cpfPrefix})`, query: { q: seeded.sample.cpfPrefix } },
      { name: 'email', label: `e-mail prefix (q=${seeded.sample.emailPrefix})`, query: { q: seeded.sample.emailPrefix } },
    ];
    const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
    if (only?.length) scenarios = scenarios.filter((s) => only.includes(s.name));
    plansOk = await explain(portal.db, seeded.accountId, scenarios);
  } finally {
    await portal.close();
  }

  const base = `/accounts/${seeded.accountId}/contacts`;
  const pathOf = (s: Scenario) => {
    const p = new URLSearchParams();
    if (s.query.q) p.set('q', s.query.q);
    if (s.query.page) p.set('page', String(s.query.page));
    if (s.query.after) p.set('after', `${s.query.after.id}.${s.query.after.name}`);
    if (s.query.before) p.set('before', `${s.query.before.id}.${s.query.before.name}`);
    const qs = p.toString();
    return base + (qs ? `?${qs}` : '');
  };

  console.log('\n== Load ==');
  // The machine is shared (the host's other load moves every figure by up to ±30 % within
  // seconds), so each scenario is measured in alternating stretches with the ceiling (see
  // measurePair), not against one ceiling figure for the whole run.
  const given = process.env.BENCH_CEILING_RPS;
  const ceilingServer = given ? undefined : await startServer('ceiling', { ...portalEnv });
  const givenCeiling: Measured = { label: 'ceiling (given: BENCH_CEILING_RPS)', rows: 25, rps: Number(given), p50: 0, p99: 0, non2xx: 0, errors: 0, bytes: 0, cpuPerRequest: 0, dbCpuPerRequest: NaN };

  const portalServer = await startServer('portal', portalEnv);
  const results: (Measured & { ceiling: Measured })[] = [];
  try {
    const cookies: string[] = [];
    for (let i = 0; i < SESSIONS; i++) cookies.push(await login(portalServer.url, seeded.ownerEmail));
    // The first page after login puts the CSRF token into the session (one write per session).
    for (const c of cookies) await check(portalServer.url + base, c);
    for (const s of scenarios.filter((x) => x.query.viaLink)) {
      // The URL measured must be the one the page before links to.
      const before = await fetch(`${portalServer.url}${base}?page=${s.query.page! - 1}`, { headers: { ...HEADERS, cookie: cookies[0]! } }).then((r) => r.text());
      const href = /<a href="([^"]+)"[^>]* rel="next"/.exec(before)?.[1]?.replace(/&amp;/g, '&');
      if (href !== pathOf(s)) throw new Error(`page ${s.query.page! - 1} links to ${href}, not to the measured ${pathOf(s)}`);
    }
    for (const s of scenarios.filter((x) => x.query.viaPrevLink)) {
      const after = await fetch(`${portalServer.url}${base}?page=${s.query.page! + 1}`, { headers: { ...HEADERS, cookie: cookies[0]! } }).then((r) => r.text());
      const href = /<a href="([^"]+)"[^>]* rel="prev"/.exec(after)?.[1]?.replace(/&amp;/g, '&');
      if (href !== pathOf(s)) throw new Error(`page ${s.query.page! + 1} links back to ${href}, not to the measured ${pathOf(s)}`);
    }
    for (const s of scenarios) {
      const pair = await measurePair(s.label, portalServer, pathOf(s), cookies, ceilingServer, base);
      results.push({ ...pair.portal, ceiling: pair.ceiling ?? givenCeiling });
    }
  } finally {
    await portalServer.stop();
    await ceilingServer?.stop();
  }

  console.log(`\n== Summary (goal: >= ${GOAL_RATIO * 100}% of the ceiling's req/s and p99 < ${GOAL_P99_MS} ms) ==`);
  const paced = LIGHT > 0 ? ` p99 ms with ${LIGHT} conn. |` : '';
  console.log(`| scenario | rows | req/s | p50 ms | p99 ms |${paced} non-2xx | CPU ms/req: server, database | ceiling in the same stretches: req/s, p99 ms, CPU ms/req | vs ceiling | goals |`);
  console.log(`|---|---:|---:|---:|---:|${LIGHT > 0 ? '---:|' : ''}---:|---|---|---:|---|`);
  const pacedCell = (m: Measured) => (LIGHT > 0 ? ` ${m.paced?.p99 ?? ''} |` : '');
  let goalsOk = true;
  let clean = true;
  for (const m of results) {
    const ceiling = m.ceiling;
    clean &&= ceiling.non2xx === 0 && ceiling.errors === 0;
    const ratio = m.rps / ceiling.rps;
    const pass = ratio >= GOAL_RATIO && m.p99 < GOAL_P99_MS;
    goalsOk &&= pass;
    clean &&= m.non2xx === 0 && m.errors === 0;
    const verdict = pass ? 'pass' : `MISS${ratio < GOAL_RATIO ? ' (throughput)' : ''}${m.p99 >= GOAL_P99_MS ? ' (p99)' : ''}`;
    const ceilingCell = `${ceiling.rps.toFixed(0)}, ${ceiling.p99}, ${ceiling.cpuPerRequest.toFixed(2)}, ${ceiling.dbCpuPerRequest.toFixed(2)}`;
    console.log(`| ${m.label} | ${m.rows} | ${m.rps.toFixed(0)} | ${m.p50} | ${m.p99} |${pacedCell(m)} ${m.non2xx} | ${m.cpuPerRequest.toFixed(2)}, ${m.dbCpuPerRequest.toFixed(2)} | ${ceilingCell} | ${(ratio * 100).toFixed(0)}% | ${verdict} |`);
  }
  // A closed loop of N connections has mean latency N / throughput (Little's law).
  console.log(`\nnote: with ${CONNECTIONS} connections, p99 < ${GOAL_P99_MS} ms needs more than ${Math.ceil(CONNECTIONS / (GOAL_P99_MS / 1000))} req/s (mean latency = connections / throughput)`);
  console.log(`\nplans: ${plansOk ? 'index access only' : 'FULL SCAN FOUND'}; responses: ${clean ? 'all 2xx, no errors' : 'NON-2XX OR ERRORS'}; goals: ${goalsOk ? 'met' : 'MISSED'}`);
  if (!clean) throw new Error('some responses were not 2xx (or failed): the figures above are not valid');
  if (!plansOk) process.exitCode = 1;
  if (!goalsOk) process.exitCode = 1;
}

if (process.argv[2] === '--serve') {
  serve(process.argv[3] ?? '').catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
