/**
 * What bench/pages adds to the contacts bench's seed (bench/contacts-seed.ts) so every page a
 * person opens often has something to show: in the typical account and the big one, a manager who
 * is not the primary administrator (profile "administrator", an explicit grant and two groups, so
 * the request reads their flags), three groups, and in the typical account 40 support tickets with
 * their history.
 */
import type { Knex } from 'knex';
import { ContactRepository } from '../server/contacts/contacts.repository';
import { addEntry, insertTicket } from '../plugins/support/repository';
import { BIG_ACCOUNT_ID, PASSWORD, TYPICAL_ACCOUNTS } from './contacts-seed';
import { listQueryOf } from './search-timings';

export interface PageAccount {
  id: number;
  /** The manager who browses the pages. */
  email: string;
  /** Another active contact: the contact page and the permission editor show it. */
  otherContactId: number;
  /** A ticket with history (typical account only). */
  ticketId: number | null;
}

const MANAGER_USER_OFFSET = 1_000_000;
export const MANAGER_PASSWORD = PASSWORD;

/** The first typical account where "silva" finds someone: the search scenario needs rows. */
export async function typicalAccountWithSilva(db: Knex): Promise<number> {
  const repo = new ContactRepository();
  for (let id = 1; id <= TYPICAL_ACCOUNTS; id++) if ((await repo.list(db, listQueryOf(id, 'silva'))).length > 0) return id;
  throw new Error('no typical account has a Silva');
}

async function seedAccount(db: Knex, accountId: number, withTickets: boolean): Promise<PageAccount> {
  const owner = await db('accounts as a').join('contacts as c', 'c.id', 'a.owner_contact_id').where('a.id', accountId).first('c.id', 'c.user_id');
  const [manager, other] = await db('contacts').select('id', 'name', 'email').where({ account_id: accountId, status: 'active', profile: 'member' }).whereNot('id', owner.id).orderBy('id').limit(2);
  if (!manager || !other) throw new Error(`account ${accountId} has too few active members`);
  const userId = MANAGER_USER_OFFSET + accountId;
  const now = new Date();
  await db.transaction(async (trx) => {
    const hash = (await trx('users').where({ id: owner.user_id }).first('password_hash')).password_hash;
    await trx('users').insert({ id: userId, email: manager.email, name: manager.name, password_hash: hash, locale: 'pt-BR', verified_at: now, created_at: now, updated_at: now });
    await trx('contacts').where({ id: manager.id }).update({ user_id: userId, profile: 'administrator' });
    await trx('contact_permissions').insert({ contact_id: manager.id, permission_key: 'contacts.import' });
    const groups = [];
    for (const [name, flags] of [['Financeiro', ['documents.download', 'support.bpo-full']], ['Suporte', ['support.portal', 'support.transfer']], ['Auditoria', ['audit.view']]] as const) {
      const [id] = await trx('groups').insert({ account_id: accountId, name, description: null, created_at: now, updated_at: now });
      groups.push(Number(id));
      await trx('group_permissions').insert(flags.map((permission_key) => ({ group_id: Number(id), permission_key })));
    }
    await trx('group_members').insert([{ contact_id: manager.id, group_id: groups[0] }, { contact_id: manager.id, group_id: groups[1] }, { contact_id: other.id, group_id: groups[2] }]);
  });
  let ticketId: number | null = null;
  if (withTickets) {
    await db.transaction(async (trx) => {
      const statuses = ['open', 'in_progress', 'waiting', 'resolved', 'closed'] as const;
      for (let i = 0; i < 40; i++) {
        const by = i % 2 ? manager : other;
        const id = await insertTicket(trx, {
          account_id: accountId, owner_contact_id: by.id, opened_by_contact_id: by.id, subject: `Chamado de teste número ${i + 1}: nota fiscal rejeitada`,
          description: 'Ao transmitir a NF-e o sistema retorna "Rejeição 539: duplicidade de NF-e". A nota não foi emitida antes.',
          category: 'incident', priority: 'medium', status: statuses[i % statuses.length]!, bpo: i % 3 === 0,
        } as Parameters<typeof insertTicket>[1]);
        await addEntry(trx, id, { kind: 'opened', actor_contact_id: by.id, actor_name: by.name });
        for (let c = 0; c < 4; c++) await addEntry(trx, id, { kind: 'comment', actor_contact_id: by.id, actor_name: by.name, body: 'Segue o detalhe solicitado pelo analista, com o número da nota e o XML.' });
        ticketId = id;
      }
    });
  }
  return { id: accountId, email: manager.email, otherContactId: other.id, ticketId };
}

/** Adds the managers, groups and tickets (once: a reused database keeps them) and says who browses where. */
export async function seedPages(db: Knex): Promise<{ typical: PageAccount; big: PageAccount }> {
  const typicalId = await typicalAccountWithSilva(db);
  const existing = async (accountId: number): Promise<PageAccount | null> => {
    const manager = await db('contacts').where({ account_id: accountId, user_id: MANAGER_USER_OFFSET + accountId }).first('id', 'email');
    if (!manager) return null;
    const other = await db('contacts').select('id').where({ account_id: accountId, status: 'active', profile: 'member' }).whereNot('id', manager.id).orderBy('id').offset(0).first();
    const other2 = await db('group_members as gm').join('groups as g', 'g.id', 'gm.group_id').where({ 'g.account_id': accountId, 'g.name': 'Auditoria' }).first('gm.contact_id');
    const ticket = await db('support_tickets').where({ account_id: accountId }).max({ id: 'id' }).first();
    return { id: accountId, email: manager.email, otherContactId: Number(other2?.contact_id ?? other.id), ticketId: ticket?.id ? Number(ticket.id) : null };
  };
  const typical = (await existing(typicalId)) ?? (await seedAccount(db, typicalId, true));
  const big = (await existing(BIG_ACCOUNT_ID)) ?? (await seedAccount(db, BIG_ACCOUNT_ID, false));
  return { typical, big };
}
