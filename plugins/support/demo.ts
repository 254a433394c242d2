import type { Knex } from 'knex';
import type { AccountContacts } from 'portal/plugin';
import { addEntry, insertTicket } from './repository';

const DEMO_TICKETS = [
  { subject: 'Erro ao emitir nota fiscal eletrônica', category: 'incident', priority: 'high', status: 'open', bpo: false, description: 'Ao transmitir a NF-e o sistema retorna "Rejeição 539: duplicidade de NF-e". A nota não foi emitida antes.' },
  { subject: 'Dúvida sobre o fechamento da folha', category: 'question', priority: 'medium', status: 'in_progress', bpo: true, description: 'Como lançar horas extras de dezembro que serão pagas em janeiro?' },
  { subject: 'Liberar acesso ao módulo de compras', category: 'request', priority: 'low', status: 'waiting', bpo: false, description: 'Precisamos liberar o módulo de compras para a nova analista.' },
  { subject: 'Boleto de novembro com valor divergente', category: 'billing', priority: 'medium', status: 'open', bpo: true, description: 'O boleto veio com valor maior do que o contrato prevê.' },
  { subject: 'Lentidão no relatório de estoque', category: 'incident', priority: 'urgent', status: 'open', bpo: false, description: 'O relatório de posição de estoque leva mais de 10 minutos desde a atualização.' },
  { subject: 'Conciliação bancária terceirizada de outubro', category: 'request', priority: 'medium', status: 'resolved', bpo: true, description: 'Enviar a conciliação de outubro com os extratos anexos.' },
  { subject: 'Certificado digital vencendo', category: 'question', priority: 'high', status: 'closed', bpo: false, description: 'Nosso certificado A1 vence semana que vem: como atualizar no sistema?' },
] as const;

/** Demo tickets spread over the first active contacts (by id) of the account, read through the directory. */
export async function seedDemoTickets(trx: Knex.Transaction, account: { id: number; index: number }, contacts: AccountContacts): Promise<void> {
  if (await trx('support_tickets').where({ account_id: account.id }).first()) return; // re-runs add nothing
  const people = (await contacts.listActive()).sort((a, b) => a.id - b.id).slice(0, 6);
  if (people.length === 0) return;
  for (const [i, demo] of DEMO_TICKETS.entries()) {
    const person = people[(i + account.index) % people.length]!;
    const id = await insertTicket(trx, { account_id: account.id, owner_contact_id: person.id, opened_by_contact_id: person.id, ...demo });
    await addEntry(trx, id, { kind: 'opened', actor_contact_id: person.id, actor_name: person.name });
    if (demo.status !== 'open') {
      await addEntry(trx, id, { kind: 'comment', actor_contact_id: person.id, actor_name: person.name, body: 'Segue o detalhe solicitado pelo analista.' });
    }
  }
}
