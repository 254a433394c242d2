/**
 * The guards on receiving attachments: a body larger than the limit is refused from its
 * Content-Length before it is read, and counted while it streams when it has none; a file of the
 * wrong type is refused as it arrives; each person, and the process in all, has a cap on uploads in
 * progress (429 / 503 with a message in their language); bodies stream to temporary files that are
 * gone afterwards whatever happened, and a failure in the ticket's transaction leaves neither a
 * ticket nor a file. Uploads are held "in progress" by real sockets that stop sending.
 */
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { agent, csrfFrom, login, startPortal, type TestPortal } from '../support/portal';
import { decode, fieldsWithErrors } from './helpers/contacts';

type Part = { name: string; value: string } | { name: string; filename: string; type: string; bytes: Buffer };

const MB = 1024 * 1024;
const BOUNDARY = '----portal-test-boundary-7d1f';
const TICKET_FIELDS: Part[] = [
  { name: 'subject', value: 'Nota fiscal rejeitada' }, { name: 'description', value: 'Segue o arquivo de retorno.' },
  { name: 'category', value: 'incident' }, { name: 'priority', value: 'high' },
];

function encode(parts: Part[], end = true): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const head = 'filename' in p
      ? `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`
      : `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n`;
    chunks.push(Buffer.from(head), 'filename' in p ? p.bytes : Buffer.from(p.value), Buffer.from('\r\n'));
  }
  if (end) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

const pdf = (name: string, size: number): Part => ({ name: 'attachments', filename: name, type: 'application/pdf', bytes: Buffer.alloc(size, 0x25) });

describe('Support attachments: the guards on receiving them', () => {
  let portal: TestPortal;
  let dataDir: string;
  let server: http.Server;
  let port: number;
  const open: http.ClientRequest[] = [];

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-uploads-'));
    portal = await startPortal({ DATA_DIR: dataDir });
    server = http.createServer(portal.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    while (open.length) open.pop()!.destroy();
    await until(() => incoming().length === 0); // the server removes what the stalled ones wrote
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const list = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
    } catch {
      return [];
    }
  };
  const stored = () => list(path.join(dataDir, 'plugins', 'support'));
  const incoming = () => list(path.join(dataDir, 'plugins', 'support', 'incoming'));
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const ticketsOf = async (accountId: number) => Number((await portal.db('support_tickets').where({ account_id: accountId }).count({ n: '*' }))[0]!.n);

  /** A signed-in person as raw HTTP sees them: the session cookie and the CSRF token. */
  async function person(email: string) {
    const a = agent(portal);
    const res = await login(a, email, PASSWORD);
    const cookie = ([res.headers['set-cookie'] ?? []].flat() as string[]).map((c) => c.split(';')[0]).join('; ');
    return { cookie, csrf: await csrfFrom(a, '/me') };
  }

  async function company() {
    const account = await createAccount(portal.db);
    const base = `/accounts/${account.accountId}/p/support`;
    const maria = await person((await addMember(portal.db, account.accountId, { name: 'Maria Membro' })).email);
    return { account, base, maria };
  }

  /**
   * POSTs a multipart body: `body` is sent, and the request ends only if `end`. Without
   * `contentLength` the body goes chunked (no Content-Length). Answers the response as it comes.
   */
  function post(target: string, who: { cookie: string; csrf: string }, body: Buffer, options: { end?: boolean; contentLength?: number } = {}) {
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: `${target}?_csrf=${encodeURIComponent(who.csrf)}`,
      headers: {
        cookie: who.cookie, 'accept-language': 'pt-BR', 'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        ...(options.contentLength !== undefined ? { 'content-length': String(options.contentLength) } : {}),
      },
    });
    open.push(req);
    const response = new Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      });
      req.on('error', reject);
    });
    req.write(body);
    if (options.end !== false) req.end();
    return response;
  }

  /** An upload that starts a file and stops sending: it stays in progress until the test ends. */
  async function stalled(target: string, who: { cookie: string; csrf: string }) {
    const before = incoming().length;
    void post(target, who, Buffer.concat([encode(TICKET_FIELDS, false), encode([pdf('parado.pdf', 64 * 1024)], false).subarray(0, -2)]), { end: false }).catch(() => {});
    await until(() => incoming().length > before); // its file is streaming to the incoming folder
  }

  it('refuses a body larger than 25 MB from its Content-Length, before reading it, with a clear message', async () => {
    const { account, base, maria } = await company();
    // Only the fields are sent of a body that says it has 40 MB: the answer comes without the rest.
    const res = await post(base, maria, encode(TICKET_FIELDS, false), { end: false, contentLength: 40 * MB });
    expect(res.status).to.equal(413);
    expect(fieldsWithErrors(res.text)).to.deep.equal(['attachments']);
    expect(decode(res.text)).to.contain('O envio pode ter no máximo 25 MB ao todo');
    expect(await ticketsOf(account.accountId)).to.equal(0);
  });

  it('counts a body without Content-Length as it streams: over 25 MB in all is refused, and nothing is kept', async () => {
    const { account, base, maria } = await company();
    const before = stored();
    const res = await post(base, maria, encode([...TICKET_FIELDS, pdf('a.pdf', 9 * MB), pdf('b.pdf', 9 * MB), pdf('c.pdf', 9 * MB)]));
    expect(res.status).to.equal(413);
    expect(decode(res.text)).to.contain('O envio pode ter no máximo 25 MB ao todo');
    expect(decode(res.text)).to.contain('value="Nota fiscal rejeitada"');
    expect(await ticketsOf(account.accountId)).to.equal(0);
    expect(stored()).to.deep.equal(before);
    expect(incoming()).to.deep.equal([]);
  });

  it('checks the type as the file arrives: a page first is refused as such, before a file after it is read', async () => {
    const { account, base, maria } = await company();
    const page: Part = { name: 'attachments', filename: 'pagina.html', type: 'text/html', bytes: Buffer.from('<script>alert(1)</script>') };
    const res = await post(base, maria, encode([...TICKET_FIELDS, page, { ...pdf('grande.pdf', 11 * MB), filename: 'grande.zip', type: 'application/zip' }]));
    expect(res.status).to.equal(422);
    expect(decode(res.text)).to.contain('Tipo de arquivo não aceito.');
    expect(await ticketsOf(account.accountId)).to.equal(0);
    expect(incoming()).to.deep.equal([]);
  });

  it('a person with 2 uploads in progress gets 429 for a third, in their language; someone else still uploads', async () => {
    const { account, base, maria } = await company();
    await stalled(base, maria);
    await stalled(base, maria);
    const third = await post(base, maria, encode([...TICKET_FIELDS, pdf('terceiro.pdf', 1024)]));
    expect(third.status).to.equal(429);
    expect(third.headers['retry-after']).to.equal('30');
    expect(decode(third.text)).to.contain('Você já tem envios de arquivos em andamento. Aguarde eles terminarem e tente de novo.');
    // A comment on a ticket is an upload too.
    const ticket = Number((await portal.db('support_tickets').insert({
      account_id: account.accountId, owner_contact_id: null, opened_by_contact_id: null, subject: 'Chamado aberto', description: 'x',
      category: 'question', priority: 'low', status: 'open', bpo: false, created_at: new Date(), updated_at: new Date(),
    }))[0]);
    const comment = await post(`${base}/${ticket}/comments`, maria, encode([{ name: 'body', value: 'Mais um' }, pdf('c.pdf', 1024)]));
    expect(comment.status).to.equal(429);

    const bruno = await person((await addMember(portal.db, account.accountId, { name: 'Bruno Outro' })).email);
    const other = await post(base, bruno, encode([...TICKET_FIELDS, pdf('dele.pdf', 1024)]));
    expect(other.status).to.equal(303);
    expect(await ticketsOf(account.accountId)).to.equal(2); // the one inserted above and Bruno's
  });

  it('the process takes 8 uploads at once in all: the next person gets 503 with a message, and nothing is left behind', async () => {
    const { account, base } = await company();
    const people = [];
    for (let i = 0; i < 5; i += 1) people.push(await person((await addMember(portal.db, account.accountId, { name: `Pessoa ${i}` })).email));
    for (const p of people.slice(0, 4)) {
      await stalled(base, p);
      await stalled(base, p);
    }
    const res = await post(base, people[4]!, encode([...TICKET_FIELDS, pdf('nono.pdf', 1024)]));
    expect(res.status).to.equal(503);
    expect(decode(res.text)).to.contain('O portal está recebendo muitos arquivos agora. Tente de novo em alguns instantes.');
    expect(await ticketsOf(account.accountId)).to.equal(0);

    // The stalled ones give up: their temporary files go, their slots come back.
    while (open.length) open.pop()!.destroy();
    await until(() => incoming().length === 0);
    let answer = 0;
    while (answer !== 303) answer = (await post(base, people[4]!, encode([...TICKET_FIELDS, pdf('depois.pdf', 1024)]))).status;
    expect(await ticketsOf(account.accountId)).to.equal(1);
  });

  it('an upload removes what a stopped process left in the incoming folder over an hour ago, and nothing newer', async () => {
    const { account, base, maria } = await company();
    await stalled(base, maria); // in progress now: its file must survive the sweep
    const old = path.join(dataDir, 'plugins', 'support', 'incoming', 'deixado-por-um-processo-parado');
    writeFileSync(old, 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    expect(incoming()).to.have.length(2);
    const res = await post(base, maria, encode([...TICKET_FIELDS, pdf('novo.pdf', 1024)]));
    expect(res.status).to.equal(303);
    expect(await ticketsOf(account.accountId)).to.equal(1);
    expect(incoming()).to.have.length(1);
    expect(incoming()).not.to.include('deixado-por-um-processo-parado');
  });

  it('a failure in the ticket\'s transaction after a file is in place leaves no ticket, no file and no temporary file', async () => {
    const { account, base, maria } = await company();
    const client = portal.config.database.client;
    await portal.db.raw(client === 'sqlite'
      ? "CREATE TRIGGER fail_attachment BEFORE INSERT ON support_ticket_attachments WHEN NEW.original_name = 'falha.pdf' BEGIN SELECT RAISE(ABORT, 'boom'); END"
      : "CREATE TRIGGER fail_attachment BEFORE INSERT ON support_ticket_attachments FOR EACH ROW BEGIN IF NEW.original_name = 'falha.pdf' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom'; END IF; END");
    try {
      const before = stored();
      const res = await post(base, maria, encode([...TICKET_FIELDS, pdf('primeiro.pdf', 2048), pdf('falha.pdf', 2048)]));
      expect(res.status).to.equal(500);
      expect(await ticketsOf(account.accountId)).to.equal(0);
      expect(stored()).to.deep.equal(before);
      expect(incoming()).to.deep.equal([]);
    } finally {
      await portal.db.raw('DROP TRIGGER fail_attachment');
    }
  });
});
