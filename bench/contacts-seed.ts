/**
 * The product's shape for bench/contacts-list: 20,000 accounts of 25 contacts and one account of
 * 100,000, with Brazilian names, valid CPFs, real DDDs and phones, unique e-mails per account,
 * mostly active contacts, and the `search` and `sort_name` columns as the app writes them.
 * Deterministic (a seeded PRNG): every run seeds the same data.
 */
import { cnpj, cpf } from 'cpf-cnpj-validator';
import type { Knex } from 'knex';
import { validatePhone } from '../server/contacts/identity';
import { fold, searchTextOf, sortNameOf } from '../server/contacts/search-text';
import { hashPassword } from '../server/users/passwords';

export const TYPICAL_ACCOUNTS = 20_000;
export const TYPICAL_CONTACTS = 25;
export const BIG_CONTACTS = 100_000;
export const BIG_ACCOUNT_ID = TYPICAL_ACCOUNTS + 1;
/** Every account owner logs in with it (one argon2id hash for all: hashing 20,001 would take minutes). */
export const PASSWORD = 'bench password 2026';
const ROWS_PER_INSERT = 5_000;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]! };
}
const rnd = prng(20261201);

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

export function personName(): { name: string; first: string; last: string } {
  const first = rnd.pick(FIRST_NAMES);
  const parts = [first];
  if (rnd.next() < 0.25) parts.push(rnd.pick(FIRST_NAMES.filter((n) => n !== first)));
  const s1 = rnd.pick(SURNAME_BAG);
  if (s1[2] && rnd.next() < 0.5) parts.push(s1[2]);
  parts.push(s1[0]);
  let last = s1[0];
  const s2 = rnd.pick(SURNAME_BAG);
  if (rnd.next() < 0.6 && s2[0] !== s1[0]) {
    parts.push(s2[0]);
    last = s2[0];
  }
  return { name: parts.join(' '), first, last };
}

/** A valid CPF from a 9-digit base: the check digits computed as the Receita does. */
function cpfFromBase(base: number): string {
  const d = String(base).padStart(9, '0').split('').map(Number);
  const check = (digits: number[]) => {
    const r = digits.reduce((acc, n, i) => acc + n * (digits.length + 1 - i), 0) % 11;
    return r < 2 ? 0 : 11 - r;
  };
  d.push(check(d));
  d.push(check(d));
  return d.join('');
}

/** Distinct CPFs: the bases walk a permutation of 0..999,999,999 (the multiplier is coprime with 10). */
let cpfCounter = 0;
export function nextCpf(): string {
  for (;;) {
    const doc = cpfFromBase((cpfCounter++ * 387_420_489 + 12_345_678) % 1_000_000_000);
    if (cpf.isValid(doc)) return doc; // skips the library's blacklist (111.111.111-11, …)
  }
}

export function nextPhone(): { area_code: string; phone: string } {
  for (;;) {
    const digits = (n: number) => Array.from({ length: n }, () => rnd.int(10)).join('');
    const phone = rnd.next() < 0.8 ? `9${6 + rnd.int(4)}${digits(7)}` : `${2 + rnd.int(4)}${digits(7)}`;
    const v = validatePhone('BR', rnd.pick(DDDS), phone);
    if (v.ok) return { area_code: v.areaCode!, phone: v.number };
  }
}

type Status = 'active' | 'pending' | 'deactivated';
type ContactRow = Record<string, unknown> & { id: number; status: Status };
type Counters = { active_count: number; pending_count: number; deactivated_count: number };

let nextContactId = 1;

/** One account's contacts; the first is its primary administrator, active, with a login (`ownerUserId`). */
function accountContacts(accountId: number, count: number, domain: string, ownerUserId: number): ContactRow[] {
  const taken = new Set<string>();
  const rows: ContactRow[] = [];
  for (let i = 0; i < count; i++) {
    const owner = i === 0;
    const { name, first, last } = personName();
    const local = `${fold(first)}.${fold(last)}`.replace(/[^a-z0-9.]/g, '');
    const mailDomain = owner || rnd.next() < 0.7 ? domain : rnd.pick(FREE_MAIL);
    let email = `${local}@${mailDomain}`;
    for (let n = 2; taken.has(email); n++) email = `${local}${n}@${mailDomain}`;
    taken.add(email);
    const r = rnd.next();
    const status: Status = owner || r < 0.85 ? 'active' : r < 0.95 ? 'pending' : 'deactivated';
    const p = rnd.next();
    const created = new Date(NOW - rnd.int(3 * 365 * 86_400) * 1000);
    const contact = {
      id: nextContactId++, account_id: accountId, user_id: owner ? ownerUserId : null, status,
      profile: owner || p < 0.05 ? 'administrator' : p < 0.85 ? 'member' : p < 0.93 ? 'observer_download' : 'observer',
      name, email, country: 'BR', document_type: 'cpf', document_number: nextCpf(), ...nextPhone(),
      consulting_authorized: rnd.next() < 0.3, created_by_contact_id: owner ? null : rows[0]!.id,
      created_at: created, updated_at: created, deactivated_at: status === 'deactivated' ? new Date(created.getTime() + 86_400_000) : null,
    };
    rows.push({ ...contact, search: searchTextOf(contact), sort_name: sortNameOf(contact.name) });
  }
  return rows;
}

function countersOf(rows: ContactRow[]): Counters {
  const c = { active_count: 0, pending_count: 0, deactivated_count: 0 };
  for (const r of rows) c[`${r.status}_count`]++;
  return c;
}

/** Multi-row INSERTs of up to 5,000 rows. */
export async function insertInBatches(q: Knex | Knex.Transaction, table: string, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await q(table).insert(rows.slice(i, i + ROWS_PER_INSERT));
}

/** The accounts `ids`, each with its owner's login, `perAccount` contacts and exact counters, in one transaction. */
async function seedAccounts(db: Knex, ids: number[], perAccount: number, passwordHash: string): Promise<void> {
  const now = new Date(NOW);
  const users: Record<string, unknown>[] = [];
  const accounts: Record<string, unknown>[] = [];
  const contacts: ContactRow[] = [];
  for (const id of ids) {
    const big = id === BIG_ACCOUNT_ID;
    const domain = big ? 'cbt.com.br' : `empresa${id}.com.br`;
    const rows = accountContacts(id, perAccount, domain, id);
    const owner = rows[0]!;
    users.push({ id, email: owner.email, name: owner.name, password_hash: passwordHash, locale: 'pt-BR', verified_at: now, created_at: now, updated_at: now });
    accounts.push({
      id, name: big ? 'Companhia Brasileira de Tecnologia S.A.' : `Empresa ${id} Ltda.`, document: cnpj.generate(),
      seat_limit: big ? 150_000 : 99, owner_contact_id: owner.id, ...countersOf(rows), created_at: now, updated_at: now,
    });
    contacts.push(...rows);
  }
  await db.transaction(async (trx) => {
    await insertInBatches(trx, 'users', users);
    await insertInBatches(trx, 'accounts', accounts);
    await insertInBatches(trx, 'contacts', contacts);
  });
}

/** Seeds an empty, migrated database; returns how many contacts it wrote. */
export async function seed(db: Knex, log: (line: string) => void): Promise<number> {
  const started = Date.now();
  const passwordHash = await hashPassword(PASSWORD);
  const accountsPerTransaction = 400; // 10,000 contacts
  for (let first = 1; first <= TYPICAL_ACCOUNTS; first += accountsPerTransaction) {
    const ids = Array.from({ length: Math.min(accountsPerTransaction, TYPICAL_ACCOUNTS - first + 1) }, (_, i) => first + i);
    await seedAccounts(db, ids, TYPICAL_CONTACTS, passwordHash);
    if ((first - 1) % 4_000 === 0) log(`  ${first - 1 + ids.length} typical accounts, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  await seedAccounts(db, [BIG_ACCOUNT_ID], BIG_CONTACTS, passwordHash);
  await assertCountersMatch(db);
  await db.raw('ANALYZE TABLE users, accounts, contacts');
  const contacts = TYPICAL_ACCOUNTS * TYPICAL_CONTACTS + BIG_CONTACTS;
  log(`seeded ${TYPICAL_ACCOUNTS + 1} accounts and ${contacts.toLocaleString('en-US')} contacts in ${((Date.now() - started) / 1000).toFixed(0)} s; counters equal to the rows`);
  return contacts;
}

/** The per-status counters must equal the rows (DESIGN §3): checked for every account. */
async function assertCountersMatch(db: Knex): Promise<void> {
  const mismatched = await db('accounts as a')
    .leftJoin(
      db('contacts').select('account_id')
        .select(db.raw("sum(status = 'active') as active, sum(status = 'pending') as pending, sum(status = 'deactivated') as deactivated"))
        .groupBy('account_id').as('c'),
      'c.account_id', 'a.id',
    )
    .whereRaw('coalesce(c.active, 0) <> a.active_count or coalesce(c.pending, 0) <> a.pending_count or coalesce(c.deactivated, 0) <> a.deactivated_count')
    .count({ n: '*' }).first();
  if (Number(mismatched?.n) !== 0) throw new Error(`${mismatched?.n} accounts have counters that differ from their rows`);
}
