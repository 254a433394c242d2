import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { cpf } from 'cpf-cnpj-validator';
import type { Knex } from 'knex';
import { eventHash, maskCpf, personalIntact, type EventRow } from '../../server/audit/event-format';
import { isMysql } from '../../server/db/knex';
import { activatePending, addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { decode, distinctCpf, validContact } from './helpers/contacts';
import { ageSessions } from './helpers/security';

/** Every row of every table of the database, as text: where a trace of a person would show. */
async function dumpEveryTable(db: Knex): Promise<string> {
  const tables: string[] = isMysql(db)
    ? (await db.raw('select table_name as name from information_schema.tables where table_schema = database()'))[0].map((r: { name?: string; NAME?: string; TABLE_NAME?: string }) => r.name ?? r.NAME ?? r.TABLE_NAME)
    : (await db('sqlite_master').select('name').where({ type: 'table' })).map((r: { name: string }) => r.name);
  expect(tables).to.include.members(['contacts', 'audit_events', 'mail_outbox', 'invitations', 'import_job_issues', 'support_ticket_entries', 'users', 'sessions']);
  const parts: string[] = [];
  for (const table of tables) parts.push(`${table}: ${JSON.stringify(await db(table).select('*'))}`);
  return parts.join('\n');
}

/** The account's chain as `audit:verify` walks it: each hash recomputed, linked to the previous, personal values intact. */
async function chainVerifies(db: Knex, accountId: number | null): Promise<void> {
  const q = db('audit_events').orderBy('id');
  if (accountId === null) q.whereNull('account_id');
  else q.where({ account_id: accountId });
  let prev: string | null = null;
  for (const row of (await q) as (EventRow & { id: number; hash: string })[]) {
    expect(row.prev_hash, `event ${row.id} links to the previous`).to.equal(prev);
    expect(eventHash(row), `event ${row.id} hash`).to.equal(row.hash);
    expect(personalIntact(row), `event ${row.id} personal values`).to.equal(true);
    prev = row.hash;
  }
}

describe('LGPD: "Excluir dados pessoais"', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  /** A person with a login, added through the form (invitation, mail, trail), who then acted in the company. */
  async function companyWithPerson() {
    const account = await createAccount(portal.db);
    const owner = await loggedIn(portal, account.admin.email, PASSWORD);
    const digits = distinctCpf();
    const name = `Zuleica Apagável ${randomBytes(3).toString('hex')}`;
    const form = validContact({ name, document: cpf.format(digits) });
    const email = form.email!;
    expect((await owner.agent.post(`/accounts/${account.accountId}/contacts`).type('form').send({ _csrf: owner.csrf, ...form })).status).to.equal(303);
    const contact = await portal.db('contacts').where({ account_id: account.accountId, email }).first();
    await activatePending(portal.db, account.accountId, contact.id);
    // As if the person had accepted: their login, linked to the contact.
    const [userId] = await portal.db('users').insert({ email, name, password_hash: null, created_at: new Date(), updated_at: new Date() }).returning('id').then((r) => r.map((x: number | { id: number }) => (typeof x === 'number' ? x : x.id)));
    await portal.db('contacts').where({ id: contact.id }).update({ user_id: userId });
    expect((await owner.agent.post(`/accounts/${account.accountId}/contacts/${contact.id}/edit`).type('form').send({ _csrf: owner.csrf, ...form, phone: '91234-5678' })).status).to.equal(303);
    // Traces in a plugin's table and an import's messages (a padded CPF quoted back).
    const [ticketId] = await portal.db('support_tickets').insert({ account_id: account.accountId, owner_contact_id: account.admin.contactId, opened_by_contact_id: contact.id, number: 1, subject: 'Impressora', description: `Falar com ${name} (${email})`, category: 'question', priority: 'low', status: 'open', bpo: false, created_at: new Date(), updated_at: new Date() }).returning('id').then((r) => r.map((x: number | { id: number }) => (typeof x === 'number' ? x : x.id)));
    await portal.db('support_ticket_entries').insert({ ticket_id: ticketId, kind: 'comment', actor_contact_id: contact.id, actor_name: name, body: 'Obrigada', created_at: new Date() });
    const [jobId] = await portal.db('import_jobs').insert({ account_id: account.accountId, file_name: 'x.csv', file_bytes: 10, stored_name: randomBytes(8).toString('hex'), locale: 'pt-BR', state: 'previewed', created_at: new Date(), updated_at: new Date() }).returning('id').then((r) => r.map((x: number | { id: number }) => (typeof x === 'number' ? x : x.id)));
    await portal.db('import_job_issues').insert({ job_id: jobId, phase: 'preview', line: 2, column_name: 'cpf', message_key: 'imports.cell.cpfPadded', params: JSON.stringify({ cpf: cpf.format(digits) }), severity: 'warning' });
    return { ...account, owner, person: { id: Number(contact.id), userId: Number(userId), name, email, digits } };
  }

  const privacy = (accountId: number) => `/accounts/${accountId}/privacy`;
  /** The page a refusal or success is redirected to, as the administrator reads it. */
  const follow = async (c: { owner: { agent: Agent } }, res: { headers: Record<string, string> }) => decode((await c.owner.agent.get(res.headers.location!)).text);

  it('a deleted person: listed under the company\'s LGPD page, erased from every table, the trail still verifies', async () => {
    const c = await companyWithPerson();
    const del = await c.owner.agent.post(`/accounts/${c.accountId}/contacts/${c.person.id}/delete`).type('form').send({ _csrf: c.owner.csrf, confirming: '1' });
    expect(del.status).to.equal(303);
    const page = decode((await c.owner.agent.get(privacy(c.accountId))).text);
    expect(page).to.contain('Pessoas removidas com dados pessoais guardados');
    expect(page).to.contain(c.person.name);
    const confirm = decode((await c.owner.agent.get(`${privacy(c.accountId)}/erase/${c.person.id}`)).text);
    expect(confirm).to.contain('Excluir dados pessoais definitivamente');

    const before = await dumpEveryTable(portal.db);
    expect(before).to.contain(c.person.email); // the test can see a trace when there is one
    expect(before).to.contain(c.person.name);
    expect(before).to.contain(cpf.format(c.person.digits));

    const res = await c.owner.agent.post(`${privacy(c.accountId)}/erase/${c.person.id}`).type('form').send({ _csrf: c.owner.csrf });
    expect(res.status).to.equal(303);
    const after = await follow(c, res);
    expect(after).to.match(/Dados pessoais excluídos\. A pessoa aparece agora como Pessoa removida #[0-9a-f]{6}\./);
    expect(after).to.contain('Nenhuma pessoa removida com dados guardados.');

    const dump = await dumpEveryTable(portal.db);
    const d = c.person.digits;
    for (const trace of [c.person.email, c.person.name, d, cpf.format(d), maskCpf(d), `${d.slice(3, 6)}.${d.slice(6, 9)}`]) expect(dump, trace).not.to.contain(trace);
    expect(await portal.db('users').where({ id: c.person.userId }).first()).to.equal(undefined);
    await chainVerifies(portal.db, c.accountId);
    await chainVerifies(portal.db, null);
    const erased = await portal.db('audit_events').where({ account_id: c.accountId, action: 'contact.erased' });
    expect(erased).to.have.length(1);
    expect(erased[0].target_id).to.equal(String(c.person.id));
    expect(JSON.parse(erased[0].details)).to.include({ was: 'deleted', login: 'erased' });
    const pseudonym = JSON.parse(erased[0].details).pseudonym as string;
    // The same pseudonym everywhere the person was named.
    expect((await portal.db('support_ticket_entries').where({ actor_contact_id: c.person.id }).first()).actor_name).to.equal(pseudonym);
    const created = await portal.db('audit_events').where({ account_id: c.accountId, action: 'contact.created', target_id: String(c.person.id) }).first();
    expect(JSON.parse(created.personal)['/after/name']).to.equal(pseudonym);
  });

  it('a person deactivated for the erasure period: the row goes, the counters follow; twice is harmless', async () => {
    const c = await companyWithPerson();
    await c.owner.agent.post(`/accounts/${c.accountId}/contacts/${c.person.id}/deactivate`).type('form').send({ _csrf: c.owner.csrf, confirming: '1' });
    expect((await portal.db('contacts').where({ id: c.person.id }).first()).status).to.equal('deactivated');

    const soon = await c.owner.agent.post(`${privacy(c.accountId)}/erase/${c.person.id}`).type('form').send({ _csrf: c.owner.csrf });
    expect(await follow(c, soon)).to.match(/Esta pessoa está desativada há menos de 30 dias \(o prazo da empresa\): a exclusão será possível a partir de \d{2}\/\d{2}\/\d{4}/);
    expect(await portal.db('contacts').where({ id: c.person.id }).first()).not.to.equal(undefined);

    await portal.db('contacts').where({ id: c.person.id }).update({ deactivated_at: new Date(Date.now() - 31 * 86_400_000) });
    expect(decode((await c.owner.agent.get(privacy(c.accountId))).text)).to.contain('Excluir dados pessoais');
    const res = await c.owner.agent.post(`${privacy(c.accountId)}/erase/${c.person.id}`).type('form').send({ _csrf: c.owner.csrf });
    expect(await follow(c, res)).to.contain('Dados pessoais excluídos.');
    expect(await portal.db('contacts').where({ id: c.person.id }).first()).to.equal(undefined);
    const account = await portal.db('accounts').where({ id: c.accountId }).first();
    expect(Number(account.deactivated_count)).to.equal(0);
    const dump = await dumpEveryTable(portal.db);
    for (const trace of [c.person.email, c.person.name, c.person.digits, cpf.format(c.person.digits)]) expect(dump, trace).not.to.contain(trace);
    await chainVerifies(portal.db, c.accountId);

    const again = await c.owner.agent.post(`${privacy(c.accountId)}/erase/${c.person.id}`).type('form').send({ _csrf: c.owner.csrf });
    expect(await follow(c, again)).to.contain('Os dados pessoais desta pessoa já foram excluídos.');
    expect(await portal.db('audit_events').where({ account_id: c.accountId, action: 'contact.erased' })).to.have.length(1);
  });

  it('an active person cannot be erased, with a message that says why', async () => {
    const c = await companyWithPerson();
    const res = await c.owner.agent.post(`${privacy(c.accountId)}/erase/${c.person.id}`).type('form').send({ _csrf: c.owner.csrf });
    expect(await follow(c, res)).to.contain('Só é possível excluir os dados pessoais de uma pessoa removida ou desativada.');
    expect((await portal.db('contacts').where({ id: c.person.id }).first()).email).to.equal(c.person.email);
  });

  it('a member without account.settings gets 403; another company\'s contact is a 404', async () => {
    const c = await companyWithPerson();
    await c.owner.agent.post(`/accounts/${c.accountId}/contacts/${c.person.id}/delete`).type('form').send({ _csrf: c.owner.csrf, confirming: '1' });
    const member = await addMember(portal.db, c.accountId, { profile: 'member' });
    const m = await loggedIn(portal, member.email, PASSWORD);
    expect((await m.agent.get(privacy(c.accountId))).status).to.equal(403);
    expect((await m.agent.post(`${privacy(c.accountId)}/erase/${c.person.id}`).type('form').send({ _csrf: m.csrf })).status).to.equal(403);
    expect((await m.agent.post(`${privacy(c.accountId)}/settings`).type('form').send({ _csrf: m.csrf, erasureDays: '0' })).status).to.equal(403);

    const other = await createAccount(portal.db);
    const stranger = await loggedIn(portal, other.admin.email, PASSWORD);
    expect((await stranger.agent.post(`${privacy(other.accountId)}/erase/${c.person.id}`).type('form').send({ _csrf: stranger.csrf })).status).to.equal(404);
    expect((await stranger.agent.get(`${privacy(other.accountId)}/erase/${c.person.id}`)).status).to.equal(404);
    expect(await dumpEveryTable(portal.db)).to.contain(c.person.email);
  });

  it('a session without a fresh step-up is sent to confirm, and nothing is erased', async () => {
    const c = await companyWithPerson();
    await c.owner.agent.post(`/accounts/${c.accountId}/contacts/${c.person.id}/delete`).type('form').send({ _csrf: c.owner.csrf, confirming: '1' });
    await ageSessions(portal.db, c.admin.userId, 16);
    const res = await c.owner.agent.post(`${privacy(c.accountId)}/erase/${c.person.id}`).type('form').send({ _csrf: c.owner.csrf });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/step-up');
    expect(await portal.db('audit_events').where({ account_id: c.accountId, action: 'contact.erased' })).to.have.length(0);
    expect(await portal.db('users').where({ id: c.person.userId }).first()).not.to.equal(undefined);
  });

  it('the erasure period is the company\'s setting, audited, and checked', async () => {
    const c = await companyWithPerson();
    const bad = await c.owner.agent.post(`${privacy(c.accountId)}/settings`).type('form').send({ _csrf: c.owner.csrf, erasureDays: 'muito' });
    expect(bad.status).to.equal(422);
    expect(decode(bad.text)).to.contain('Informe um número inteiro de dias entre 0 e 3650.');
    const ok = await c.owner.agent.post(`${privacy(c.accountId)}/settings`).type('form').send({ _csrf: c.owner.csrf, erasureDays: '0' });
    expect(ok.status).to.equal(303);
    expect((await portal.db('accounts').where({ id: c.accountId }).first()).erasure_days).to.equal(0);
    expect(await portal.db('audit_events').where({ account_id: c.accountId, action: 'account.erasure_days_changed' })).to.have.length(1);
    // With no period, a person deactivated a moment ago may be erased.
    await c.owner.agent.post(`/accounts/${c.accountId}/contacts/${c.person.id}/deactivate`).type('form').send({ _csrf: c.owner.csrf, confirming: '1' });
    const res = await c.owner.agent.post(`${privacy(c.accountId)}/erase/${c.person.id}`).type('form').send({ _csrf: c.owner.csrf });
    expect(await follow(c, res)).to.contain('Dados pessoais excluídos.');
  });

  it('a login that another company still holds is kept: only this company\'s traces go', async () => {
    const c = await companyWithPerson();
    const elsewhere = await createAccount(portal.db);
    await addMember(portal.db, elsewhere.accountId, { email: c.person.email, name: c.person.name });
    await c.owner.agent.post(`/accounts/${c.accountId}/contacts/${c.person.id}/delete`).type('form').send({ _csrf: c.owner.csrf, confirming: '1' });
    await c.owner.agent.post(`${privacy(c.accountId)}/erase/${c.person.id}`).type('form').send({ _csrf: c.owner.csrf });
    expect(await portal.db('users').where({ id: c.person.userId }).first()).not.to.equal(undefined);
    const mine = await portal.db('audit_events').where({ account_id: c.accountId }).select('personal');
    expect(JSON.stringify(mine)).not.to.contain(c.person.email);
    expect(JSON.parse((await portal.db('audit_events').where({ account_id: c.accountId, action: 'contact.erased' }).first()).details)).to.include({ login: 'kept' });
  });
});
