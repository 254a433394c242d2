import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { addMember, PASSWORD } from '../support/fixtures';
import { sharedSmtp, to } from '../support/mail';
import { agent, loggedIn, sharedPortal, type TestPortal } from '../support/portal';
import { auditEventsOf, contactsOf, countersOf, cpfStartingWith, decode, expectCountersExact, newAdmin } from './helpers/contacts';
import { confirmed, csvOf, downloaded, HEADER, importsBase, line, person, previewed, textOf } from './helpers/imports';
import { ageSessions } from './helpers/security';

async function expectMissing(file: string) {
  let exists = true;
  await access(file).catch(() => (exists = false));
  expect(exists, `${file} still there`).to.equal(false);
}

describe('Importar usuários', () => {
  let portal: TestPortal;
  const accountIds: number[] = [];

  before(async () => {
    portal = await sharedPortal();
  });

  after(async () => {
    await expectCountersExact(portal.db, accountIds);
  });

  const admin = (seatLimit = 99) => newAdmin(portal, accountIds, { seatLimit });
  const stateOf = async (id: number) => (await portal.db('import_jobs').where({ id }).first('state')).state as string;

  describe('the page and the template', () => {
    it('offers "Baixar modelo": the header, one example row, UTF-8 with BOM', async () => {
      const s = await admin();
      const page = await s.agent.get(importsBase(s));
      expect(page.status).to.equal(200);
      expect(textOf(page.text)).to.contain('Baixar modelo');
      const template = await downloaded(s.agent, `${importsBase(s)}/template.csv`);
      expect(template.headers['content-disposition']).to.contain('attachment');
      const bytes = template.body as Buffer;
      expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const lines = bytes.toString('utf8').slice(1).split(/\r?\n/).filter(Boolean);
      expect(lines[0]).to.equal(HEADER);
      expect(lines).to.have.length(2);
    });

    it('the contacts list shows "Importar usuários" to those who may import, and the import pages refuse a member (403)', async () => {
      const s = await admin();
      expect(textOf((await s.agent.get(s.base)).text)).to.contain('Importar usuários');
      const member = await addMember(portal.db, s.accountId, { profile: 'member' });
      const m = await loggedIn(portal, member.email, PASSWORD);
      expect((await m.agent.get(importsBase(s))).status).to.equal(403);
      const res = await m.agent.post(`${importsBase(s)}?_csrf=${encodeURIComponent(m.csrf)}`).attach('file', csvOf([person()]), 'a.csv');
      expect(res.status).to.equal(403);
      expect(await portal.db('import_jobs').where({ account_id: s.accountId }).count({ n: '*' }).first()).to.deep.include({ n: 0 });
    });
  });

  it('an upload without the form\'s CSRF token (another site posting a file) is refused and starts nothing', async () => {
    const s = await admin();
    const res = await s.agent.post(importsBase(s)).attach('file', csvOf([person()]), 'a.csv');
    expect(res.status).to.equal(403);
    const forged = await s.agent.post(`${importsBase(s)}?_csrf=${'x'.repeat(43)}`).attach('file', csvOf([person()]), 'a.csv');
    expect(forged.status).to.equal(403);
    expect(await portal.db('import_jobs').where({ account_id: s.accountId })).to.have.length(0);
  });

  describe('preview, confirm, "Sucesso!"', () => {
    it('previews without writing, then imports pending contacts invited as "Adicionar usuário" does, with one audit event', async () => {
      const s = await admin();
      const zeroCpf = cpfStartingWith('0');
      const rows = [
        person({ nome: 'Maria da Silva' }),
        person({ nome: 'João Souza', perfil: 'Administrador', consultoria: 'sim' }),
        // The spreadsheet dropped the CPF's leading zero: completed, accepted with a warning.
        person({ nome: 'Zé Zero', cpf: zeroCpf.replace(/^0+/, '') }),
      ];
      const before = await countersOf(portal.db, s.accountId);
      const { id, page } = await previewed(portal, s, csvOf(rows));
      expect(textOf(page)).to.match(/3 usuário\(s\) novo\(s\) a convidar/);
      expect(textOf(page)).to.match(/1 linha\(s\) com aviso/);
      expect(textOf(page)).to.contain('Separador: ponto e vírgula (;)');
      expect(textOf(page)).to.contain('Licenças: 1 em uso; depois da importação, 4 de 99.');
      // Nothing of the account written by the preview.
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal(before);
      expect(await contactsOf(portal.db, s.accountId)).to.have.length(1);

      const result = await confirmed(portal, s, id);
      expect(result.status).to.equal(303);
      expect(textOf(result.page)).to.contain('Sucesso!');
      expect(textOf(result.page)).to.contain('3 usuário(s) cadastrado(s) e 0 atualizado(s).');

      const imported = (await contactsOf(portal.db, s.accountId)).filter((c) => c.id !== s.admin.contactId);
      expect(imported.map((c) => c.name).sort()).to.deep.equal(['João Souza', 'Maria da Silva', 'Zé Zero']);
      expect(imported.every((c) => c.status === 'pending' && c.user_id === null)).to.equal(true);
      expect(imported.find((c) => c.name === 'Zé Zero')!.document_number).to.equal(zeroCpf);
      expect(imported.find((c) => c.name === 'João Souza')!.profile).to.equal('administrator');
      expect(Boolean(imported.find((c) => c.name === 'João Souza')!.consulting_authorized)).to.equal(true);
      expect(await countersOf(portal.db, s.accountId)).to.deep.include({ pending: before.pending + 3 });

      // Each got an invitation, its mail through the outbox.
      const invitations = await portal.db('invitations').whereIn('contact_id', imported.map((c) => c.id as number));
      expect(invitations).to.have.length(3);
      expect(await portal.deliverMail()).to.be.greaterThan(0);
      const mails = await portal.db('mail_outbox').whereIn('to_address', rows.map((r) => r.email));
      expect(mails.map((m) => m.status)).to.deep.equal(['sent', 'sent', 'sent']);
      expect(mails.every((m) => m.template === 'invitation')).to.equal(true);

      // One event with the counts, none of the rows' personal data.
      const events = (await auditEventsOf(portal.db, s.accountId)).filter((e) => e.action === 'contacts.imported');
      expect(events).to.have.length(1);
      expect(events[0]!.details).to.deep.include({ created: 3, updated: 0, rejected: 0, invitations: 'sent' });
      const raw = JSON.stringify(events[0]!.details);
      for (const r of rows) {
        expect(raw).not.to.contain(r.email);
        expect(raw).not.to.contain(r.cpf.replace(/\D/g, ''));
      }
      await expectCountersExact(portal.db, s.accountId);
    });

    it('an imported invitation opens the acceptance page (the link the worker made works)', async () => {
      const s = await admin();
      const row = person({ nome: 'Link Que Funciona' });
      const { id } = await previewed(portal, s, csvOf([row]));
      await confirmed(portal, s, id);
      await portal.deliverMail();
      const mail = await portal.db('mail_outbox').where({ to_address: row.email }).first();
      expect(mail.status).to.equal('sent');
      const smtp = await sharedSmtp();
      await smtp.waitFor(to(row.email));
      const received = smtp.messages.filter(to(row.email)).pop()!;
      const link = /http:\/\/portal\.test(\/invitations\/[A-Za-z0-9_-]{43})/.exec(received.text ?? '')?.[1];
      expect(link, 'invitation link in the mail').to.be.a('string');
      const visitor = agent(portal);
      const page = await visitor.get(link!);
      expect(page.status).to.equal(200);
      expect(decode(page.text)).to.contain(row.email);
    });

    it('"enviar convites depois": nobody is invited until "Enviar convites" on the pending tab', async () => {
      const s = await admin();
      const rows = [person(), person()];
      const { id } = await previewed(portal, s, csvOf(rows), { inviteLater: true });
      const result = await confirmed(portal, s, id);
      expect(textOf(result.page)).to.contain('Convites a enviar depois: 2');
      const ids = (await contactsOf(portal.db, s.accountId)).filter((c) => c.status === 'pending').map((c) => c.id as number);
      expect(await portal.db('invitations').whereIn('contact_id', ids)).to.have.length(0);

      const pendingTab = textOf((await s.agent.get(`${s.base}?status=pending`)).text);
      expect(pendingTab).to.contain('Enviar convites (2)');
      const sent = await s.agent.post(`/accounts/${s.accountId}/invitations/waiting`).type('form').send({ _csrf: s.csrf });
      expect(sent.status).to.equal(303);
      expect(textOf((await s.agent.get(sent.headers.location)).text)).to.contain('2 convite(s) enviado(s).');
      expect(await portal.db('invitations').whereIn('contact_id', ids)).to.have.length(2);
      expect(textOf((await s.agent.get(`${s.base}?status=pending`)).text)).not.to.contain('Enviar convites (');
      expect((await auditEventsOf(portal.db, s.accountId)).map((e) => e.action)).to.include('invitation.sent_waiting');
    });

    it('"atualizar existentes" updates the people already in the company; without it they are left as they are', async () => {
      const s = await admin();
      const existing = await addMember(portal.db, s.accountId, { name: 'Nome Antigo' });
      const row = person({ nome: 'Nome Novo', email: existing.email });
      const first = await previewed(portal, s, csvOf([row, person()]));
      expect(textOf(first.page)).to.match(/1 já na empresa \(sem alteração\)/);
      await confirmed(portal, s, first.id);
      expect((await portal.db('contacts').where({ id: existing.contactId }).first()).name).to.equal('Nome Antigo');

      const second = await previewed(portal, s, csvOf([row]), { updateExisting: true });
      expect(textOf(second.page)).to.match(/1 já na empresa, a atualizar/);
      const result = await confirmed(portal, s, second.id);
      expect(textOf(result.page)).to.contain('0 usuário(s) cadastrado(s) e 1 atualizado(s).');
      const updated = await portal.db('contacts').where({ id: existing.contactId }).first();
      expect(updated.name).to.equal('Nome Novo');
      expect(updated.document_number).to.equal(row.cpf.replace(/\D/g, ''));
    });
  });

  describe('refusals with nothing written', () => {
    it('an import past the seat limit is refused at the preview with "Recurso necessário", and cannot be confirmed', async () => {
      const s = await admin(3);
      const { id, page } = await previewed(portal, s, csvOf([person(), person(), person()]));
      expect(textOf(page)).to.contain('Recurso necessário: a importação precisa de 3 licença(s) e há 2 livre(s). Nada foi gravado.');
      expect(page).not.to.contain('Confirmar importação');
      const res = await s.agent.post(`${importsBase(s)}/${id}/confirm`).type('form').send({ _csrf: s.csrf });
      expect(res.status).to.equal(303);
      expect(textOf((await s.agent.get(res.headers.location)).text)).to.contain('não está aguardando confirmação');
      expect(await contactsOf(portal.db, s.accountId)).to.have.length(1);
    });

    it('rows with errors are reported by line and column in the form\'s words; the others are imported; the rejected rows come back as CSV', async () => {
      const s = await admin();
      const taken = await addMember(portal.db, s.accountId);
      const twice = person();
      const rows = [
        person({ nome: 'Certa Um' }),
        person({ nome: 'CPF Com Letras', cpf: '123.ABC.789-00' }),
        person({ nome: 'Email Com Espaço', email: 'com espaco@example.test' }),
        twice,
        { ...person({ nome: 'Mesmo E-mail' }), email: twice.email },
        person({ nome: 'Já Cadastrado Outro CPF', email: taken.email }),
        person({ nome: 'CPF De Planilha', cpf: '5,29982E+10' }),
      ];
      const { id, page } = await previewed(portal, s, csvOf(rows));
      const text = textOf(page);
      expect(text).to.match(/2 usuário\(s\) novo\(s\) a convidar/);
      expect(text).to.match(/4 linha\(s\) com erro/);
      expect(text).to.match(/Linha 3, coluna cpf: .*CPF/);
      expect(text).to.match(/Linha 4, coluna email: .*e-mail/i);
      expect(text).to.contain('Este e-mail já aparece na linha 5 do arquivo.');

      const rejected = await s.agent.get(`${importsBase(s)}/${id}/rejected.csv`).buffer(true);
      expect(rejected.status).to.equal(200);
      const csv = rejected.text.replace(/^\ufeff/, '');
      const lines = csv.split(/\r?\n/).filter(Boolean);
      expect(lines[0]).to.equal(`${HEADER};linha;motivo`);
      expect(lines).to.have.length(5);
      expect(csv).to.contain('CPF Com Letras');
      expect(csv).not.to.contain('Certa Um');

      const result = await confirmed(portal, s, id);
      expect(textOf(result.page)).to.contain('2 usuário(s) cadastrado(s)');
      const names = (await contactsOf(portal.db, s.accountId)).map((c) => c.name);
      expect(names).to.include.members(['Certa Um']);
      expect(names).not.to.include.members(['CPF Com Letras', 'Email Com Espaço', 'Mesmo E-mail']);
    });

    it('"tudo ou nada" with a bad row cannot be confirmed and writes nothing', async () => {
      const s = await admin();
      const { id, page } = await previewed(portal, s, csvOf([person(), person({ cpf: '111.111.111-11' })]), { allOrNothing: true });
      expect(textOf(page)).to.contain('Tudo ou nada: 1 linha(s) têm erro, então nada será importado.');
      expect(page).not.to.contain('Confirmar importação');
      const res = await s.agent.post(`${importsBase(s)}/${id}/confirm`).type('form').send({ _csrf: s.csrf });
      expect(textOf((await s.agent.get(res.headers.location)).text)).to.contain('Tudo ou nada');
      expect(await stateOf(id)).to.equal('previewed');
      expect(await contactsOf(portal.db, s.accountId)).to.have.length(1);
    });

    it('confirming asks a stale session to confirm it is them first (step-up), and nothing is imported before', async () => {
      const s = await admin();
      const { id } = await previewed(portal, s, csvOf([person()]));
      await ageSessions(portal.db, s.admin.userId, 20);
      const res = await s.agent.post(`${importsBase(s)}/${id}/confirm`).type('form').send({ _csrf: s.csrf });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal('/step-up');
      await portal.imports.idle();
      expect(await stateOf(id)).to.equal('previewed');
      expect(await contactsOf(portal.db, s.accountId)).to.have.length(1);
    });

    it('another company\'s job is a 404 on every page (show, confirm, discard, rejected rows)', async () => {
      const owner = await admin();
      const { id } = await previewed(portal, owner, csvOf([person()]));
      const other = await admin();
      const base = importsBase(other);
      expect((await other.agent.get(`${base}/${id}`)).status).to.equal(404);
      expect((await other.agent.get(`${base}/${id}/rejected.csv`)).status).to.equal(404);
      expect((await other.agent.post(`${base}/${id}/confirm`).type('form').send({ _csrf: other.csrf })).status).to.equal(404);
      expect((await other.agent.post(`${base}/${id}/cancel`).type('form').send({ _csrf: other.csrf })).status).to.equal(404);
      // Even through the owner's own account path, with the other company's session.
      expect((await other.agent.get(`${importsBase(owner)}/${id}`)).status).to.be.oneOf([403, 404]);
      expect(await stateOf(id)).to.equal('previewed');
    });

    it('two confirmations of one job at once start one import', async () => {
      const s = await admin();
      const { id } = await previewed(portal, s, csvOf([person(), person()]));
      const post = () => s.agent.post(`${importsBase(s)}/${id}/confirm`).type('form').send({ _csrf: s.csrf });
      await Promise.all([post(), post()]);
      await portal.imports.idle();
      expect(await contactsOf(portal.db, s.accountId)).to.have.length(3);
      expect((await auditEventsOf(portal.db, s.accountId)).filter((e) => e.action === 'contacts.imported')).to.have.length(1);
    });

    it('two imports of the same file at once: one seat check each, no one twice, counters exact', async () => {
      const s = await admin(5);
      const rows = [person(), person(), person()];
      const a = await previewed(portal, s, csvOf(rows));
      const b = await previewed(portal, s, csvOf(rows));
      const post = (id: number) => s.agent.post(`${importsBase(s)}/${id}/confirm`).type('form').send({ _csrf: s.csrf });
      await Promise.all([post(a.id), post(b.id)]);
      await portal.imports.idle();
      const contacts = await contactsOf(portal.db, s.accountId);
      expect(contacts).to.have.length(4);
      expect(new Set(contacts.map((c) => c.email)).size).to.equal(4);
      const jobs = await portal.db('import_jobs').whereIn('id', [a.id, b.id]).orderBy('id');
      expect(jobs.map((j) => j.state)).to.deep.equal(['done', 'done']);
      expect(jobs.map((j) => Number(j.created_count)).sort()).to.deep.equal([0, 3]);
      await expectCountersExact(portal.db, s.accountId);
    });
  });

  describe('a job that outlives its request', () => {
    it('is seen from any session of the company while it is worked, and a stopped job resumes from its last batch without writing a row twice', async () => {
      const s = await admin(6000);
      const total = 5_000;
      const rows = Array.from({ length: total }, (_, i) => person({ nome: `Pessoa ${i}`, email: `lote.${s.accountId}.${i}@example.test` }));
      const { id } = await previewed(portal, s, csvOf(rows));
      expect(await stateOf(id)).to.equal('previewed');

      // The process stops once the first batch has committed: between two batches, as on SIGTERM.
      const res = await s.agent.post(`${importsBase(s)}/${id}/confirm`).type('form').send({ _csrf: s.csrf });
      expect(res.status).to.equal(303);
      while (Number((await portal.db('import_jobs').where({ id }).first('progress_rows')).progress_rows) < 500) await new Promise((r) => setTimeout(r, 2));
      await portal.imports.stop();
      const stopped = await portal.db('import_jobs').where({ id }).first();
      expect(stopped.state).to.equal('importing');
      const written = Number(stopped.progress_rows);
      expect(written).to.be.within(500, total - 500);
      expect(written % 500).to.equal(0);
      expect((await contactsOf(portal.db, s.accountId)).length - 1).to.equal(written);

      // Another session of the company sees the progress bar.
      const other = await loggedIn(portal, s.admin.email, PASSWORD);
      const page = textOf((await other.agent.get(`${importsBase(s)}/${id}`)).text);
      expect(page).to.contain('Importando…');

      // The next start resumes it.
      await portal.imports.runOnce();
      const done = await portal.db('import_jobs').where({ id }).first();
      expect(done.state).to.equal('done');
      expect(Number(done.created_count)).to.equal(total);
      const contacts = await contactsOf(portal.db, s.accountId);
      expect(contacts).to.have.length(total + 1);
      expect(new Set(contacts.map((c) => c.email)).size).to.equal(total + 1);
      expect(Number((await portal.db('invitations').where({ account_id: s.accountId }).count({ n: '*' }).first())!.n)).to.equal(total);
      expect((await auditEventsOf(portal.db, s.accountId)).filter((e) => e.action === 'contacts.imported')).to.have.length(1);
      await expectCountersExact(portal.db, s.accountId);
      // Their invitations would keep the run's shared mail worker busy for the tests after this one.
      await portal.db('mail_outbox').where({ account_id: s.accountId }).delete();
    });
  });

  it('the file names what it was read as (Windows-1252, comma-separated) and lists unknown columns', async () => {
    const s = await admin();
    const p = person({ nome: 'João Conceição' });
    const text = `Nome,E-mail,CPF,País,DDD,Telefone,Observação\r\n"${p.nome}",${p.email},${p.cpf},Brasil,11,98765-4321,qualquer coisa\r\n`;
    const { page } = await previewed(portal, s, Buffer.from(text, 'latin1'));
    const t = textOf(page);
    expect(t).to.contain('Separador: vírgula (,)');
    expect(t).to.contain('Windows-1252');
    expect(t).to.contain('Observação (ignoradas)');
    expect(t).to.match(/1 usuário\(s\) novo\(s\) a convidar/);
    expect(line(p)).to.contain(p.email);
  });

  it('the template, filled in and saved by LibreOffice Calc with its defaults, imports (the CPF that lost its zero is completed, with a warning)', async () => {
    const s = await admin();
    const bytes = await readFile(path.join(import.meta.dirname, '../fixtures/imports/modelo-preenchido-libreoffice.csv'));
    // Other tests' accounts use other e-mails: this file's addresses are fixed, so each run's account is new.
    const { id, page } = await previewed(portal, s, bytes);
    const t = textOf(page);
    expect(t).to.contain('Separador: vírgula (,); codificação: Windows-1252');
    expect(t).to.match(/4 usuário\(s\) novo\(s\) a convidar/);
    expect(t).to.contain('CPF completado com zeros à esquerda: 012.345.678-90. Confira.');
    const result = await confirmed(portal, s, id);
    expect(textOf(result.page)).to.contain('Sucesso!');
    const byEmail = new Map((await contactsOf(portal.db, s.accountId)).map((c) => [c.email, c]));
    expect(byEmail.get('caio.prado@example.test')!.document_number).to.equal('01234567890');
    expect(byEmail.get('beatriz.lima@example.test')!.profile).to.equal('administrator');
    expect(byEmail.get('hans@example.test')).to.deep.include({ name: 'Hans Müller', country: 'DE', document_type: 'passport', document_number: 'C01X00T47' });
  });

  it('importing an export gives back the same contacts (a round trip through "Exportar")', async () => {
    const from = await admin();
    const people = [
      person({ nome: 'Ana Zero', cpf: cpfStartingWith('00') }),
      person({ nome: 'Bia Admin', perfil: 'Administrador', consultoria: 'sim' }),
      person({ nome: 'Caio Observa', perfil: 'Observador (pode baixar documentos)' }),
      person({ nome: 'Dora Portugal', cpf: '', pais: 'PT', documento: 'Passaporte: P1234567', ddd: '', telefone: '912345678' }),
    ];
    const first = await previewed(portal, from, csvOf(people));
    expect(textOf(first.page)).to.match(/4 usuário\(s\) novo\(s\) a convidar/);
    await confirmed(portal, from, first.id);

    const exported = await downloaded(from.agent, `/accounts/${from.accountId}/contacts.csv?status=pending`);
    expect(exported.status).to.equal(200);

    const to = await admin();
    const second = await previewed(portal, to, exported.body as Buffer);
    expect(textOf(second.page)).to.match(/4 usuário\(s\) novo\(s\) a convidar/);
    expect(textOf(second.page)).to.match(/0 linha\(s\) com erro/);
    await confirmed(portal, to, second.id);

    const fields = ['name', 'email', 'country', 'document_type', 'document_number', 'area_code', 'phone', 'profile', 'status'];
    const shape = (rows: Record<string, unknown>[]) => rows.filter((c) => c.status === 'pending')
      .map((c): Record<string, unknown> => ({ ...Object.fromEntries(fields.map((f) => [f, c[f]])), consulting: Boolean(Number(c.consulting_authorized)) }))
      .sort((a, b) => String(a.email).localeCompare(String(b.email)));
    expect(shape(await contactsOf(portal.db, to.accountId))).to.deep.equal(shape(await contactsOf(portal.db, from.accountId)));
  });

  it('"Enviar convites" is refused to a member (403) and asks a stale session to confirm first; nothing is sent before', async () => {
    const s = await admin();
    const { id } = await previewed(portal, s, csvOf([person()]), { inviteLater: true });
    await confirmed(portal, s, id);
    const member = await addMember(portal.db, s.accountId, { profile: 'member' });
    const m = await loggedIn(portal, member.email, PASSWORD);
    expect((await m.agent.post(`/accounts/${s.accountId}/invitations/waiting`).type('form').send({ _csrf: m.csrf })).status).to.equal(403);
    await ageSessions(portal.db, s.admin.userId, 20);
    const stale = await s.agent.post(`/accounts/${s.accountId}/invitations/waiting`).type('form').send({ _csrf: s.csrf });
    expect(stale.headers.location).to.equal('/step-up');
    expect(await portal.db('invitations').where({ account_id: s.accountId })).to.have.length(0);
  });

  it('a finished job\'s file and per-row messages are removed after the days they are kept; its counts stay', async () => {
    const s = await admin();
    const { id } = await previewed(portal, s, csvOf([person(), person({ cpf: '111.111.111-11' })]));
    await confirmed(portal, s, id);
    const job = await portal.db('import_jobs').where({ id }).first();
    const file = path.join(portal.config.dataDir, 'imports', job.stored_name);
    await access(file);
    await portal.db('import_jobs').where({ id }).update({ updated_at: new Date(Date.now() - 4 * 86_400_000) });
    await portal.imports.runOnce();
    await portal.imports.runOnce(); // the sweep runs on the first turn of a runner; again is harmless
    await expectMissing(file);
    const swept = await portal.db('import_jobs').where({ id }).first();
    expect(Boolean(swept.file_removed)).to.equal(true);
    expect(Number(swept.created_count)).to.equal(1);
    expect(await portal.db('import_job_issues').where({ job_id: id })).to.have.length(0);
    const rejected = await s.agent.get(`${importsBase(s)}/${id}/rejected.csv`);
    expect(rejected.status).to.equal(409);
    expect(textOf(rejected.text)).to.contain('O arquivo desta importação não está mais guardado.');
  });
});
