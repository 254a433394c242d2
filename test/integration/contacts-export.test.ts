/**
 * "Exportar" (GET /accounts/:a/contacts.csv): the list as filtered, as the CSV file a spreadsheet
 * opens, streamed, for contacts.manage holders only, and audited.
 */
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { AuditService } from '../../server/audit/audit.service';
import { ContactExportService } from '../../server/contacts/contact-export.service';
import { ContactLedger } from '../../server/contacts/contact-ledger';
import type { NewContact } from '../../server/contacts/contacts.repository';
import { createI18n } from '../../server/i18n';
import { isoDate } from '../../server/i18n/format';
import { addMember, PASSWORD, uniqueEmail } from '../support/fixtures';
import { loggedIn, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { auditEventsOf, cpfStartingWith, decode, distinctCpf, expectCountersExact, listedNames, newAdmin, type Admin } from './helpers/contacts';

const HEADER = ['nome', 'email', 'cpf', 'pais', 'documento', 'ddd', 'telefone', 'perfil', 'consultoria'];
const FORBIDDEN = 'Você não tem permissão para acessar esta página.';
const NOT_FOUND = 'A página ou o registro que você procura não existe.';

/** The file as downloaded: its bytes, untouched by any text decoding. */
async function download(agent: Agent, url: string, headers: Record<string, string> = {}) {
  const res = await agent.get(url).set(headers).buffer(true).parse((stream, done) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => done(null, Buffer.concat(chunks)));
  });
  const bytes = res.body as Buffer;
  return { res, bytes, text: bytes.toString('utf8') };
}

/** The cells as a spreadsheet reads them (BOM dropped, quotes undone). */
const rowsOf = (text: string): string[][] => parse(text, { delimiter: ';', bom: true });

type Person = Partial<Omit<NewContact, 'account_id'>>;

describe('contacts export (CSV)', () => {
  let portal: TestPortal;
  const accountIds: number[] = [];

  before(async () => {
    portal = await sharedPortal();
  });

  after(async () => {
    await expectCountersExact(portal.db, accountIds);
  });

  const newAccount = (seatLimit = 99) => newAdmin(portal, accountIds, { seatLimit });
  const csvUrl = (s: Admin, query = '') => `${s.base}.csv${query ? `?${query}` : ''}`;

  /** Contacts written straight into the account (as the ledger does for every writer). */
  async function enter(s: Admin, people: Person[]): Promise<number[]> {
    const ledger = new ContactLedger(portal.db);
    return portal.db.transaction(async (trx) =>
      ledger.enter(trx, await ledger.lockAccount(trx, s.accountId), people.map((p) => ({
        user_id: null, status: 'active', profile: 'member', country: 'BR', name: 'Pessoa', email: uniqueEmail('export'), ...p,
      }))),
    );
  }

  it('is UTF-8 with a BOM and the import template header, one row per contact with its data as text', async () => {
    const s = await newAccount();
    const cpf = cpfStartingWith('012');
    await enter(s, [
      { name: 'Bruna Brasil', email: 'bruna@export.test', document_type: 'cpf', document_number: cpf, area_code: '11', phone: '987654321', consulting_authorized: true },
      { name: 'Carla Fixo', email: 'carla@export.test', document_type: 'cpf', document_number: distinctCpf(), area_code: '21', phone: '34567890', profile: 'observer' },
      { name: 'Paulo Portugal', email: 'paulo@export.test', country: 'PT', document_type: 'passport', document_number: 'AB123456', area_code: null, phone: '912345678', profile: 'custom' },
      { name: 'Diana Admin', email: 'diana@export.test', document_type: 'cpf', document_number: distinctCpf(), area_code: '31', phone: '998887777', profile: 'administrator' },
    ]);

    const { res, bytes, text } = await download(s.agent, csvUrl(s));
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.equal(`attachment; filename=contatos-active-${isoDate(new Date())}.csv`);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    expect(text.slice(1).split('\r\n')[0]).to.equal(HEADER.join(';'));
    expect(text.endsWith('\r\n')).to.equal(true);

    const masked = `${cpf.slice(0, 3)}.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-${cpf.slice(9)}`;
    expect(masked.startsWith('012.')).to.equal(true);
    expect(text).to.contain(`Bruna Brasil;bruna@export.test;${masked};BR;;11;98765-4321;Membro;sim\r\n`);
    const rows = rowsOf(text);
    expect(rows[0]).to.deep.equal(HEADER);
    expect(rows.slice(1).map((r) => r[0])).to.deep.equal(['Ana Administradora', 'Bruna Brasil', 'Carla Fixo', 'Diana Admin', 'Paulo Portugal']);
    const byName = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect(byName.get('Carla Fixo')!.slice(3)).to.deep.equal(['BR', '', '21', '3456-7890', 'Observador (não pode baixar documentos)', 'não']);
    expect(byName.get('Paulo Portugal')!.slice(2)).to.deep.equal(['', 'PT', 'passport: AB123456', '', '91234-5678', 'Personalizado', 'não']);
    expect(byName.get('Diana Admin')![7]).to.equal('Administrador');
  });

  it("labels the profile and sim/não in the reader's language; the header stays the template's", async () => {
    const s = await newAccount();
    await enter(s, [{ name: 'Bruna Brasil', document_type: 'cpf', document_number: distinctCpf(), area_code: '11', phone: '987654321', consulting_authorized: true }]);
    const cells = async (language: string) => rowsOf((await download(s.agent, csvUrl(s, 'q=bruna'), { 'Accept-Language': language })).text);
    expect((await cells('pt-BR'))[1]!.slice(7)).to.deep.equal(['Membro', 'sim']);
    const es = await cells('es');
    expect(es[0]).to.deep.equal(HEADER);
    expect(es[1]!.slice(7)).to.deep.equal(['Miembro', 'sí']);
    expect((await cells('en'))[1]!.slice(7)).to.deep.equal(['Member', 'yes']);
  });

  it('exports the tab, search and order the list shows, every row of them and nothing else', async () => {
    const s = await newAccount();
    await enter(s, [
      { name: 'Silvia Ativa' }, { name: 'Silvio Ativo' }, { name: 'Roberta Ativa' },
      { name: 'Silvana Desativada', status: 'deactivated' }, { name: 'Sílvio Desativado', status: 'deactivated' }, { name: 'Marcos Desativado', status: 'deactivated' },
      { name: 'Silas Pendente', status: 'pending' },
    ]);
    for (const query of ['status=deactivated&q=silv', 'q=silv', 'q=silv&sort=created', 'status=pending', 'status=deactivated&sort=created', 'q=zzz']) {
      const { res, text } = await download(s.agent, csvUrl(s, query));
      expect(res.status, query).to.equal(200);
      const listed = listedNames((await s.agent.get(`${s.base}?${query}`)).text);
      expect(rowsOf(text).slice(1).map((r) => r[0]), query).to.deep.equal(listed);
    }
    expect(rowsOf((await download(s.agent, csvUrl(s, 'status=deactivated&q=silv'))).text).slice(1).map((r) => r[0])).to.deep.equal(['Silvana Desativada', 'Sílvio Desativado']);
    expect((await download(s.agent, csvUrl(s, 'status=deactivated'))).res.headers['content-disposition']).to.match(/^attachment; filename=contatos-deactivated-\d{4}-\d{2}-\d{2}\.csv$/);
    // A tab that does not exist is the list's default tab, as on the list.
    expect(rowsOf((await download(s.agent, csvUrl(s, 'status=bogus&q=silv'))).text).slice(1).map((r) => r[0])).to.deep.equal(['Silvia Ativa', 'Silvio Ativo']);
  });

  it('neutralises names a spreadsheet would run as formulas; numbers keep their digits', async () => {
    const s = await newAccount();
    const cpf = cpfStartingWith('001');
    const names = ['=1+1', '+55 Ana', '-Maria', '@Joana', '\tTabulada', '\rRetorno', '=HYPERLINK("http://x.test";"oi")'];
    await enter(s, names.map((name, i) => ({ name, document_type: 'cpf', document_number: i === 0 ? cpf : distinctCpf(), area_code: '11', phone: '987654321' })));
    const { text } = await download(s.agent, csvUrl(s));
    const rows = rowsOf(text).slice(1).filter((r) => r[0] !== 'Ana Administradora');
    expect(rows.map((r) => r[0]).sort()).to.deep.equal(names.map((n) => `'${n}`).sort());
    const first = rows.find((r) => r[0] === "'=1+1")!;
    expect(first[2]).to.equal(`${cpf.slice(0, 3)}.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-${cpf.slice(9)}`);
    expect(first[6]).to.equal('98765-4321');
  });

  it('is refused (403) to a contact without contacts.manage, and nothing is audited', async () => {
    const s = await newAccount();
    for (const profile of ['member', 'observer']) {
      const person = await addMember(portal.db, s.accountId, { profile, name: 'Sem Permissão' });
      const { agent } = await loggedIn(portal, person.email, PASSWORD);
      const { res, text } = await download(agent, csvUrl(s));
      expect(res.status, profile).to.equal(403);
      expect(decode(text), profile).to.contain(FORBIDDEN);
      expect(text, profile).not.to.contain('Ana Administradora');
    }
    expect((await auditEventsOf(portal.db, s.accountId)).map((e) => e.action)).not.to.include('contacts.exported');
  });

  it("answers another account's id with 404, showing nothing of it", async () => {
    const mine = await newAccount();
    const other = await newAccount();
    await enter(other, [{ name: 'Outra Empresa Pessoa' }]);
    const { res, text } = await download(mine.agent, csvUrl(other));
    expect(res.status).to.equal(404);
    expect(decode(text)).to.contain(NOT_FOUND);
    expect(text).not.to.contain('Outra Empresa Pessoa');
    expect((await auditEventsOf(portal.db, other.accountId)).map((e) => e.action)).not.to.include('contacts.exported');
  });

  it('records who exported, with which filter, and how many rows', async () => {
    const s = await newAccount();
    await enter(s, [{ name: 'Silvia Um' }, { name: 'Silvia Dois' }, { name: 'Roberto Tres' }]);
    await download(s.agent, csvUrl(s, 'q=silvia&sort=created'));
    const events = (await auditEventsOf(portal.db, s.accountId)).filter((e) => e.action === 'contacts.exported');
    expect(events).to.have.length(1);
    expect(events[0]!.actor_contact_id).to.equal(s.admin.contactId);
    expect(events[0]!.actor_name).to.equal(s.admin.name);
    expect(events[0]!.details).to.deep.equal({ filter: { status: 'active', sort: 'created', q: 'silvia' }, rows: 2 });
  });

  it("the list's Exportar link carries the tab, search and order, and follows an HTMX search", async () => {
    const s = await newAccount();
    const page = await s.agent.get(`${s.base}?status=deactivated&q=silv&sort=created`);
    expect(page.text).to.match(new RegExp(`<a id="contacts-export" class="button" href="${s.base}\\.csv\\?status=deactivated&amp;q=silv&amp;sort=created">Exportar</a>`));
    const fragment = await s.agent.get(`${s.base}?q=roberta`).set('HX-Request', 'true').set('HX-Target', 'contacts-results');
    expect(fragment.text).to.match(new RegExp(`<a id="contacts-export" class="button" href="${s.base}\\.csv\\?status=active&amp;q=roberta" hx-swap-oob="true">Exportar</a>`));
  });

  it('streams every row of a large list, in list order, across its batches', async () => {
    const s = await newAccount(3100);
    // Few distinct names: rows of one name cross the 1,000-row batches, which must neither skip nor repeat them.
    const people = Array.from({ length: 3000 }, (_, i) => ({ name: `Pessoa ${String(i % 7)}`, email: `p${i}@grande.test` }));
    for (let i = 0; i < people.length; i += 500) await enter(s, people.slice(i, i + 500));
    const { res, text } = await download(s.agent, csvUrl(s));
    expect(res.status).to.equal(200);
    const lines = text.split('\r\n');
    expect(lines.pop()).to.equal('');
    expect(lines).to.have.length(1 + 3001);
    const rows = rowsOf(text).slice(1);
    expect(new Set(rows.map((r) => r[1])).size).to.equal(3001);
    const names = rows.map((r) => r[0]!);
    expect(names).to.deep.equal([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const events = (await auditEventsOf(portal.db, s.accountId)).filter((e) => e.action === 'contacts.exported');
    expect(events.map((e) => (e.details as { rows?: number }).rows)).to.deep.equal([3001]);
  });

  it('an export read halfway holds no database connection (SQLite has only one)', async () => {
    const s = await newAccount(1200);
    await enter(s, Array.from({ length: 1100 }, (_, i) => ({ name: `Lenta ${i}`, email: `l${i}@lenta.test` })));
    const exporter = new ContactExportService(portal.db, new AuditService());
    const t = (await createI18n()).t;
    const rows = exporter.export({ accountId: s.accountId, actor: { userId: s.admin.userId, contactId: s.admin.contactId, name: s.admin.name } }, {}, t).rows[Symbol.asyncIterator]();
    expect((await rows.next()).value?.[0]).to.equal('Ana Administradora');
    // The reader pauses: the database answers others meanwhile.
    const answered = await Promise.race([
      portal.db('contacts').where({ account_id: s.accountId }).count({ n: '*' }).then((r) => Number(r[0]!.n)),
      new Promise((resolve) => setTimeout(() => resolve('no connection within 3 s'), 3000)),
    ]);
    expect(answered).to.equal(1101);
    await rows.return!(undefined);
    // Stopped after one row: recorded as such.
    const events = (await auditEventsOf(portal.db, s.accountId)).filter((e) => e.action === 'contacts.exported');
    expect(events.map((e) => e.details)).to.deep.equal([{ filter: { status: 'active', sort: 'name', q: '' }, rows: 1, complete: false }]);
  });
});
