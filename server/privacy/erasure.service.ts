import { inTransaction } from '../db/transaction';
import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';
import type { Acting } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import { ACTOR_NAME, erasedPersonal, readableDetails, type EventRow } from '../audit/event-format';
import { AuditPersonalRepository, type PersonalEventRow } from '../audit/personal-data.repository';
import { forgetCountersOf } from '../auth/login-limiter';
import { SessionRepository } from '../auth/sessions.repository';
import { ContactLedger } from '../contacts/contact-ledger';
import { ContactRepository } from '../contacts/contacts.repository';
import { toDate } from '../db/knex';
import { Conflict, NotFound, ValidationFailed } from '../errors';
import { ImportJobRepository } from '../imports/import-jobs.repository';
import { InvitationRepository } from '../invitations/invitations.repository';
import { erasePersonFromMail } from '../mail/mail.repository';
import type { PluginHooks } from '../plugins/registry';
import { UserRepository } from '../users/users.repository';
import { needlesOf, pseudonymOf, trailDocument, type Person } from './person-traces';

const DAY_MS = 86_400_000;
export const MAX_ERASURE_DAYS = 3650;
const LIST_LIMIT = 200;

/**
 * LGPD erasure ("Excluir dados pessoais") of a contact who left the company: deleted, or
 * deactivated for the account's erasure period. The person's values go from every table, replaced
 * by one pseudonym; the audit trail keeps its events and hashes (only `personal` changes, see
 * server/audit/event-format.ts). The login goes too when no other company holds it.
 */
export class ErasureService {
  private readonly contacts = new ContactRepository();
  private readonly ledger: ContactLedger;
  private readonly trail = new AuditPersonalRepository();
  private readonly invitations = new InvitationRepository();
  private readonly imports = new ImportJobRepository();
  private readonly users: UserRepository;
  private readonly sessions = new SessionRepository();
  private readonly accounts: AccountRepository;

  constructor(private readonly db: Knex, private readonly hooks: PluginHooks, private readonly audit: AuditService, private readonly secret: string) {
    this.ledger = new ContactLedger(db);
    this.users = new UserRepository(db);
    this.accounts = new AccountRepository(db);
  }

  /** The LGPD page: the erasure period and who may be erased (or when). */
  async overview(accountId: number, erasureDays: number, now = new Date()) {
    const [deactivated, deleted] = await Promise.all([
      this.contacts.deactivated(this.db, accountId, LIST_LIMIT),
      this.trail.deletedAwaitingErasure(this.db, accountId, LIST_LIMIT),
    ]);
    return {
      erasureDays,
      deactivated: deactivated.map((c) => {
        const since = toDate(c.deactivated_at);
        const from = since ? new Date(since.getTime() + erasureDays * DAY_MS) : now;
        return { id: Number(c.id), name: c.name, email: c.email, since, from, ready: from <= now };
      }),
      deleted: deleted.map((e) => {
        const before = (readableDetails(e).before ?? {}) as Record<string, unknown>;
        return { id: Number(e.target_id), name: String(before.name ?? ''), email: String(before.email ?? ''), at: toDate(e.created_at) };
      }),
    };
  }

  async erasureDaysOf(accountId: number): Promise<number> {
    return Number((await this.accounts.findById(accountId))?.erasure_days ?? 30);
  }

  /** "Prazo para exclusão": whole days, 0 to 3650. */
  async setErasureDays(caller: Pick<Acting, 'accountId' | 'actor'>, input: unknown): Promise<void> {
    const text = String(input ?? '').trim();
    const days = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
    if (!(days >= 0 && days <= MAX_ERASURE_DAYS)) throw new ValidationFailed({ erasureDays: { key: 'privacy.validation.days', params: { max: MAX_ERASURE_DAYS } } });
    await inTransaction(this.db, async (trx) => {
      const account = await this.ledger.lockAccount(trx, caller.accountId);
      if (account.erasure_days === days) return;
      await this.accounts.update(trx, account.id, { erasure_days: days });
      await this.audit.record(trx, caller.actor, { accountId: caller.accountId, action: 'account.erasure_days_changed', target: { type: 'account', id: account.id }, details: { before: { erasure_days: account.erasure_days }, after: { erasure_days: days } } });
    });
  }

  /** Who the confirmation page names; refusals come as the erasure's own (404, not yet, already). */
  async candidate(accountId: number, contactId: number, now = new Date()): Promise<{ id: number; name: string; email: string; status: 'deleted' | 'deactivated' }> {
    return inTransaction(this.db, async (trx) => {
      const account = await this.ledger.lockAccount(trx, accountId);
      const found = await this.find(trx, account, contactId, now);
      return { id: contactId, name: found.person.name ?? '', email: found.person.email ?? '', status: found.row ? 'deactivated' : 'deleted' };
    });
  }

  async erase(caller: Pick<Acting, 'accountId' | 'actor'>, contactId: number, now = new Date()): Promise<string> {
    return inTransaction(this.db, async (trx) => {
      const account = await this.ledger.lockAccount(trx, caller.accountId);
      const { row, person, userId } = await this.find(trx, account, contactId, now);
      const pseudonym = pseudonymOf(this.secret, account.id, contactId);
      const needles = needlesOf(person);
      await this.hooks.run('contact.erasing', { accountId: account.id, contactId, pseudonym, person }, trx, caller.actor);
      if (row) await this.ledger.remove(trx, account, row);
      await this.invitations.erasePerson(trx, account.id, contactId, person.email, pseudonym);
      await erasePersonFromMail(trx, account.id, person.email, needles, pseudonym);
      await this.imports.erasePerson(trx, account.id, contactId, needles, pseudonym);
      await this.eraseFromTrail(trx, account.id, { contactId }, person, pseudonym, now);
      // The login is the person's across companies: it goes only when no company holds it any more.
      let login: 'none' | 'kept' | 'erased' = 'none';
      if (userId !== null && (await this.users.findById(userId, trx))) {
        login = (await this.users.contactCount(trx, userId)) > 0 ? 'kept' : 'erased';
        if (login === 'erased') await this.eraseLogin(trx, userId, person, pseudonym, now);
      }
      await this.audit.record(trx, caller.actor, { accountId: account.id, action: 'contact.erased', target: { type: 'contact', id: contactId }, details: { pseudonym, was: row ? 'deactivated' : 'deleted', login } });
      return pseudonym;
    });
  }

  private async eraseLogin(trx: Knex.Transaction, userId: number, person: Person, pseudonym: string, now: Date) {
    const user = (await this.users.findById(userId, trx))!;
    const login: Person = { ...person, name: user.name, email: user.email };
    await this.sessions.endAll(trx, userId);
    await forgetCountersOf(trx, user.email);
    await erasePersonFromMail(trx, null, user.email, needlesOf(login), pseudonym);
    await this.eraseFromTrail(trx, null, { userId }, login, pseudonym, now);
    await this.users.delete(trx, userId);
  }

  /**
   * The contact as it can be erased: deactivated for the period (the row), or deleted (the trail's
   * `contact.deleted` snapshot). Already erased, active, pending or too recent: refused.
   */
  private async find(trx: Knex.Transaction, account: { id: number; erasure_days: number }, contactId: number, now: Date) {
    const row = await this.contacts.lock(trx, account.id, contactId);
    if (row) {
      if (row.status !== 'deactivated') throw new Conflict('privacy.errors.notLeft');
      const since = toDate(row.deactivated_at) ?? now;
      const from = new Date(since.getTime() + account.erasure_days * DAY_MS);
      if (from > now) throw new Conflict('privacy.errors.tooSoon', { date: from.toISOString(), days: account.erasure_days });
      const person: Person = { name: row.name, email: row.email, document: row.document_number, phone: row.phone };
      return { row, person, userId: row.user_id };
    }
    // Erased already (deleted or deactivated then): said so, nothing is written again.
    if (await this.trail.erased(trx, account.id, contactId)) throw new Conflict('privacy.errors.alreadyErased');
    const deleted = await this.trail.deletedContact(trx, account.id, contactId);
    if (!deleted) throw new NotFound();
    const before = (readableDetails(deleted).before ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
    const person: Person = { name: text(before.name), email: text(before.email), document: text(before.document_number), phone: text(before.phone) };
    const userId = before.user_id === null || before.user_id === undefined ? null : Number(before.user_id);
    return { row: undefined, person, userId };
  }

  /** The chain's events that hold the person's values get the pseudonym in `personal`; nothing the hash covers changes. */
  private async eraseFromTrail(trx: Knex.Transaction, accountId: number | null, who: { contactId?: number; userId?: number }, person: Person, pseudonym: string, now: Date) {
    const same = (a: unknown, b: string | null) => b !== null && typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
    const ids = [person.email, trailDocument(person.document), person.document].filter((v): v is string => Boolean(v));
    const needles = [...ids, ...(person.name ? [person.name] : [])];
    for (let after = 0; ;) {
      const rows = await this.trail.candidates(trx, accountId, { ...who, needles }, after);
      if (!rows.length) return;
      for (const row of rows) {
        const theirs = isTheirs(row, who);
        const values = Object.values(JSON.parse(row.personal ?? '{}') as Record<string, unknown>);
        // A name alone is no proof: it is taken only in an event that also holds their e-mail or CPF.
        const identified = theirs.any || values.some((v) => ids.some((id) => same(v, id)));
        const pick = (ptr: string, value: unknown) => {
          if (ptr === ACTOR_NAME) return theirs.actor || (identified && same(value, person.name));
          if (theirs.target) return true;
          return ids.some((id) => same(value, id)) || (typeof value === 'string' && person.email !== null && value.toLowerCase().includes(person.email.toLowerCase())) || (identified && same(value, person.name));
        };
        const next = erasedPersonal(row as Pick<EventRow, 'personal'>, pick, pseudonym, now);
        if (next.personal !== row.personal) await this.trail.setPersonal(trx, row.id, next);
      }
      after = Number(rows[rows.length - 1]!.seq);
    }
  }
}

function isTheirs(row: PersonalEventRow, who: { contactId?: number; userId?: number }) {
  const actor = (who.contactId !== undefined && Number(row.actor_contact_id) === who.contactId) || (who.userId !== undefined && Number(row.actor_user_id) === who.userId);
  const target = (who.contactId !== undefined && row.target_type === 'contact' && row.target_id === String(who.contactId))
    || (who.userId !== undefined && row.target_type === 'user' && row.target_id === String(who.userId));
  return { actor, target, any: actor || target };
}
