import type { Knex } from 'knex';
import type { AccountRow } from '../accounts/accounts.repository';
import type { Acting } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import { AuditRepository } from '../audit/audit.repository';
import { readableActorName } from '../audit/event-format';
import { toDate } from '../db/knex';
import { Conflict, Forbidden, NotFound, SeatLimitReached, ValidationFailed, type FieldErrors } from '../errors';
import type { Locale } from '../i18n';
import type { PluginHooks } from '../plugins/registry';
import { parseContactForm, type ContactFormValues } from './contact-form';
import type { ContactInvitations } from './contact-invitations';
import { ContactLedger } from './contact-ledger';
import { CONTACT_STATUSES, ContactRepository, type ContactFields, type ContactRow, type ContactStatus, type PageCursor } from './contacts.repository';
import { parseSearch } from './search-text';
import { inTransaction } from '../db/transaction';

export const PAGE_SIZE = 25;

/** What the list needs of the account: see AccountContext in server/http/types.ts. */
export interface AccountSnapshot {
  id: number;
  ownerContactId: number | null;
  seatLimit: number;
  counts: { active: number; pending: number; deactivated: number };
}

/** The access the form chose for the invitation (a profile, or Personalizado with flags). */
export interface AddAccess {
  profile?: unknown;
  flags?: unknown;
}

export interface ListParams {
  status?: unknown;
  q?: unknown;
  sort?: unknown;
  page?: unknown;
  /** The "next" link's cursor: `<id>` (newest first) or `<id>.<name>` (by name). */
  after?: unknown;
}

/** The tab, search and order of the list (and of its export) as the query string asks for them. */
export function listFilterOf(params: Pick<ListParams, 'status' | 'q' | 'sort'>): { status: ContactStatus; sort: 'name' | 'created'; q: string } {
  return {
    status: CONTACT_STATUSES.includes(params.status as ContactStatus) ? (params.status as ContactStatus) : 'active',
    sort: params.sort === 'created' ? 'created' : 'name',
    q: typeof params.q === 'string' ? params.q.trim().slice(0, 200) : '',
  };
}

const cursorText = (sort: 'name' | 'created', id: number, name: string) => (sort === 'created' ? String(id) : `${id}.${name}`);

/** A cursor that does not parse (edited by hand, or from the other sort) is ignored: the page number is used. */
function parseCursor(raw: unknown, sort: 'name' | 'created'): PageCursor | undefined {
  if (typeof raw !== 'string' || raw.length > 200) return undefined;
  const m = /^(\d{1,10})(?:\.([\s\S]+))?$/.exec(raw);
  if (!m || (sort === 'name') !== (m[2] !== undefined)) return undefined;
  const id = Number(m[1]);
  return id > 0 && id <= 4_294_967_295 ? { id, name: m[2] ?? '' } : undefined;
}

const auditedFields = ['name', 'email', 'country', 'document_type', 'document_number', 'area_code', 'phone', 'consulting_authorized'] as const;

/** The audited fields a write would change, before and after (the edit form's and the import's). */
export function changes(before: ContactRow, after: ContactFields) {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const f of auditedFields) {
    if (after[f] === undefined) continue;
    if (String(before[f] ?? '') !== String(after[f] ?? '') && !(f === 'consulting_authorized' && Boolean(before[f]) === Boolean(after[f]))) {
      b[f] = before[f];
      a[f] = after[f];
    }
  }
  return { before: b, after: a };
}

/**
 * Only the primary administrator edits the primary administrator: another administrator could
 * otherwise change the owner's e-mail and take the account over.
 */
export function assertMayEdit(ownerContactId: number | null, callerContactId: number, id: number): void {
  if (id === ownerContactId && callerContactId !== id) throw new Forbidden('contacts.errors.editOwner');
}

/** While pending, a contact is only re-invited or deleted: to change it, delete and invite again. */
export function assertNotPending(contact: Pick<ContactRow, 'status'>): void {
  if (contact.status === 'pending') throw new Conflict('contacts.errors.pending');
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Contact administration: the rules, the transactions, the audit events and the plugin hooks.
 * Seat checks and status counters run under the account row's lock.
 */
export class ContactService {
  private readonly contacts = new ContactRepository();
  private readonly ledger: ContactLedger;
  private readonly auditLog = new AuditRepository();

  constructor(private readonly db: Knex, private readonly hooks: PluginHooks, private readonly audit: AuditService, private readonly invitations: ContactInvitations) {
    this.ledger = new ContactLedger(db);
  }

  /**
   * A page of the list. The account's counters come with the request's account context (read by
   * the membership query), so the page costs one more query, not two.
   */
  async list(account: AccountSnapshot, params: ListParams) {
    const { status, sort, q } = listFilterOf(params);
    const page = Math.min(Math.max(1, Number.parseInt(String(params.page ?? '1'), 10) || 1), 10_000);
    // The "next" link carries where page N-1 ended; a typed or shared `page=N` alone, and the
    // "previous" link (page N-1 by number), are read by offset. Page 1 is always read from the top.
    // No backward cursor: MariaDB reads a descending page from the far end of the account's slice,
    // a row lookup per entry (page 199 of 100,000 contacts: ~82,000 rows, 0.3-0.6 s, against
    // ~5,000 and ~20-30 ms by offset).
    const after = page > 1 ? parseCursor(params.after, sort) : undefined;
    const rows = await this.contacts.list(this.db, { accountId: account.id, status, words: parseSearch(q), sort, offset: after ? 0 : (page - 1) * PAGE_SIZE, limit: PAGE_SIZE, after });
    const shown = rows.slice(0, PAGE_SIZE);
    const last = shown[shown.length - 1];
    const hasNext = rows.length > PAGE_SIZE;
    return {
      status, sort, page, q,
      rows: shown.map((r) => ({ ...r, created_at: toDate(r.created_at) })),
      /** The cursor the "next" link carries; null on the last page. */
      next: hasNext && last ? cursorText(sort, Number(last.id), String(last.name)) : null,
      counts: account.counts,
      seats: { used: account.counts.active + account.counts.pending, limit: account.seatLimit },
      ownerContactId: account.ownerContactId,
    };
  }

  /** One contact with its history (what was done to them and by them); the owner comes from the request's account context. */
  async get(account: Pick<AccountSnapshot, 'id' | 'ownerContactId'>, id: number) {
    const accountId = account.id;
    const contact = await this.contacts.find(this.db, accountId, id);
    if (!contact) throw new NotFound();
    const [creatorName, history] = await Promise.all([
      this.contacts.creatorName(this.db, accountId, contact.created_by_contact_id),
      // Done to them and done by them, newest first (the Auditoria page's "Fez ou foi alvo").
      this.auditLog.page(this.db, { accountId, person: { contactId: id, role: 'any' } }, 20).then((rows) => rows.slice(0, 20)),
    ]);
    return {
      contact: { ...contact, created_at: toDate(contact.created_at), updated_at: toDate(contact.updated_at), deactivated_at: toDate(contact.deactivated_at) },
      isOwner: account.ownerContactId === id,
      creatorName,
      history: history.map((h) => ({ ...h, actor_name: readableActorName(h), created_at: toDate(h.created_at) })),
    };
  }

  /** Validates without writing: the form's inline checks as the user leaves a field. */
  async validate(accountId: number, values: ContactFormValues, options: { confirmEmail: boolean; contactId?: number }): Promise<FieldErrors> {
    try {
      const data = parseContactForm(values, options);
      await this.assertUnique(this.db, accountId, data, options.contactId);
      return {};
    } catch (err) {
      if (err instanceof ValidationFailed) return err.fields;
      throw err;
    }
  }

  /**
   * "Adicionar usuário": a pending contact (it uses a seat) and its invitation. Nothing links to a
   * login until the person accepts, even when the e-mail already has one.
   */
  async add(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor' | 'flags'>, values: ContactFormValues, locale: Locale, access: AddAccess = {}): Promise<number> {
    const { profile, flags } = this.accessOrFieldErrors(values, caller.flags, access);
    const data = parseContactForm(values, { confirmEmail: true });
    return this.write(async (trx) => {
      const account = await this.ledger.lockAccount(trx, caller.accountId);
      if (this.ledger.freeSeats(account) < 1) throw new SeatLimitReached();
      await this.assertUnique(trx, caller.accountId, data);
      const [id] = await this.ledger.enter(trx, account, [{ ...data, user_id: null, status: 'pending', profile, created_by_contact_id: caller.contactId }]);
      await this.invitations.inviteAdded(trx, caller.actor, { account, contactId: id!, email: data.email, flags }, locale);
      // One event for both: the contact and its invitation are one act of the administrator.
      await this.audit.record(trx, caller.actor, { accountId: caller.accountId, action: 'contact.created', target: { type: 'contact', id }, details: { after: { ...data, status: 'pending', profile, flags }, invitation: 'sent' } });
      return id!;
    });
  }

  /**
   * The access chosen on the form, checked before anything is written. A flag the administrator
   * does not hold is a Forbidden (someone altered the form); an unknown profile or flag joins the
   * form's field errors, so the person sees all of them at once.
   */
  private accessOrFieldErrors(values: ContactFormValues, inviterFlags: ReadonlySet<string>, access: AddAccess): { profile: string; flags: string[] } {
    let accessErrors: FieldErrors = {};
    let chosen = { profile: 'member', flags: [] as string[] };
    try {
      chosen = this.invitations.accessOf(inviterFlags, access.profile ?? 'member', access.flags);
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      accessErrors = err.fields;
    }
    if (Object.keys(accessErrors).length) {
      let fieldErrors: FieldErrors = {};
      try {
        parseContactForm(values, { confirmEmail: true });
      } catch (err) {
        if (!(err instanceof ValidationFailed)) throw err;
        fieldErrors = err.fields;
      }
      throw new ValidationFailed({ ...fieldErrors, ...accessErrors });
    }
    return chosen;
  }

  async update(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, id: number, values: ContactFormValues): Promise<void> {
    // Another account's id is a 404 whatever the form holds.
    const existing = await this.contacts.find(this.db, caller.accountId, id);
    if (!existing) throw new NotFound();
    assertNotPending(existing);
    const data = parseContactForm(values, { confirmEmail: false });
    await this.write(async (trx) => {
      const account = await this.ledger.lockAccount(trx, caller.accountId);
      assertMayEdit(account.owner_contact_id, caller.contactId, id);
      const before = await this.contacts.lock(trx, caller.accountId, id);
      if (!before) throw new NotFound();
      assertNotPending(before);
      // A linked contact's e-mail is the person's login: only they change it (on "Meu perfil").
      if (before.user_id !== null) data.email = before.email;
      await this.assertUnique(trx, caller.accountId, data, id);
      await this.contacts.update(trx, caller.accountId, id, data);
      const diff = changes(before, data);
      if (Object.keys(diff.after).length) {
        await this.audit.record(trx, caller.actor, { accountId: caller.accountId, action: 'contact.updated', target: { type: 'contact', id }, details: diff });
      }
    });
  }

  /** `fields`: the answers to the plugins' confirmation questions, handed to the hook. */
  async deactivate(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, id: number, fields: Record<string, string> = {}): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const account = await this.ledger.lockAccount(trx, caller.accountId);
      const contact = await this.contacts.lock(trx, caller.accountId, id);
      if (!contact) throw new NotFound();
      this.assertNotSelfOrOwner(caller, account, id, 'deactivate');
      assertNotPending(contact);
      if (contact.status === 'deactivated') throw new Conflict('contacts.errors.alreadyDeactivated');
      await this.ledger.move(trx, account, contact, 'deactivated', { deactivated_at: new Date() });
      await this.hooks.run('contact.deactivated', { accountId: caller.accountId, contactId: id, actorContactId: caller.contactId, fields }, trx, caller.actor);
      await this.audit.record(trx, caller.actor, { accountId: caller.accountId, action: 'contact.deactivated', target: { type: 'contact', id }, details: { before: { status: contact.status }, after: { status: 'deactivated' } } });
    });
  }

  async reactivate(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, id: number): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const account = await this.ledger.lockAccount(trx, caller.accountId);
      const contact = await this.contacts.lock(trx, caller.accountId, id);
      if (!contact) throw new NotFound();
      if (contact.status !== 'deactivated') throw new Conflict('contacts.errors.notDeactivated');
      await this.ledger.move(trx, account, contact, 'active', { deactivated_at: null });
      await this.audit.record(trx, caller.actor, { accountId: caller.accountId, action: 'contact.reactivated', target: { type: 'contact', id }, details: { before: { status: 'deactivated' }, after: { status: 'active' } } });
    });
  }

  /** Plugins see `contact.deleting` inside the transaction; a hook that throws keeps the contact. */
  async remove(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, id: number, input: Record<string, unknown> = {}, fields: Record<string, string> = {}): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const account = await this.ledger.lockAccount(trx, caller.accountId);
      const contact = await this.contacts.lock(trx, caller.accountId, id);
      if (!contact) throw new NotFound();
      this.assertNotSelfOrOwner(caller, account, id, 'delete');
      await this.hooks.run('contact.deleting', { accountId: caller.accountId, contactId: id, actorContactId: caller.contactId, input, fields }, trx, caller.actor);
      await this.invitations.revokeFor(trx, caller.actor, caller.accountId, id);
      await this.ledger.remove(trx, account, contact);
      // Not the derived search columns: they repeat the name, e-mail and CPF digits.
      const { created_at: _c, updated_at: _u, deactivated_at: _d, search: _s, sort_name: _n, ...snapshot } = contact as typeof contact & { search?: string; sort_name?: string };
      await this.audit.record(trx, caller.actor, { accountId: caller.accountId, action: 'contact.deleted', target: { type: 'contact', id }, details: { before: snapshot } });
    });
  }

  private assertNotSelfOrOwner(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, account: AccountRow, id: number, what: 'delete' | 'deactivate') {
    if (id === caller.contactId) throw new Conflict(`contacts.errors.${what}Self`);
    if (id === account.owner_contact_id) throw new Conflict(`contacts.errors.${what}Owner`);
  }

  private async assertUnique(q: Knex | Knex.Transaction, accountId: number, data: ContactFields, exceptId?: number) {
    const errors: FieldErrors = {};
    const byEmail = await this.contacts.findIdByEmail(q, accountId, data.email);
    if (byEmail && byEmail !== exceptId) errors.email = { key: 'contacts.validation.emailTaken' };
    if (data.document_type && data.document_number) {
      const byDoc = await this.contacts.findIdByDocument(q, accountId, data.document_type, data.document_number);
      if (byDoc && byDoc !== exceptId) errors.document = { key: data.document_type === 'cpf' ? 'contacts.validation.cpfTaken' : 'contacts.validation.documentTaken' };
    }
    if (Object.keys(errors).length) throw new ValidationFailed(errors);
  }

  /** Two admins racing for the same e-mail: the unique index decides, the loser gets the field error. */
  private async write<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.db, work);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ValidationFailed({ email: { key: 'contacts.validation.emailOrDocumentTaken' } });
      throw err;
    }
  }
}
