/**
 * Helpers shared by the contact administration tests (contacts.test.ts, seat-limit.test.ts):
 * valid form data with distinct CPFs, reading fields and errors out of the HTML a user sees, and
 * the check that an account's status counters equal the real counts.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { cpf } from 'cpf-cnpj-validator';
import type { Knex } from 'knex';
import { readableActorName, readableDetails } from '../../../server/audit/event-format';
import { createAccount, PASSWORD, uniqueEmail, type AccountFixture } from '../../support/fixtures';
import { loggedIn, type Agent, type TestPortal } from '../../support/portal';

const usedCpfs = new Set<string>();

/** A valid CPF (11 digits) never handed out before in this process. */
export function distinctCpf(): string {
  for (;;) {
    const digits = cpf.generate();
    if (!usedCpfs.has(digits)) {
      usedCpfs.add(digits);
      return digits;
    }
  }
}

/** A valid CPF whose digits start with `prefix` (3 to 9 digits), never handed out before. */
export function cpfStartingWith(prefix: string): string {
  for (;;) {
    const base = (prefix + randomBytes(8).readBigUInt64BE().toString().padStart(9, '0')).slice(0, 9);
    const d1 = cpf.verifierDigit(base);
    const digits = `${base}${d1}${cpf.verifierDigit(`${base}${d1}`)}`;
    if (cpf.isValid(digits) && !usedCpfs.has(digits)) {
      usedCpfs.add(digits);
      return digits;
    }
  }
}

/** The add form as a Brazilian contact would fill it (masked CPF, mobile phone, confirmed e-mail). */
export function validContact(overrides: Record<string, string> = {}): Record<string, string> {
  const email = overrides.email ?? uniqueEmail('contato');
  return {
    country: 'BR',
    name: 'Carla Contato',
    document: cpf.format(distinctCpf()),
    areaCode: '11',
    phone: '98765-4321',
    email,
    emailConfirmation: email,
    ...overrides,
  };
}

/** HTML text as the user reads it (EJS escapes quotes and ampersands). */
export function decode(html: string): string {
  return html
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The value of the <input name="…">, as the browser would fill the field. */
export function inputValue(html: string, name: string): string | undefined {
  const input = new RegExp(`<input[^>]*\\bname="${name}"[^>]*>`).exec(html)?.[0];
  const value = input ? /\bvalue="([^"]*)"/.exec(input)?.[1] : undefined;
  return value === undefined ? undefined : decode(value);
}

/** The option selected in <select name="…">. */
export function selectedOption(html: string, name: string): string | undefined {
  const select = new RegExp(`<select[^>]*\\bname="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(html)?.[1];
  return select ? /<option value="([^"]*)"\s+selected/.exec(select)?.[1] : undefined;
}

/** The error shown next to a field (`<p class="field-error" id="f-<field>-error">`), if any. */
export function fieldError(html: string, field: string): string | undefined {
  const m = new RegExp(`<p class="field-error" id="f-${field}-error">([^<]*)</p>`).exec(html);
  return m ? decode(m[1]!) : undefined;
}

/** Every field that shows an error, by field id. */
export function fieldsWithErrors(html: string): string[] {
  return [...html.matchAll(/<p class="field-error" id="f-([A-Za-z]+)-error">/g)].map((m) => m[1]!);
}

/** Flash messages of a page. */
export function flashes(html: string): string[] {
  return [...html.matchAll(/<p class="flash flash-\w+"[^>]*>([^<]*)</g)].map((m) => decode(m[1]!));
}

/** Names in the contacts table, in the order shown. */
export function listedNames(html: string): string[] {
  const body = /<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>\s*<td[^>]*><a href="[^"]+">([^<]*)<\/a>/g)].map((m) => decode(m[1]!));
}

export interface Counters {
  active: number;
  pending: number;
  deactivated: number;
}

/** The account row's counters. */
export async function countersOf(db: Knex, accountId: number): Promise<Counters> {
  const a = await db('accounts').where({ id: accountId }).first('active_count', 'pending_count', 'deactivated_count');
  return { active: Number(a.active_count), pending: Number(a.pending_count), deactivated: Number(a.deactivated_count) };
}

/** Real counts per status, by `SELECT account_id, status, COUNT(*) … GROUP BY`. */
export async function realCountsOf(db: Knex, accountIds: number[]): Promise<Map<number, Counters>> {
  const counts = new Map<number, Counters>(accountIds.map((id) => [id, { active: 0, pending: 0, deactivated: 0 }]));
  if (accountIds.length === 0) return counts;
  const rows = await db('contacts').select('account_id', 'status').count({ n: '*' }).whereIn('account_id', accountIds).groupBy('account_id', 'status');
  for (const r of rows as { account_id: number; status: keyof Counters; n: number | string }[]) {
    counts.get(Number(r.account_id))![r.status] = Number(r.n);
  }
  return counts;
}

/** Fails naming each account whose counters differ from the real counts. */
export async function expectCountersExact(db: Knex, accountIds: number | number[]): Promise<void> {
  const ids = [...new Set(Array.isArray(accountIds) ? accountIds : [accountIds])];
  const real = await realCountsOf(db, ids);
  const stored = new Map<number, Counters>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db('accounts').whereIn('id', ids.slice(i, i + 500)).select('id', 'active_count', 'pending_count', 'deactivated_count');
    for (const a of rows) stored.set(Number(a.id), { active: Number(a.active_count), pending: Number(a.pending_count), deactivated: Number(a.deactivated_count) });
  }
  const wrong = ids.filter((id) => JSON.stringify(stored.get(id)) !== JSON.stringify(real.get(id)));
  expect(
    wrong.map((id) => ({ account: id, counters: stored.get(id), real: real.get(id) })),
    'accounts whose counters differ from the real counts',
  ).to.deep.equal([]);
}

export interface AuditEventRow {
  action: string;
  actor_contact_id: number | null;
  actor_name: string | null;
  target_id: string | null;
  details: { before?: Record<string, unknown>; after?: Record<string, unknown> } | null;
}

/** Audit events of an account (optionally of one target contact), oldest first (chain order). */
export async function auditEventsOf(db: Knex, accountId: number, targetContactId?: number): Promise<AuditEventRow[]> {
  const q = db('audit_events').where({ account_id: accountId }).orderBy('seq');
  if (targetContactId !== undefined) q.where({ target_type: 'contact', target_id: String(targetContactId) });
  const rows = await q.select('action', 'actor_contact_id', 'actor_name', 'target_id', 'details', 'personal');
  return rows.map((r: Record<string, unknown>) => ({
    action: String(r.action),
    actor_contact_id: r.actor_contact_id === null ? null : Number(r.actor_contact_id),
    actor_name: readableActorName(r as { personal: string | null; actor_name: string | null }),
    target_id: (r.target_id as string | null) ?? null,
    // As people read them: the personal values put back where the details refer to them.
    details: r.details ? readableDetails(r as { details: string; personal: string | null }) : null,
  }));
}

/** Every contact row of an account, by id. */
export async function contactsOf(db: Knex, accountId: number): Promise<Record<string, unknown>[]> {
  return db('contacts').where({ account_id: accountId }).orderBy('id');
}

/** An account's primary administrator, logged in, with the contacts list's base path. */
export interface Admin extends AccountFixture {
  agent: Agent;
  csrf: string;
  base: string;
}

/** A new account (its id pushed to `accountIds` for the counter check) and its administrator, logged in. */
export async function newAdmin(portal: TestPortal, accountIds: number[], options: { seatLimit?: number } = {}): Promise<Admin> {
  const account = await createAccount(portal.db, options);
  accountIds.push(account.accountId);
  const session = await loggedIn(portal, account.admin.email, PASSWORD);
  return { ...account, ...session, base: `/accounts/${account.accountId}/contacts` };
}

/** POSTs a form below the contacts list with the administrator's CSRF token. */
export const postForm = (s: Admin, path: string, form: Record<string, string> = {}) =>
  s.agent.post(`${s.base}${path}`).type('form').send({ _csrf: s.csrf, ...form });
