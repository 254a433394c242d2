/**
 * `npm run seed:demo`: a realistic demo in any database (SQLite or MySQL), idempotent.
 *
 * Three accounts: "Aurora Tecnologia" (primary administrator admin@demo.portal, 24 contacts),
 * "Construtora Vale Verde" (administrator admin2@demo.portal, 11 of 12 seats used) and "Sabor da
 * Terra" (alphanumeric CNPJ); one consultant is a contact of two accounts (the account picker).
 * Every status (active, pending, deactivated) and every profile appears. Data is deterministic
 * (seeded PRNG), so a second run finds every row and adds nothing.
 *
 * Passwords: every demo login gets DEMO_PASSWORD when set (re-runs reset a login whose password
 * differs); otherwise the first run generates ONE random password and prints it once, and later
 * runs keep the existing passwords (they are not reset) and say so.
 *
 * Later issues extend the demo: add a `seed<Thing>(ctx, accounts)` function and call it from
 * `seedDemo` after the accounts; look rows up before inserting so re-runs stay no-ops.
 */
import { randomInt } from 'node:crypto';
import { contactsDirectory } from '../composition/contacts-directory';
import { PermissionService } from '../permissions/permissions.service';
import type { DemoGrants, ProfileId } from '../plugins/contract';
import type { Registry } from '../plugins/registry';
import { PermissionRepository } from '../permissions/permissions.repository';
import { cnpj, cpf } from 'cpf-cnpj-validator';
import type { Knex } from 'knex';
import { AccountRepository, type AccountRow } from '../accounts/accounts.repository';
import { ContactLedger } from '../contacts/contact-ledger';
import { AuditService, type Actor } from '../audit/audit.service';
import { loadConfig } from '../config';
import { ContactRepository, type ContactStatus } from '../contacts/contacts.repository';
import { createDb } from '../db/knex';
import { coreMigrations, migrateLatest } from '../db/migrations';
import { loadRegistry } from '../plugins/loader';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import { CliError, describeDatabase, isMain, runCli, type Print } from './common';
import { inTransaction } from '../db/transaction';

export const SEED_ACTOR: Actor = { userId: null, contactId: null, name: 'demo seed (CLI)' };

// ---------------------------------------------------------------------------------------------
// The data: pure functions of fixed seeds, so every run describes exactly the same people.
// ---------------------------------------------------------------------------------------------

export interface DemoPerson {
  name: string;
  email: string;
  status: ContactStatus;
  profile: ProfileId;
  country: string;
  documentType: 'cpf' | 'passport';
  documentNumber: string;
  areaCode: string | null;
  phone: string;
  consultingAuthorized: boolean;
}

export interface DemoAccount {
  /** Stable key other seed sections use: 'aurora' | 'valeVerde' | 'sabor'. */
  key: string;
  name: string;
  /** CNPJ, 14 characters without mask; the seed finds the account again by it. */
  document: string;
  seatLimit: number;
  owner: DemoPerson;
  contacts: DemoPerson[];
}

/** mulberry32: tiny, seedable, good enough to pick demo names and digits. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST_NAMES = [
  'Ana', 'Beatriz', 'Camila', 'Daniela', 'Eduarda', 'Fernanda', 'Gabriela', 'Helena', 'Isabela', 'Juliana',
  'Larissa', 'Luana', 'Mariana', 'Natália', 'Patrícia', 'Renata', 'Sabrina', 'Tatiane', 'Vanessa', 'Yasmin',
  'André', 'Bruno', 'Carlos', 'Diego', 'Eduardo', 'Felipe', 'Gustavo', 'Henrique', 'Igor', 'João',
  'Leonardo', 'Lucas', 'Marcelo', 'Mateus', 'Otávio', 'Paulo', 'Rafael', 'Rodrigo', 'Thiago', 'Vinícius',
];
const SURNAMES = [
  'Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes',
  'Costa', 'Ribeiro', 'Martins', 'Carvalho', 'Almeida', 'Lopes', 'Soares', 'Fernandes', 'Vieira', 'Barbosa',
  'Rocha', 'Dias', 'Nascimento', 'Andrade', 'Moreira', 'Nunes', 'Marques', 'Machado', 'Mendes', 'Freitas',
  'Cardoso', 'Ramos', 'Gonçalves', 'Santana', 'Teixeira', 'Araújo', 'Pinto', 'Correia', 'Cavalcanti', 'Monteiro',
];
/** DDD → the CPF's fiscal-region digit (9th digit) of that state: SP, RJ, MG, PR, RS, DF, BA, PE. */
const DDD_REGION: Record<string, number> = { '11': 8, '21': 7, '31': 6, '41': 9, '51': 0, '61': 1, '71': 5, '81': 4 };
const DDDS = Object.keys(DDD_REGION);

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const digits = (rand: () => number, n: number, from = 0) => Array.from({ length: n }, () => String(from + Math.floor(rand() * (10 - from)))).join('');
const ascii = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

/** A valid CPF: 8 random digits, the fiscal region of the DDD's state, then both check digits. */
export function demoCpf(rand: () => number, ddd: string): string {
  for (;;) {
    const base = digits(rand, 8) + String(DDD_REGION[ddd] ?? 8);
    const first = base + cpf.verifierDigit(base);
    const number = first + cpf.verifierDigit(first);
    if (cpf.isValid(number)) return number;
  }
}

/** A valid CNPJ from its 12-character base (digits, or digits and letters for the new format). */
export function demoCnpj(base: string): string {
  const first = base + cnpj.verifierDigit(base);
  return first + cnpj.verifierDigit(first);
}

/** A Brazilian mobile: 9 digits, starting with 9 and a second digit 6-9. */
const mobile = (rand: () => number) => `9${digits(rand, 1, 6)}${digits(rand, 7)}`;

type Fixed = Partial<DemoPerson> & { name: string; email: string; status: ContactStatus; profile: ProfileId };

/** Builds one account's people: the fixed ones as given, then generated ones per (status, profile). */
function people(seed: number, domain: string, fixed: Fixed[], generated: [ContactStatus, ProfileId, number][]): DemoPerson[] {
  const rand = prng(seed);
  const emails = new Set<string>();
  const documents = new Set<string>();
  const complete = (p: Fixed): DemoPerson => {
    const ddd = p.areaCode === undefined ? pick(rand, DDDS) : p.areaCode;
    let documentNumber = p.documentNumber ?? demoCpf(rand, ddd ?? '11');
    while (documents.has(documentNumber)) documentNumber = demoCpf(rand, ddd ?? '11');
    documents.add(documentNumber);
    emails.add(p.email);
    return {
      country: 'BR', documentType: 'cpf', areaCode: ddd, phone: mobile(rand),
      consultingAuthorized: p.profile === 'administrator' || rand() < 0.4,
      ...p, documentNumber,
    };
  };
  const out = fixed.map(complete);
  const usedNames = new Set(out.map((p) => p.name));
  for (const [status, profile, count] of generated) {
    for (let i = 0; i < count; i++) {
      let name = '';
      let email = '';
      while (!name || usedNames.has(name) || emails.has(email)) {
        const first = pick(rand, FIRST_NAMES);
        const middle = pick(rand, SURNAMES);
        const last = pick(rand, SURNAMES);
        if (middle === last) continue;
        name = `${first} ${middle} ${last}`;
        email = `${ascii(first)}.${ascii(last)}@${domain}`;
      }
      usedNames.add(name);
      out.push(complete({ name, email, status, profile }));
    }
  }
  return out;
}

/** The three demo accounts (a pure function: same answer on every run). */
export function demoAccounts(): DemoAccount[] {
  // One person, two accounts: the same CPF and phone in both.
  const consultant: Fixed = {
    name: 'Juliana Ribeiro Lopes', email: 'consultora@demo.portal', status: 'active', profile: 'member',
    areaCode: '41', documentNumber: demoCpf(prng(4141), '41'), phone: '991234567',
  };

  const aurora = people(1101, 'aurora.demo.portal', [
    { name: 'Marina Costa Andrade', email: 'admin@demo.portal', status: 'active', profile: 'administrator', areaCode: '11' },
    { name: 'Rafael Nunes Teixeira', email: 'rafael.teixeira@aurora.demo.portal', status: 'active', profile: 'administrator', areaCode: '11' },
    consultant,
    { name: 'Tiago Moreira Pinto', email: 'tiago.pinto@aurora.demo.portal', status: 'active', profile: 'member', country: 'PT', documentType: 'passport', documentNumber: 'CB482913', areaCode: null, phone: '912345678' },
    { name: 'Sofia Almeida Ramos', email: 'sofia.ramos@aurora.demo.portal', status: 'active', profile: 'observer', areaCode: '21' },
  ], [
    ['active', 'member', 7], ['active', 'observer_download', 3], ['active', 'observer', 1],
    ['pending', 'member', 3], ['pending', 'observer', 2],
    ['deactivated', 'member', 2], ['deactivated', 'observer_download', 1],
  ]);

  const valeVerde = people(2202, 'valeverde.demo.portal', [
    { name: 'Carlos Eduardo Mendes', email: 'admin2@demo.portal', status: 'active', profile: 'administrator', areaCode: '31' },
  ], [
    ['active', 'administrator', 1], ['active', 'member', 4], ['active', 'observer_download', 1], ['active', 'observer', 1],
    ['pending', 'member', 2], ['pending', 'observer', 1],
    ['deactivated', 'member', 1], ['deactivated', 'observer', 1],
  ]);

  const sabor = people(3303, 'sabordaterra.demo.portal', [
    { name: 'Patrícia Gomes Freitas', email: 'admin3@demo.portal', status: 'active', profile: 'administrator', areaCode: '81' },
    { ...consultant, profile: 'observer_download' },
  ], [
    ['active', 'member', 1], ['pending', 'member', 1], ['deactivated', 'observer', 1],
  ]);

  return [
    { key: 'aurora', name: 'Aurora Tecnologia e Serviços Ltda', document: demoCnpj('451238760001'), seatLimit: 99, owner: aurora[0]!, contacts: aurora.slice(1) },
    { key: 'valeVerde', name: 'Construtora Vale Verde S.A.', document: demoCnpj('338917450001'), seatLimit: 12, owner: valeVerde[0]!, contacts: valeVerde.slice(1) },
    // The alphanumeric CNPJ format (IN RFB 2.229/2024), issued since July 2026.
    { key: 'sabor', name: 'Sabor da Terra Alimentos Ltda', document: demoCnpj('7QK2MB5R0001'), seatLimit: 25, owner: sabor[0]!, contacts: sabor.slice(1) },
  ];
}

/** Every e-mail that gets a login (active and deactivated contacts; pending ones have none yet). */
export const loginEmails = (accounts: DemoAccount[]) =>
  [...new Set(accounts.flatMap((a) => [a.owner, ...a.contacts]).filter((p) => p.status !== 'pending').map((p) => p.email))].sort();

// ---------------------------------------------------------------------------------------------
// Writing it: small functions, each a no-op when its rows already exist.
// ---------------------------------------------------------------------------------------------

export interface DemoLogin {
  accountId: number;
  account: string;
  contactId: number;
  email: string;
  name: string;
  profile: string;
  status: ContactStatus;
}

export interface SeedContext {
  db: Knex;
  audit: AuditService;
  /** The hash every demo user created by this run receives. */
  passwordHash: string;
  logins: DemoLogin[];
  created: { accounts: number; contacts: number; users: number };
}

export type PasswordOutcome =
  | { kind: 'given'; password: string; reset: number }
  | { kind: 'generated'; password: string }
  | { kind: 'kept' };

/**
 * Decides the demo password before any user is written. DEMO_PASSWORD wins (existing demo logins
 * whose password differs are reset to it); else a first run generates one; else existing logins
 * keep theirs and new ones get the same hash as admin@demo.portal.
 */
export async function resolvePassword(db: Knex, emails: string[], given: string | undefined): Promise<{ hash: string; outcome: PasswordOutcome }> {
  const existing: { id: number; email: string; password_hash: string | null }[] = await db('users').select('id', 'email', 'password_hash').whereIn('email', emails);
  const users = new UserRepository(db);
  if (given) {
    const hash = await hashPassword(given);
    const matches = new Map<string, boolean>();
    const stale: number[] = [];
    for (const u of existing) {
      const key = u.password_hash ?? '';
      if (!matches.has(key)) matches.set(key, await verifyPassword(u.password_hash, given));
      if (!matches.get(key)) stale.push(u.id);
    }
    if (stale.length) await inTransaction(db, async (trx) => { for (const id of stale) await users.update(trx, id, { password_hash: hash }); });
    return { hash, outcome: { kind: 'given', password: given, reset: stale.length } };
  }
  const withHash = existing.filter((u) => u.password_hash);
  if (withHash.length === 0) {
    const password = randomPassword();
    return { hash: await hashPassword(password), outcome: { kind: 'generated', password } };
  }
  const hash = (withHash.find((u) => u.email === 'admin@demo.portal') ?? withHash[0]!).password_hash!;
  return { hash, outcome: { kind: 'kept' } };
}

/** 14 characters without look-alikes (0/O, 1/l/I), in three groups: about 70 bits. */
export function randomPassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const group = () => Array.from({ length: 4 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${group()}-${group()}-${group()}`;
}

/** The user behind a contact who accepted the invitation: found by e-mail, else created verified. */
async function ensureUser(ctx: SeedContext, trx: Knex.Transaction, person: DemoPerson): Promise<number> {
  const users = new UserRepository(ctx.db);
  const found = await users.findByEmail(person.email, trx);
  if (found) return found.id;
  const id = await users.create(trx, { email: person.email, name: person.name, passwordHash: ctx.passwordHash });
  await trx('users').where({ id }).update({ verified_at: new Date() });
  ctx.created.users++;
  return id;
}

/**
 * One contact in one account, found by (account, e-mail). A new one moves the account's counter
 * for its status in the same transaction, so the counters stay exact.
 */
export async function ensureContact(
  ctx: SeedContext, trx: Knex.Transaction, account: AccountRow, person: DemoPerson, createdBy: number | null,
): Promise<number> {
  const contacts = new ContactRepository();
  const existingId = await contacts.findIdByEmail(trx, account.id, person.email);
  let id: number;
  let row: { status: ContactStatus; profile: string; name: string; user_id: number | null };
  if (existingId !== undefined) {
    id = existingId;
    row = (await contacts.find(trx, account.id, id))!;
  } else {
    // Pending contacts have not accepted their invitation: no user yet.
    const userId = person.status === 'pending' ? null : await ensureUser(ctx, trx, person);
    const fields = {
      name: person.name, email: person.email, country: person.country, document_type: person.documentType, document_number: person.documentNumber,
      area_code: person.areaCode, phone: person.phone, consulting_authorized: person.consultingAuthorized,
    };
    [id] = (await new ContactLedger(ctx.db).enter(trx, account, [{ ...fields, user_id: userId, status: person.status, profile: person.profile, created_by_contact_id: createdBy }])) as [number];
    if (person.status === 'deactivated') await contacts.update(trx, account.id, id, { deactivated_at: new Date() });
    await ctx.audit.record(trx, SEED_ACTOR, {
      accountId: account.id, action: 'contact.created', target: { type: 'contact', id },
      details: { after: { ...fields, status: person.status, profile: person.profile } },
    });
    ctx.created.contacts++;
    row = { status: person.status, profile: person.profile, name: person.name, user_id: userId };
  }
  if (row.user_id !== null) {
    ctx.logins.push({ accountId: account.id, account: account.name, contactId: id, email: person.email, name: row.name, profile: row.profile, status: row.status });
  }
  return id;
}

/** One account with its primary administrator and its contacts; answers the account id. */
export async function seedAccount(ctx: SeedContext, spec: DemoAccount): Promise<number> {
  const accounts = new AccountRepository(ctx.db);
  return inTransaction(ctx.db, async (trx) => {
    const found: { id: number } | undefined = await trx('accounts').select('id').where({ document: spec.document }).first();
    let id = found?.id;
    if (id === undefined) {
      id = await accounts.create(trx, { name: spec.name, document: spec.document, seatLimit: spec.seatLimit });
      ctx.created.accounts++;
      await ctx.audit.record(trx, SEED_ACTOR, {
        accountId: id, action: 'account.created', target: { type: 'account', id },
        details: { after: { name: spec.name, document: spec.document, owner: spec.owner.email, seat_limit: spec.seatLimit } },
      });
    }
    const account = (await accounts.lock(trx, id))!;
    const ownerId = await ensureContact(ctx, trx, account, spec.owner, null);
    if (account.owner_contact_id === null) await accounts.update(trx, id, { owner_contact_id: ownerId });
    const owner = account.owner_contact_id ?? ownerId;
    for (const person of spec.contacts) await ensureContact(ctx, trx, account, person, owner);
    return id;
  });
}

const spec = (key: string) => demoAccounts().find((a) => a.key === key)!;
/** Aurora Tecnologia: admin@demo.portal's account, every status and profile. */
export const seedAuroraAccount = (ctx: SeedContext) => seedAccount(ctx, spec('aurora'));
/** Construtora Vale Verde: the second account's administrator (admin2@demo.portal), 11 of 12 seats. */
export const seedValeVerdeAccount = (ctx: SeedContext) => seedAccount(ctx, spec('valeVerde'));
/** Sabor da Terra: alphanumeric CNPJ; the consultant is a contact here and at Aurora. */
export const seedSaborAccount = (ctx: SeedContext) => seedAccount(ctx, spec('sabor'));

export interface DemoAccountsIds {
  aurora: number;
  valeVerde: number;
  sabor: number;
}

export interface SeedResult {
  accounts: DemoAccountsIds;
  logins: DemoLogin[];
  password: PasswordOutcome;
  created: SeedContext['created'];
}

/** Core's side of a plugin's demo grants, in the plugin's seeding transaction. */
function demoGrants(trx: Knex.Transaction, accountId: number): DemoGrants {
  const repo = new PermissionRepository();
  return {
    async group(name, description, flags) {
      if (await repo.groupIdByName(trx, accountId, name)) return;
      const groupId = await repo.createGroup(trx, accountId, name, description);
      await repo.setGroupFlags(trx, groupId, flags);
      const member = await trx('contacts').select('id').where({ account_id: accountId, status: 'active', profile: 'member' }).orderBy('id').first();
      if (member) await repo.setContactGroups(trx, member.id, [groupId]);
    },
  };
}

/** Each plugin's own demo rows and grants (course seats, cloud environments…), per account, idempotent. */
export async function seedPluginData(db: Knex, accountIds: number[], registry: Registry): Promise<void> {
  // The plugins read the demo's contacts through the directory they get everywhere, scoped to the account.
  const contacts = contactsDirectory(db, new PermissionService(db, registry, new AuditService()));
  for (const plugin of registry.plugins) {
    if (!plugin.seedDemo) continue;
    for (const [index, id] of accountIds.entries()) await inTransaction(db, (trx) => plugin.seedDemo!(trx, { id, index }, demoGrants(trx, id), contacts.of(id, trx)));
  }
}

/** The whole demo on an already migrated database. `password` is DEMO_PASSWORD (or undefined). */
export async function seedDemo(db: Knex, options: { password?: string; registry?: Registry } = {}): Promise<SeedResult> {
  const { hash, outcome } = await resolvePassword(db, loginEmails(demoAccounts()), options.password || undefined);
  const ctx: SeedContext = { db, audit: new AuditService(), passwordHash: hash, logins: [], created: { accounts: 0, contacts: 0, users: 0 } };
  const accounts: DemoAccountsIds = {
    aurora: await seedAuroraAccount(ctx),
    valeVerde: await seedValeVerdeAccount(ctx),
    sabor: await seedSaborAccount(ctx),
  };
  if (options.registry) await seedPluginData(db, Object.values(accounts), options.registry);
  // Later issues: await seedTheirData(ctx, accounts);
  return { accounts, logins: ctx.logins, password: outcome, created: ctx.created };
}

/** What the operator reads: the password line, then every login grouped by account. */
export async function formatReport(db: Knex, result: SeedResult): Promise<string[]> {
  const lines: string[] = [];
  const p = result.password;
  if (p.kind === 'given') {
    lines.push(`Password of every demo login: ${p.password}  (from DEMO_PASSWORD)`);
    if (p.reset) lines.push(`  ${p.reset} existing demo login(s) had another password and were reset to DEMO_PASSWORD.`);
    if (p.password.length < MIN_PASSWORD_LENGTH) lines.push(`  warning: shorter than ${MIN_PASSWORD_LENGTH} characters, the minimum the portal asks of a new password.`);
  } else if (p.kind === 'generated') {
    lines.push(`Password of every demo login: ${p.password}`);
    lines.push('  (generated now and shown only this once; re-runs keep it. Set DEMO_PASSWORD to choose one.)');
  } else {
    lines.push('Password of every demo login: the one printed on the first run of seed:demo.');
    lines.push('  Existing logins keep their password (not reset). To reset them all: DEMO_PASSWORD=<password> npm run seed:demo');
  }
  const repo = new AccountRepository(db);
  for (const id of Object.values(result.accounts)) {
    const a = (await repo.findById(id))!;
    const mine = result.logins.filter((l) => l.accountId === id);
    lines.push('', `${a.name} (account ${a.id}): ${Number(a.active_count) + Number(a.pending_count)} of ${a.seat_limit} seats in use; ` +
      `${a.active_count} active, ${a.pending_count} pending (invited, no login yet), ${a.deactivated_count} deactivated`);
    const width = Math.max(...mine.map((l) => l.email.length));
    for (const l of mine.filter((x) => x.status === 'active')) {
      lines.push(`  ${l.email.padEnd(width)}  ${l.name}, ${l.contactId === a.owner_contact_id ? 'primary administrator' : l.profile}`);
    }
    const off = mine.filter((x) => x.status !== 'active');
    if (off.length) lines.push(`  deactivated here, sign-in to this account refused: ${off.map((l) => l.email).join(', ')}`);
  }
  const multi = [...new Set(result.logins.filter((l) => l.status === 'active').map((l) => l.email))]
    .filter((e) => result.logins.filter((l) => l.email === e && l.status === 'active').length > 1);
  if (multi.length) lines.push('', `In more than one account (the account picker after login): ${multi.join(', ')}`);
  return lines;
}

export async function seedDemoCommand(env: NodeJS.ProcessEnv = process.env, print: Print = console.log): Promise<number> {
  const config = loadConfig(env);
  if (config.env === 'production') {
    throw new CliError('refusing to add demo logins with a known password to a production database (NODE_ENV=production)');
  }
  const registry = await loadRegistry({ extra: config.extraPlugins, disabled: config.disabledPlugins });
  const db = createDb(config.database);
  try {
    print(`Database: ${describeDatabase(config.database)}`);
    const ran = await migrateLatest(db, [coreMigrations, ...registry.migrationSets()]);
    if (ran.length) print(`Ran ${ran.length} migration(s) first: ${ran.join(', ')}`);
    const result = await seedDemo(db, { password: env.DEMO_PASSWORD, registry });
    const c = result.created;
    print(c.accounts + c.contacts + c.users
      ? `Demo data added: ${c.accounts} account(s), ${c.contacts} contact(s), ${c.users} login(s).`
      : 'Demo data already present: nothing added.');
    print('');
    for (const line of await formatReport(db, result)) print(line);
    return 0;
  } finally {
    await db.destroy();
  }
}

if (isMain(import.meta.url)) runCli('seed:demo', () => seedDemoCommand());
