/**
 * The audit trail's export (GET /accounts/:a/audit/export.csv | .jsonl): the filtered trail,
 * streamed, formula-safe CSV and JSON lines with the hashes, for audit.view holders only, audited.
 */
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { AuditService, type Actor } from '../../server/audit/audit.service';
import { parseAuditFilter } from '../../server/audit/audit-filter';
import { AuditTrailRepository } from '../../server/audit/audit-trail.repository';
import { eventHash, personalIntact, readableDetails } from '../../server/audit/event-format';
import { addMember, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { auditEventsOf, decode, newAdmin, type Admin } from './helpers/contacts';

const FORBIDDEN = 'Você não tem permissão para acessar esta página.';
const NOT_FOUND = 'A página ou o registro que você procura não existe.';

async function download(agent: Agent, url: string) {
  const res = await agent.get(url).buffer(true).parse((stream, done) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => done(null, Buffer.concat(chunks)));
  });
  return { res, text: (res.body as Buffer).toString('utf8') };
}

const rowsOf = (text: string): string[][] => parse(text, { delimiter: ';', bom: true });
const linesOf = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('audit trail export', () => {
  let portal: TestPortal;
  const accountIds: number[] = [];
  const audit = new AuditService();

  before(async () => {
    portal = await sharedPortal();
  });

  const exportUrl = (s: Admin, format: 'csv' | 'jsonl', query = '') => `/accounts/${s.accountId}/audit/export.${format}${query ? `?${query}` : ''}`;
  const write = (s: Admin, actor: Actor, action: string, details: Record<string, unknown>, target?: { type: string; id: number | string }) =>
    portal.db.transaction((trx) => audit.record(trx, actor, { accountId: s.accountId, action, target, details }));
  const adminActor = (s: Admin): Actor => ({ userId: s.admin.userId, contactId: s.admin.contactId, name: s.admin.name, ip: '10.1.2.3', userAgent: 'Firefox' });

  /** An account whose trail has a few events of two people, one with a CPF and an e-mail. */
  async function withTrail() {
    const s = await newAdmin(portal, accountIds);
    await write(s, adminActor(s), 'contact.updated', { before: { name: 'Joana Antes', document_number: '12398224700' }, after: { name: 'Joana Depois', email: 'joana@trilha.test' } }, { type: 'contact', id: 77 });
    await write(s, { userId: null, contactId: 991, name: '=HYPERLINK("http://x.test";"oi")' }, 'group.created', { after: { name: 'Grupo A', flags: ['audit.view'] } }, { type: 'group', id: 5 });
    await write(s, adminActor(s), 'contact.deactivated', { before: { status: 'active' }, after: { status: 'deactivated' } }, { type: 'contact', id: 78 });
    return s;
  }

  it('CSV: UTF-8 with a BOM, a translated header, one row per event oldest first, personal values as people read them, formulas neutralised', async () => {
    const s = await withTrail();
    const { res, text } = await download(s.agent, exportUrl(s, 'csv'));
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.match(new RegExp(`^attachment; filename=auditoria-${s.accountId}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
    expect(res.headers['cache-control']).to.equal('no-store');
    const rows = rowsOf(text);
    expect(rows[0]).to.deep.equal(['id', 'data (UTC)', 'pessoa', 'id da pessoa', 'ação', 'alvo', 'detalhes', 'IP', 'navegador', 'requisição', 'hash', 'hash anterior', 'posição na cadeia']);
    const body = rows.slice(1);
    expect(body.map((r) => r[4])).to.deep.equal(['Perfil alterado', 'Grupo criado', 'Usuário desativado']);
    expect(body[0]!.slice(2, 4)).to.deep.equal([s.admin.name, String(s.admin.contactId)]);
    expect(JSON.parse(body[0]![6]!)).to.deep.equal({ before: { name: 'Joana Antes', document_number: '***.982.247-**' }, after: { name: 'Joana Depois', email: 'joana@trilha.test' } });
    expect([body[0]![5], body[0]![7], body[0]![8]]).to.deep.equal(['contact:77', '10.1.2.3', 'Firefox']);
    expect(body[1]![2]).to.equal(`'=HYPERLINK("http://x.test";"oi")`);
    expect(text).not.to.contain('12398224700');
    expect(body[2]![11]).to.equal(body[1]![10]);
    expect(body.map((r) => r[12])).to.deep.equal(['1', '2', '3']);
  });

  it('JSON lines: a header with the head it ends on, then every event with what its hash covers; each hash and digest checks out', async () => {
    const s = await withTrail();
    const { res, text } = await download(s.agent, exportUrl(s, 'jsonl'));
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/x-ndjson; charset=utf-8');
    const [header, ...events] = linesOf(text);
    expect(header).to.include({ type: 'header', format: 2, account_id: String(s.accountId), filtered: false, personal: 'included', anchor: null });
    expect(events).to.have.length(3);
    expect(header!.head).to.equal(events[2]!.hash);
    for (const e of events) {
      const row = { ...e, personal: JSON.stringify(e.personal) } as never;
      expect(eventHash(row)).to.equal(e.hash);
      expect(personalIntact(row)).to.equal(true);
    }
    expect(events[1]!.prev_hash).to.equal(events[0]!.hash);
    expect(readableDetails({ details: events[0]!.details as string, personal: JSON.stringify(events[0]!.personal) }).after).to.deep.equal({ name: 'Joana Depois', email: 'joana@trilha.test' });
  });

  it('personal=omit leaves every name, e-mail and CPF out, in both formats; the hashes stay', async () => {
    const s = await withTrail();
    for (const format of ['csv', 'jsonl'] as const) {
      const { text } = await download(s.agent, exportUrl(s, format, 'personal=omit'));
      for (const personal of ['Joana', 'joana@', '982.247', s.admin.name, 'HYPERLINK']) expect(text, `${format}: ${personal}`).not.to.contain(personal);
      expect(text).to.match(/[0-9a-f]{64}/);
    }
  });

  it('exports what the filter asks for: person, action, target, days, free text (also found in personal values)', async () => {
    const s = await withTrail();
    // Each export writes its own event: those are left out of what is compared.
    const actions = async (query: string) =>
      rowsOf((await download(s.agent, exportUrl(s, 'csv', query))).text).slice(1).map((r) => r[4]).filter((a) => a !== 'Trilha de auditoria exportada');
    expect(await actions(`person=${s.admin.contactId}`)).to.deep.equal(['Perfil alterado', 'Usuário desativado']);
    expect(await actions('action=group.created')).to.deep.equal(['Grupo criado']);
    expect(await actions('target_type=contact&target_id=78')).to.deep.equal(['Usuário desativado']);
    expect(await actions('target=contact:77')).to.deep.equal(['Perfil alterado']);
    expect(await actions('q=joana@trilha')).to.deep.equal(['Perfil alterado']);
    expect(await actions('q=deactivated')).to.deep.equal(['Usuário desativado']);
    const longAgo = '2020-01-01';
    expect(await actions(`from=${longAgo}&to=2020-01-31`)).to.deep.equal([]);
    expect(await actions(`from=${longAgo}`)).to.have.length(3);
    expect(await actions(`person=${s.admin.contactId}&from=${longAgo}&to=2999-12-31&q=active`)).to.deep.equal(['Usuário desativado']);
    const [header] = linesOf((await download(s.agent, exportUrl(s, 'jsonl', 'action=group.created'))).text);
    expect(header).to.include({ filtered: true });
    expect(header!.filter).to.deep.equal({ action: 'group.created' });
  });

  it('reads in keyset batches, oldest first, up to the newest event at the start', async () => {
    const s = await withTrail();
    const repo = new AuditTrailRepository();
    const all: { id: number; seq: number }[] = await portal.db('audit_events').where({ account_id: s.accountId }).orderBy('seq').select('id', 'seq');
    const seen: number[] = [];
    for await (const row of repo.everyInChainOrder(portal.db, s.accountId, parseAuditFilter({}), { after: 0, upTo: Number(all.at(-2)!.seq) }, 1)) seen.push(Number(row.id));
    expect(seen).to.deep.equal(all.slice(0, -1).map((r) => Number(r.id)));
  });

  it('records who exported, in which format, with which filter (free text kept apart) and how many events', async () => {
    const s = await withTrail();
    await download(s.agent, exportUrl(s, 'jsonl', 'q=Joana&action=contact.updated'));
    const events = (await auditEventsOf(portal.db, s.accountId)).filter((e) => e.action === 'audit.exported');
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ actor_contact_id: s.admin.contactId, actor_name: s.admin.name });
    expect(events[0]!.details).to.deep.equal({ format: 'jsonl', filter: { action: 'contact.updated', q: 'Joana' }, rows: 1, personal: 'included' });
    const raw = await portal.db('audit_events').where({ account_id: s.accountId, action: 'audit.exported' }).first();
    expect(raw.details).not.to.contain('Joana');
  });

  it('is refused (403) to a contact without audit.view, and nothing is audited', async () => {
    const s = await withTrail();
    for (const profile of ['member', 'observer']) {
      const person = await addMember(portal.db, s.accountId, { profile, name: 'Sem Auditoria' });
      const { agent } = await loggedIn(portal, person.email, PASSWORD);
      for (const format of ['csv', 'jsonl'] as const) {
        const { res, text } = await download(agent, exportUrl(s, format));
        expect(res.status, `${profile} ${format}`).to.equal(403);
        expect(decode(text)).to.contain(FORBIDDEN);
        expect(text).not.to.contain('Joana');
      }
    }
    expect((await auditEventsOf(portal.db, s.accountId)).map((e) => e.action)).not.to.include('audit.exported');
  });

  it("answers another account's id with 404, showing nothing of it", async () => {
    const mine = await newAdmin(portal, accountIds);
    const other = await withTrail();
    for (const format of ['csv', 'jsonl'] as const) {
      const { res, text } = await download(mine.agent, exportUrl(other, format));
      expect(res.status).to.equal(404);
      expect(decode(text)).to.contain(NOT_FOUND);
      expect(text).not.to.contain('Joana');
    }
    expect((await auditEventsOf(portal.db, other.accountId)).map((e) => e.action)).not.to.include('audit.exported');
  });
});
