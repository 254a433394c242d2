import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, startPortal, type TestPortal } from '../support/portal';
import { createAccount } from '../support/fixtures';
import { contactsOf, countersOf, decode, expectCountersExact, newAdmin, type Admin } from './helpers/contacts';
import { confirmed, csvOf, HEADER, importsBase, line, person, previewed, textOf, upload } from './helpers/imports';

/**
 * "Importar usuários" fed what real people upload by mistake: each is answered in words, and
 * nothing of the company is written (no contact, no counter, no invitation, no audit event).
 */
describe('Importar usuários: bad input', () => {
  let portal: TestPortal;
  const accountIds: number[] = [];

  before(async () => {
    portal = await sharedPortal();
  });

  after(async () => {
    await expectCountersExact(portal.db, accountIds);
  });

  const snapshot = async (accountId: number) => ({
    contacts: (await contactsOf(portal.db, accountId)).length,
    counters: await countersOf(portal.db, accountId),
    invitations: Number((await portal.db('invitations').where({ account_id: accountId }).count({ n: '*' }).first())!.n),
    events: Number((await portal.db('audit_events').where({ account_id: accountId }).count({ n: '*' }).first())!.n),
  });

  /** Uploads `bytes` and answers what the person reads: the upload page's refusal, or the job page's. */
  async function answerTo(s: Admin, bytes: Buffer, options: Parameters<typeof upload>[2] = {}): Promise<{ status: number; text: string }> {
    const res = await upload(s, bytes, options);
    if (res.status !== 303) return { status: res.status, text: textOf(res.text) };
    await portal.imports.idle();
    const page = await s.agent.get(res.headers.location);
    return { status: page.status, text: textOf(page.text) };
  }

  async function expectRefused(bytes: Buffer, message: string | RegExp, status?: number) {
    const s = await newAdmin(portal, accountIds);
    const before = await snapshot(s.accountId);
    const answer = await answerTo(s, bytes);
    if (typeof message === 'string') expect(answer.text).to.contain(message);
    else expect(answer.text).to.match(message);
    if (status) expect(answer.status).to.equal(status);
    expect(answer.text).not.to.contain('Confirmar importação');
    expect(await snapshot(s.accountId)).to.deep.equal(before);
  }

  it('an empty file', () => expectRefused(Buffer.alloc(0), 'O arquivo está vazio.', 422));

  it('a header and no rows', () => expectRefused(Buffer.from(`${HEADER}\r\n`), 'O arquivo tem só o cabeçalho', 422));

  it('an image renamed .csv', () => expectRefused(Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex'), 'O arquivo não é um CSV', 422));

  it('a single 5 MB line', () => expectRefused(Buffer.from('a'.repeat(5 * 1024 * 1024)), /a linha passa de \d+ KB/, 422));

  it('an unclosed quote', () => expectRefused(Buffer.from(`${HEADER}\r\n${line(person())}\r\n"Aspas Sem Fim;x@example.test;;BR;;11;98765-4321;;\r\n${line(person())}\r\n`), /Linha 3: há aspas \(\"\) abertas que não foram fechadas\./));

  it('invalid UTF-8 after valid accents', () =>
    expectRefused(Buffer.concat([Buffer.from(`${HEADER}\r\n${line(person({ nome: 'José Conceição' }))}\r\n`), Buffer.from([0x4d, 0xe3, 0x6f, 0x3b]), Buffer.from(`x@example.test;;BR;;11;98765-4321;;\r\n`)]), /não é UTF-8 válido/));

  it('a duplicated header', () => expectRefused(Buffer.from(`nome;email;cpf;ddd;telefone;Email\r\n${['Ana', 'a@example.test', '', '11', '98765-4321', 'b@example.test'].join(';')}\r\n`), /A coluna email aparece mais de uma vez/));

  it('a required column missing', () => expectRefused(Buffer.from(`nome;cpf;ddd;telefone\r\nAna;;11;98765-4321\r\n`), /Faltam colunas obrigatórias no cabeçalho: .*email/));

  it('a file over IMPORT_MAX_BYTES is refused by its size, with no file left behind', async () => {
    const small = await startPortal({ IMPORT_MAX_BYTES: '4096' });
    const account = await createAccount(small.db);
    const session = await loggedIn(small, account.admin.email, PASSWORD);
    const s: Admin = { ...account, ...session, base: `/accounts/${account.accountId}/contacts` };
    const folder = path.join(small.config.dataDir, 'imports');
    const filesBefore = await readdir(folder).catch(() => []);
    const res = await upload(s, csvOf(Array.from({ length: 60 }, () => person())));
    expect(res.status).to.equal(413);
    expect(textOf(res.text)).to.contain('O arquivo passa do limite de');
    expect(await readdir(folder).catch(() => [])).to.deep.equal(filesBefore);
    expect(await contactsOf(small.db, account.accountId)).to.have.length(1);
  });

  it('mixed separators: the rows split by another separator are errors that say so', async () => {
    const s = await newAdmin(portal, accountIds);
    const good = person();
    const other = person();
    const bytes = Buffer.from(`${HEADER}\r\n${line(good)}\r\n${line(other).replace(/;/g, ',')}\r\n`);
    const { page } = await previewed(portal, s, bytes);
    expect(textOf(page)).to.match(/1 usuário\(s\) novo\(s\) a convidar/);
    expect(textOf(page)).to.contain('ela parece separada por ","');
  });

  it('a formula in the name is refused in the form\'s words, and neutralised in the rejected rows a spreadsheet opens', async () => {
    const s = await newAdmin(portal, accountIds);
    const before = await snapshot(s.accountId);
    const formula = person({ nome: '=HYPERLINK("http://evil.test","clique")' });
    const { id, page } = await previewed(portal, s, csvOf([formula]));
    expect(textOf(page)).to.match(/1 linha\(s\) com erro/);
    expect(textOf(page)).to.contain('O nome não pode começar com =, +, - ou @');
    const rejected = await s.agent.get(`${importsBase(s)}/${id}/rejected.csv`).buffer(true);
    const row = rejected.text.split(/\r\n/)[1]!;
    expect(row.startsWith(`"'=HYPERLINK`) || row.startsWith(`'=HYPERLINK`)).to.equal(true);
    expect(textOf(page)).not.to.contain('Confirmar importação');
    expect(await snapshot(s.accountId)).to.deep.equal(before);
  });

  for (const allOrNothing of [true, false]) {
    it(`2,000 rows of which one is bad, ${allOrNothing ? 'with' : 'without'} "tudo ou nada"`, async function () {
      this.timeout(120_000);
      const s = await newAdmin(portal, accountIds, { seatLimit: 3_000 });
      const rows = Array.from({ length: 2_000 }, (_, i) => person({ nome: `Pessoa ${i}`, email: `muitos.${s.accountId}.${i}@example.test` }));
      rows[1_234] = { ...rows[1_234]!, cpf: '123.456.789-00' };
      const before = await snapshot(s.accountId);
      const { id, page } = await previewed(portal, s, csvOf(rows), { allOrNothing });
      expect(textOf(page)).to.match(/1999 usuário\(s\) novo\(s\) a convidar/);
      expect(textOf(page)).to.match(/1 linha\(s\) com erro/);
      expect(textOf(page)).to.match(/Linha 1236, coluna cpf:/);
      const result = await confirmed(portal, s, id);
      if (allOrNothing) {
        expect(textOf(result.page)).to.contain('Tudo ou nada: 1 linha(s) têm erro, então nada será importado.');
        expect(await snapshot(s.accountId)).to.deep.equal(before);
      } else {
        expect(textOf(result.page)).to.contain('1999 usuário(s) cadastrado(s)');
        expect((await contactsOf(portal.db, s.accountId)).length).to.equal(2_000);
        // Their invitations would keep the run's shared mail worker busy for the tests after this one.
        await portal.db('mail_outbox').where({ account_id: s.accountId }).delete();
      }
    });
  }

  it('100,000 rows are previewed as a stream, and the seat gauge refuses what would pass the limit', async function () {
    this.timeout(300_000);
    const s = await newAdmin(portal, accountIds);
    const rows = Array.from({ length: 100_000 }, (_, i) => person({ nome: `Pessoa ${i}`, email: `cem.mil.${s.accountId}.${i}@example.test` }));
    rows[70_000] = { ...rows[70_000]!, email: 'nao-e-email' };
    const before = await snapshot(s.accountId);
    const { page } = await previewed(portal, s, csvOf(rows));
    const text = textOf(page);
    expect(text).to.contain('Recurso necessário: a importação precisa de');
    expect(text).to.match(/1 linha\(s\) com erro/);
    expect(await snapshot(s.accountId)).to.deep.equal(before);
    expect(decode(page)).not.to.contain('Confirmar importação');
  });
});
