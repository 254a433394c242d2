/**
 * SIGTERM while a long request runs on a real portal process (server/main.ts): a support ticket
 * whose attachment is still arriving. The request is finished (the ticket and its file, once), the
 * process exits 0, and after a restart on the same database and data folder the ticket, its file
 * and the person's session are there, nothing written twice, nothing left in the incoming folder.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { freshDatabaseUrl } from '../support/databases';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { exitOf, printed, startMain, within, type MainProcess } from '../support/main-process';
import { csrfFrom, login, startPortal } from '../support/portal';

const BOUNDARY = '----portal-shutdown-boundary-51c0';
const FILE = Buffer.alloc(2 * 1024 * 1024, 0x25);

function multipart(fields: Record<string, string>, file: { name: string; bytes: Buffer }): Buffer {
  const parts = Object.entries(fields).map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  return Buffer.concat([
    Buffer.from(parts.join('')),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename="${file.name}"\r\nContent-Type: application/pdf\r\n\r\n`),
    file.bytes,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

const files = (dir: string) => {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
};

describe('SIGTERM while a long request runs (an attachment still uploading)', () => {
  let dataDir: string;
  const running: MainProcess[] = [];

  before(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-shutdown-upload-'));
  });
  after(() => {
    for (const m of running) if (m.child.exitCode === null) m.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes the upload, exits 0, and after a restart the ticket and its file are there once', async function () {
    this.timeout(60_000);
    const DATABASE_URL = await freshDatabaseUrl();
    const setup = await startPortal({ DATABASE_URL, DATA_DIR: dataDir, SMTP_URL: '' });
    const account = await createAccount(setup.db);
    const maria = await addMember(setup.db, account.accountId, { name: 'Maria Enviando' });
    const base = `/accounts/${account.accountId}/p/support`;
    const stored = () => files(path.join(dataDir, 'plugins', 'support'));
    const incoming = () => files(path.join(dataDir, 'plugins', 'support', 'incoming'));
    const ticketsOf = () => setup.db('support_tickets').where({ account_id: account.accountId });
    const attachmentsOf = () => setup.db('support_ticket_attachments').whereIn('ticket_id', setup.db('support_tickets').select('id').where({ account_id: account.accountId }));

    const env = { NODE_ENV: 'test', DATABASE_URL, DATA_DIR: dataDir, SESSION_SECRET: 'x'.repeat(40), SMTP_URL: '', LOG_LEVEL: 'info' };
    const first = await startMain(env);
    running.push(first);
    const firstExit = exitOf(first);
    const agent = supertest.agent(first.baseUrl);
    const signedIn = await login(agent, maria.email, PASSWORD);
    expect(signedIn.status).to.equal(303);
    const cookie = ([signedIn.headers['set-cookie'] ?? []].flat() as string[]).map((c) => c.split(';')[0]).join('; ');
    const csrf = await csrfFrom(agent, '/me');

    const body = multipart({ subject: 'Retorno do banco', description: 'Segue o arquivo.', category: 'incident', priority: 'high' }, { name: 'retorno.pdf', bytes: FILE });
    const half = body.length - FILE.length / 2;
    const req = http.request({
      host: '127.0.0.1', port: first.port, method: 'POST', path: `${base}?_csrf=${encodeURIComponent(csrf)}`, agent: false,
      headers: { cookie, 'accept-language': 'pt-BR', 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(body.length) },
    });
    const answer = new Promise<{ status: number; location?: string }>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location }));
      });
      req.on('error', reject);
    });
    req.write(body.subarray(0, half));
    // The file is streaming to the incoming folder: the request is in flight.
    await within((async () => {
      while (incoming().length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    })(), 10_000, 'the upload reaching the incoming folder');

    first.child.kill('SIGTERM');
    await printed(first, '"msg":"stopping"');
    req.end(body.subarray(half));
    const res = await within(answer, 15_000, 'the answer to the upload');
    expect(res.status).to.equal(303);
    expect(res.location).to.match(new RegExp(`^${base}/\\d+\\?opened=1$`));
    expect(await within(firstExit, 20_000, 'the process exiting')).to.equal(0);

    // Written once, whole: one ticket, one attachment, its file in place and nothing half-written.
    expect(await ticketsOf()).to.have.length(1);
    const attachments = await attachmentsOf();
    expect(attachments).to.have.length(1);
    expect(stored()).to.deep.equal([attachments[0].stored_name]);
    expect(incoming()).to.deep.equal([]);

    // A restart on the same database and folder: the same session reads the ticket and downloads the file.
    const second = await startMain(env);
    running.push(second);
    const secondExit = exitOf(second);
    const again = supertest.agent(second.baseUrl);
    const ticketPath = res.location!.replace(/\?.*$/, '');
    const page = await again.get(ticketPath).set('cookie', cookie);
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('Retorno do banco').and.to.contain('retorno.pdf');
    const download = await again.get(`${ticketPath}/attachments/${attachments[0].id}`).set('cookie', cookie).buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(download.status).to.equal(200);
    expect(Buffer.compare(download.body as Buffer, FILE)).to.equal(0);
    second.child.kill('SIGTERM');
    expect(await within(secondExit, 20_000, 'the second process exiting')).to.equal(0);
    expect(await ticketsOf()).to.have.length(1);
    expect(await attachmentsOf()).to.have.length(1);
  });
});
