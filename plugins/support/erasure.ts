import type { Knex } from 'knex';
import type { HookEvents } from 'portal/plugin';

const like = (text: string) => `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
const literal = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');

/**
 * `contact.erasing` (LGPD): the names the ticket history kept of the person (as author, giver or
 * receiver) become the pseudonym, and the person's name and e-mail written in the company's
 * tickets (subject, description, comments) are replaced too. Ticket numbers, dates and owners (ids)
 * stay: they are the company's records.
 */
export async function eraseFromTickets(event: HookEvents['contact.erasing'], trx: Knex.Transaction): Promise<void> {
  const { accountId, contactId, pseudonym, person } = event;
  const tickets = trx('support_tickets').select('id').where({ account_id: accountId });
  for (const [idColumn, nameColumn] of [['actor_contact_id', 'actor_name'], ['from_contact_id', 'from_name'], ['to_contact_id', 'to_name']] as const) {
    await trx('support_ticket_entries').whereIn('ticket_id', tickets.clone()).where(idColumn, contactId).update({ [nameColumn]: pseudonym });
  }
  const words = [person.email, person.name].filter((w): w is string => typeof w === 'string' && w.length >= 3);
  if (!words.length) return;
  const rewrite = async (table: string, columns: string[], scope: (q: Knex.QueryBuilder) => Knex.QueryBuilder) => {
    const rows: Record<string, unknown>[] = await scope(trx(table).select('id', ...columns)).where((w) => {
      for (const word of words) for (const c of columns) w.orWhereRaw("?? like ? escape '!'", [c, like(word)]);
    });
    for (const row of rows) {
      const patch: Record<string, string> = {};
      for (const c of columns) {
        const text = row[c];
        if (typeof text !== 'string') continue;
        const next = words.reduce((t, w) => t.replace(literal(w), pseudonym), text);
        if (next !== text) patch[c] = next;
      }
      if (Object.keys(patch).length) await trx(table).where({ id: row.id }).update(patch);
    }
  };
  await rewrite('support_tickets', ['subject', 'description'], (q) => q.where({ account_id: accountId }));
  await rewrite('support_ticket_entries', ['body'], (q) => q.whereIn('ticket_id', tickets.clone()));
}

/**
 * `contact.exporting` ("Meus dados"): the tickets the person opened or owns in that company, with
 * the comments they wrote. Other people's comments are left out: they are about others.
 */
export async function exportTickets(event: HookEvents['contact.exporting'], trx: Knex.Transaction): Promise<void> {
  const { accountId, contactId } = event;
  const tickets: Record<string, unknown>[] = await trx('support_tickets')
    .select('id', 'number', 'subject', 'description', 'category', 'priority', 'status', 'owner_contact_id', 'opened_by_contact_id', 'created_at', 'updated_at')
    .where({ account_id: accountId })
    .where((w) => w.where('owner_contact_id', contactId).orWhere('opened_by_contact_id', contactId))
    .orderBy('id');
  const ids = tickets.map((t) => Number(t.id));
  const comments: Record<string, unknown>[] = ids.length
    ? await trx('support_ticket_entries').select('ticket_id', 'kind', 'body', 'created_at').whereIn('ticket_id', ids).where({ actor_contact_id: contactId }).orderBy('id')
    : [];
  event.add('support', {
    tickets: tickets.map((t) => ({
      number: t.number, subject: t.subject, description: t.description, category: t.category, priority: t.priority, status: t.status,
      youOpened: Number(t.opened_by_contact_id) === contactId, youOwn: Number(t.owner_contact_id) === contactId, created_at: t.created_at,
      yourEntries: comments.filter((c) => Number(c.ticket_id) === Number(t.id)).map((c) => ({ kind: c.kind, body: c.body, at: c.created_at })),
    })),
  });
}
