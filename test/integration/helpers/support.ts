/** Helpers of the support plugin's tests: tickets written straight to its tables, what its pages show. */
import type { Knex } from 'knex';
import { insertId } from '../../../server/db/knex';
import { decode } from './contacts';

export async function insertTicket(
  db: Knex,
  accountId: number,
  ownerId: number,
  subject: string,
  options: { bpo?: boolean; status?: string } = {},
): Promise<number> {
  const now = new Date();
  // The company's next number, kept in step with its counter as the plugin does (see nextNumber in plugins/support/repository.ts).
  const counter = () => db('support_ticket_counters').where({ account_id: accountId });
  if ((await counter().increment('last_number', 1)) === 0) await db('support_ticket_counters').insert({ account_id: accountId, last_number: 1 });
  const number = Number((await counter().first('last_number')).last_number);
  return insertId(db, 'support_tickets', {
    account_id: accountId, owner_contact_id: ownerId, number, opened_by_contact_id: ownerId, subject, description: `${subject}: detalhes`,
    category: 'incident', priority: 'medium', status: options.status ?? 'open', bpo: options.bpo ?? false, created_at: now, updated_at: now,
  });
}

/** Ticket subjects of the list page, in the order shown. */
export function listedSubjects(html: string): string[] {
  const body = /<tbody id="tickets">([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<a href="[^"]+\/\d+">([^<]*)<\/a>/g)].map((m) => decode(m[1]!));
}

export async function ownerOf(db: Knex, ticketId: number): Promise<number> {
  return Number((await db('support_tickets').where({ id: ticketId }).first()).owner_contact_id);
}
