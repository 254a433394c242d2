import type { Knex } from 'knex';

type Q = Knex | Knex.Transaction;

export const OPEN_STATUSES = ['open', 'in_progress', 'waiting'] as const;
export const STATUSES = [...OPEN_STATUSES, 'resolved', 'closed'] as const;
export const CATEGORIES = ['incident', 'question', 'request', 'billing'] as const;
export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;

export interface TicketRow {
  id: number;
  account_id: number;
  /** The company's own count: "#7" is its 7th ticket. */
  number: number;
  owner_contact_id: number | null;
  opened_by_contact_id: number | null;
  subject: string;
  description: string;
  category: string;
  priority: string;
  status: string;
  bpo: boolean | number;
  created_at: Date;
  updated_at: Date;
}

/** Which tickets a viewer sees (see Visibility in docs/plugins.md). */
export type Visibility = { kind: 'own'; contactId: number } | { kind: 'all' } | { kind: 'own-and-non-bpo'; contactId: number };

export interface Entry {
  kind: 'opened' | 'comment' | 'transferred';
  actor_contact_id: number | null;
  actor_name: string | null;
  body?: string | null;
  from_contact_id?: number | null;
  from_name?: string | null;
  to_contact_id?: number | null;
  to_name?: string | null;
}

// '!' as the LIKE escape: SQLite's ESCAPE needs one character and has no default, MySQL's is `\`.
const escapeLike = (s: string) => s.replace(/[!%_]/g, (c) => `!${c}`);

/** The one SQL form of the visibility rule: the list, a ticket's page, the transfer page and the move all use it. */
function visible<Q extends Knex.QueryBuilder>(q: Q, visibility: Visibility): Q {
  if (visibility.kind === 'own') q.where('owner_contact_id', visibility.contactId);
  if (visibility.kind === 'own-and-non-bpo') {
    const contactId = visibility.contactId;
    q.where((w) => w.where('owner_contact_id', contactId).orWhere('bpo', false));
  }
  return q;
}

export function listTickets(db: Q, accountId: number, visibility: Visibility, filter: { status?: string; q?: string }) {
  const q = db<TicketRow>('support_tickets').where({ account_id: accountId });
  visible(q, visibility);
  if (filter.status === 'open') q.whereIn('status', OPEN_STATUSES);
  else if (filter.status) q.where('status', filter.status);
  const words = (filter.q ?? '').trim().split(/\s+/).filter(Boolean).slice(0, 5);
  for (const word of words) {
    const number = /^#?(\d{1,9})$/.exec(word);
    q.where((w) => {
      w.whereRaw("subject like ? escape '!'", [`%${escapeLike(word)}%`]);
      if (number) w.orWhere('number', Number(number[1]));
    });
  }
  return q.orderBy('id', 'desc').limit(100);
}

export function findVisible(db: Q, accountId: number, id: number, visibility: Visibility): Promise<TicketRow | undefined> {
  return visible(db<TicketRow>('support_tickets').where({ account_id: accountId, id }), visibility).first();
}

/** Inserts the ticket with the company's next number (see nextNumber). */
export async function insertTicket(trx: Knex.Transaction, row: Omit<TicketRow, 'id' | 'number' | 'created_at' | 'updated_at'>): Promise<number> {
  const now = new Date();
  const number = await nextNumber(trx, row.account_id);
  const [id] = await trx('support_tickets').insert({ ...row, number, created_at: now, updated_at: now });
  return Number(id);
}

/**
 * Makes sure the company's counter row exists, on its own before the ticket's transaction: inside
 * it, MariaDB would lock the gap where the row is missing, and first tickets opened at once would
 * deadlock on their inserts. An existing row is left as it is.
 */
export async function ensureCounter(db: Knex, accountId: number): Promise<void> {
  await db('support_ticket_counters').insert({ account_id: accountId, last_number: 0 }).onConflict('account_id').ignore();
}

/**
 * The company's next ticket number, in the ticket's transaction: the update locks the company's
 * counter row until commit, so tickets opened at once queue there (a rolled-back ticket gives its
 * number back). Without ensureCounter first (seeds), the first ticket creates the row.
 */
async function nextNumber(trx: Knex.Transaction, accountId: number): Promise<number> {
  const counter = () => trx('support_ticket_counters').where({ account_id: accountId });
  if ((await counter().increment('last_number', 1)) === 0) {
    try {
      await trx('support_ticket_counters').insert({ account_id: accountId, last_number: 1 });
      return 1;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await counter().increment('last_number', 1);
    }
  }
  const row = await counter().first('last_number');
  return Number(row.last_number);
}

const isDuplicateKey = (err: unknown) => {
  const e = err as { code?: string; errno?: number };
  return e.code === 'ER_DUP_ENTRY' || e.errno === 1062 || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT';
};

export async function addEntry(trx: Knex.Transaction, ticketId: number, entry: Entry): Promise<void> {
  await trx('support_ticket_entries').insert({ ticket_id: ticketId, ...entry, created_at: new Date() });
}

export function entriesOf(db: Q, ticketId: number) {
  return db('support_ticket_entries').where({ ticket_id: ticketId }).orderBy('id');
}

/** `contactId`'s open tickets; with `visibility`, only those that viewer sees. */
export function openTicketsOwnedBy(db: Q, accountId: number, contactId: number, visibility?: Visibility): Promise<TicketRow[]> {
  const q = db<TicketRow>('support_tickets').where({ account_id: accountId, owner_contact_id: contactId }).whereIn('status', OPEN_STATUSES);
  if (visibility) visible(q, visibility);
  return q.orderBy('id');
}

/** Owners of the open tickets `visibility` sees (whose tickets the transfer page may move). */
export async function ownersOfOpenTickets(db: Q, accountId: number, visibility: Visibility): Promise<number[]> {
  const q = db('support_tickets').distinct('owner_contact_id').where({ account_id: accountId }).whereIn('status', OPEN_STATUSES).whereNotNull('owner_contact_id');
  const rows = await visible(q, visibility);
  return rows.map((r: { owner_contact_id: number }) => Number(r.owner_contact_id));
}

/** Of `ids`, those of the account that `visibility` sees. */
export async function visibleIds(db: Q, accountId: number, ids: number[], visibility: Visibility): Promise<number[]> {
  const rows = await visible(db('support_tickets').select('id').where({ account_id: accountId }).whereIn('id', ids.length ? ids : [0]), visibility);
  return rows.map((r: { id: number }) => Number(r.id));
}

/**
 * Moves one open ticket only if `from` still owns it and every one of `visibilities` sees it (the
 * check and the change are one statement): a ticket moved, closed or made BPO meanwhile is left
 * alone (answers false), never overwritten.
 */
export async function moveIfOwnedBy(trx: Knex.Transaction, accountId: number, ticketId: number, from: number, to: number, visibilities: Visibility[] = []): Promise<boolean> {
  const q = trx('support_tickets').where({ id: ticketId, account_id: accountId, owner_contact_id: from }).whereIn('status', OPEN_STATUSES);
  for (const v of visibilities) visible(q, v);
  const changed = await q.update({ owner_contact_id: to, updated_at: new Date() });
  return changed === 1;
}

export function touch(trx: Knex.Transaction, ticketId: number) {
  return trx('support_tickets').where({ id: ticketId }).update({ updated_at: new Date() });
}

/** With `visibility`, only those that viewer sees: a subject is never named to someone who may not read it. */
export function ticketsByIds(db: Q, accountId: number, ids: number[], visibility?: Visibility): Promise<Pick<TicketRow, 'id' | 'number' | 'subject' | 'bpo'>[]> {
  const q = db<TicketRow>('support_tickets').select('id', 'number', 'subject', 'bpo').where({ account_id: accountId }).whereIn('id', ids.length ? ids : [0]);
  if (visibility) visible(q, visibility);
  return q.orderBy('id');
}
