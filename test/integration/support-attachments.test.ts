/**
 * Ticket attachments: files sent with a new ticket or a comment are kept under random names in the plugin's
 * folder, listed on the ticket and downloaded (never shown inline) by whoever sees the ticket;
 * a file of the wrong type, too big or one too many refuses the whole form and writes nothing;
 * the upload form's CSRF token travels in its action.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { readableDetails } from '../../server/audit/event-format';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, startPortal, type Agent, type TestPortal } from '../support/portal';
import { decode, fieldsWithErrors } from './helpers/contacts';
import { postForm } from './helpers/permissions';
import { insertTicket } from './helpers/support';

type File = { name: string; type: string; bytes: Buffer };

describe('Support ticket attachments', () => {
  let portal: TestPortal;
  let dataDir: string;
  before(async () => {
    // Its own DATA_DIR, so "nothing was written" is a look at an empty folder.
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-attachments-'));
    portal = await startPortal({ DATA_DIR: dataDir });
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Files kept (the folder also holds `incoming/`, where bodies stream before they are a ticket's). */
  const storedFiles = () => {
    try {
      return readdirSync(path.join(dataDir, 'plugins', 'support'), { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
    } catch {
      return [];
    }
  };

  async function company() {
    const account = await createAccount(portal.db);
    const base = `/accounts/${account.accountId}/p/support`;
    const maria = await addMember(portal.db, account.accountId, { name: 'Maria Membro' });
    const bruno = await addMember(portal.db, account.accountId, { name: 'Bruno BPO' });
    return { account, base, maria, bruno };
  }

  function openTicket(a: Agent, base: string, csrf: string | null, files: File[], fields: Record<string, string> = {}) {
    const req = a.post(csrf === null ? base : `${base}?_csrf=${encodeURIComponent(csrf)}`)
      .field('subject', 'Nota fiscal rejeitada').field('description', 'Segue o arquivo de retorno.')
      .field('category', 'incident').field('priority', 'high');
    for (const [k, v] of Object.entries(fields)) req.field(k, v);
    for (const f of files) req.attach('attachments', f.bytes, { filename: f.name, contentType: f.type });
    return req;
  }

  const pdf: File = { name: 'retorno.pdf', type: 'application/pdf', bytes: Buffer.from('%PDF-1.4\n% retorno da SEFAZ\n') };
  const notes: File = { name: 'relatório ação "final".txt', type: 'text/plain', bytes: Buffer.from('linha 1\nlinha 2\n') };

  const ticketsOf = async (accountId: number) => Number((await portal.db('support_tickets').where({ account_id: accountId }).count({ n: '*' }))[0]!.n);
  const attachmentLinks = (html: string) =>
    [...html.matchAll(/<a href="([^"]+\/attachments\/\d+)" download>([^<]*)<\/a>/g)].map((m) => ({ href: m[1]!, name: decode(m[2]!) }));
  const binary = (res: { on(e: string, cb: (chunk?: Buffer) => void): void }, done: (err: Error | null, body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    res.on('data', (c) => chunks.push(c!));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  };

  it('keeps the files sent with a new ticket, lists them and serves each as a download with its bytes', async () => {
    const { account, base, maria } = await company();
    const m = await loggedIn(portal, maria.email, PASSWORD);
    const res = await openTicket(m.agent, base, m.csrf, [pdf, notes]).expect(303);
    const page = await m.agent.get(res.headers.location!).expect(200);
    const links = attachmentLinks(page.text);
    expect(links.map((l) => l.name)).to.deep.equal([pdf.name, notes.name]);

    for (const [i, file] of [pdf, notes].entries()) {
      const download = await m.agent.get(links[i]!.href).buffer(true).parse(binary).expect(200);
      expect(download.headers['content-type']).to.equal('application/octet-stream');
      expect(download.headers['x-content-type-options']).to.equal('nosniff');
      expect(download.headers['content-disposition']).to.match(/^attachment; /);
      expect(download.headers['content-disposition']).to.contain(`filename*=UTF-8''${encodeURIComponent(file.name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`);
      expect(Buffer.compare(download.body as Buffer, file.bytes)).to.equal(0);
    }

    // On disk under random names only; the audit names the files and their sizes, nothing more.
    const stored = storedFiles();
    const rows = await portal.db('support_ticket_attachments').whereIn('original_name', [pdf.name, notes.name]).orderBy('id');
    expect(rows.map((r: { stored_name: string }) => r.stored_name).every((n: string) => stored.includes(n))).to.equal(true);
    expect(stored.some((n) => n.includes('retorno') || n.includes('relat'))).to.equal(false);
    const event = await portal.db('audit_events').where({ account_id: account.accountId, action: 'support.ticket_opened' }).first();
    expect((readableDetails(event).after as { attachments: unknown }).attachments).to.deep.equal([
      { name: pdf.name, size: pdf.bytes.length },
      { name: notes.name, size: notes.bytes.length },
    ]);

    // A file gone from the disk is not found, not a server error, and nothing is offered for download.
    rmSync(path.join(dataDir, 'plugins', 'support', rows[0].stored_name));
    const gone = await m.agent.get(links[0]!.href);
    expect(gone.status).to.equal(404);
    expect(gone.headers['content-disposition']).to.equal(undefined);
  });

  it('still opens a ticket without attachments, and shows no attachment list', async () => {
    const { base, maria } = await company();
    const m = await loggedIn(portal, maria.email, PASSWORD);
    const res = await openTicket(m.agent, base, m.csrf, []).expect(303);
    const page = await m.agent.get(res.headers.location!).expect(200);
    expect(page.text).not.to.contain('id="ticket-attachments"');
  });

  const refusals: { what: string; files: File[]; message: string }[] = [
    { what: 'an HTML page', files: [pdf, { name: 'pagina.html', type: 'text/html', bytes: Buffer.from('<script>alert(1)</script>') }], message: 'Tipo de arquivo não aceito.' },
    { what: 'an HTML page renamed to .pdf', files: [{ name: 'nota.pdf', type: 'text/html', bytes: Buffer.from('<script>alert(1)</script>') }], message: 'Tipo de arquivo não aceito.' },
    { what: 'an SVG image', files: [{ name: 'logo.svg', type: 'image/svg+xml', bytes: Buffer.from('<svg onload="alert(1)"/>') }], message: 'Tipo de arquivo não aceito.' },
    { what: 'a file over 10 MB', files: [pdf, { name: 'grande.zip', type: 'application/zip', bytes: Buffer.alloc(10 * 1024 * 1024 + 1) }], message: 'Cada arquivo pode ter no máximo 10 MB.' },
    { what: 'six files', files: Array.from({ length: 6 }, (_, i) => ({ ...pdf, name: `parte-${i}.pdf` })), message: 'Envie no máximo 5 arquivos.' },
  ];
  for (const r of refusals) {
    it(`refuses ${r.what} next to the field, writing no ticket and no file`, async () => {
      const { account, base, maria } = await company();
      const m = await loggedIn(portal, maria.email, PASSWORD);
      const before = storedFiles();
      const res = await openTicket(m.agent, base, m.csrf, r.files).expect(422);
      expect(fieldsWithErrors(res.text)).to.deep.equal(['attachments']);
      expect(decode(res.text)).to.contain(r.message);
      expect(decode(res.text)).to.contain('value="Nota fiscal rejeitada"');
      expect(await ticketsOf(account.accountId)).to.equal(0);
      expect(storedFiles()).to.deep.equal(before);
    });
  }

  it('adds files with a comment, and refuses a wrong one there the same way', async () => {
    const { account, base, maria } = await company();
    const m = await loggedIn(portal, maria.email, PASSWORD);
    const ticket = (await openTicket(m.agent, base, m.csrf, [pdf]).expect(303)).headers.location!.replace(/\?opened=1$/, '');
    const comment = (files: File[]) => {
      const req = m.agent.post(`${ticket}/comments?_csrf=${encodeURIComponent(m.csrf)}`).field('body', 'Mais um arquivo.');
      for (const f of files) req.attach('attachments', f.bytes, { filename: f.name, contentType: f.type });
      return req;
    };
    const before = storedFiles();
    const bad = await comment([{ name: 'script.js', type: 'text/javascript', bytes: Buffer.from('alert(1)') }]).expect(422);
    expect(fieldsWithErrors(bad.text)).to.deep.equal(['attachments']);
    expect(decode(bad.text)).to.contain('Mais um arquivo.');
    expect(storedFiles()).to.deep.equal(before);
    expect((await m.agent.get(ticket).expect(200)).text).not.to.contain('comment-body');

    await comment([notes]).expect(303);
    const page = await m.agent.get(ticket).expect(200);
    expect(attachmentLinks(page.text).map((l) => l.name)).to.deep.equal([pdf.name, notes.name]);
    expect(page.text).to.contain('Mais um arquivo.');
    const event = await portal.db('audit_events').where({ account_id: account.accountId, action: 'support.ticket_commented' }).first();
    expect((readableDetails(event).after as { attachments: unknown }).attachments).to.deep.equal([{ name: notes.name, size: notes.bytes.length }]);
  });

  it('answers 404 for an attachment of a ticket the person cannot see, of another account, or of another ticket', async () => {
    const { account, base, maria, bruno } = await company();
    const b = await loggedIn(portal, bruno.email, PASSWORD);
    const bpo = await openTicket(b.agent, base, b.csrf, [pdf], { bpo: '1' }).expect(303);
    const href = attachmentLinks((await b.agent.get(bpo.headers.location!).expect(200)).text)[0]!.href;
    await b.agent.get(href).expect(200);

    // Maria (no "Acesso completo a chamados BPO") does not see Bruno's BPO ticket, nor its file.
    const m = await loggedIn(portal, maria.email, PASSWORD);
    await m.agent.get(href).expect(404);
    // The administrator sees both.
    const admin = await loggedIn(portal, account.admin.email, PASSWORD);
    await admin.agent.get(href).expect(200);

    // The same attachment id under another ticket of the account, visible to Maria: 404.
    const mariaTicket = await insertTicket(portal.db, account.accountId, maria.contactId, 'Chamado da Maria');
    const attachmentId = href.split('/').pop();
    await m.agent.get(`${base}/${mariaTicket}/attachments/${attachmentId}`).expect(404);

    // Someone of another company, through their own account's address.
    const other = await createAccount(portal.db);
    const o = await loggedIn(portal, other.admin.email, PASSWORD);
    await o.agent.get(href.replace(`/accounts/${account.accountId}/`, `/accounts/${other.accountId}/`)).expect(404);
    await o.agent.get(href).expect(404);
  });

  it('refuses an upload without a valid CSRF token in the form action (403) and writes nothing', async () => {
    const { account, base, maria } = await company();
    const m = await loggedIn(portal, maria.email, PASSWORD);
    const before = storedFiles();
    await openTicket(m.agent, base, null, [pdf]).expect(403);
    await openTicket(m.agent, base, 'not-the-token', [pdf]).expect(403);
    // The token in the body of a multipart form cannot be read before the body is parsed.
    await openTicket(m.agent, base, null, [pdf], { _csrf: m.csrf }).expect(403);
    // The query string carries the token for multipart forms only.
    await m.agent.post(`${base}?_csrf=${encodeURIComponent(m.csrf)}`).type('form')
      .send({ subject: 'Sem token', description: 'x', category: 'question', priority: 'low' }).expect(403);
    expect(await ticketsOf(account.accountId)).to.equal(0);
    expect(storedFiles()).to.deep.equal(before);
    // A plain form post with the token in its body still works.
    await postForm(m.agent, base, m.csrf, { subject: 'Com token', description: 'x', category: 'question', priority: 'low' }).expect(303);
  });
});
