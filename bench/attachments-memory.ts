/**
 * Memory of the portal process while support attachments are uploaded: four people post a new
 * ticket with ~40 MB of files at once (4 files of 9.9 MB, each under the 10 MB per-file limit),
 * first with a Content-Length as browsers send, then chunked (no Content-Length), and then four
 * posts of 24 MB that are within every limit (3 files of 8 MB) and are kept.
 *
 *   npx tsx bench/attachments-memory.ts
 *
 * The portal runs in a child process (this file with `--serve`; SQLite in a temporary DATA_DIR,
 * removed at the end), so the figures are the server's alone: its RSS before, its peak (VmHWM,
 * reset before each round through /proc/self/clear_refs) and after, with the answers' statuses.
 * The client streams each body from one reused 1 MB buffer. Linux only (/proc).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { HEADERS, login } from './http-load';

const MB = 1024 * 1024;

/** VmRSS and VmHWM of this process, in MB. */
function memory(): { rss: number; peak: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

async function serve(dataDir: string): Promise<void> {
  const { loadConfig } = await import('../server/config');
  const { createPortal } = await import('../server/portal');
  const { addMember, createAccount, PASSWORD } = await import('../test/support/fixtures');
  const pino = (await import('pino')).default;
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SESSION_SECRET: 'bench-secret-that-is-long-enough-0123456789', DATA_DIR: dataDir, PUBLIC_URL: 'http://portal.test' });
  const portal = await createPortal(config, { logger: pino({ level: 'silent' }) });
  const account = await createAccount(portal.db);
  const people = [];
  for (let i = 0; i < 4; i += 1) people.push((await addMember(portal.db, account.accountId, { name: `Pessoa ${i + 1}` })).email);
  const server = http.createServer(portal.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (msg) => {
    if (msg === 'reset-peak') writeFileSync('/proc/self/clear_refs', '5');
    if (msg === 'reset-peak' || msg === 'memory') process.send!({ memory: memory() });
    if (msg === 'stop') server.close(() => portal.close().then(() => process.exit(0)));
  });
  process.send!({ port: (server.address() as { port: number }).port, accountId: account.accountId, people, password: PASSWORD });
}

const BOUNDARY = '----bench-attachments-3f9a';
const fields = { subject: 'Arquivos de retorno', description: 'Seguem os arquivos.', category: 'incident', priority: 'high' };
const head = (name: string, filename?: string) =>
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"\r\nContent-Type: application/pdf` : ''}\r\n\r\n`);

/** Posts a ticket with `files` files of `size` bytes, streamed; answers the status. */
function postTicket(base: URL, target: string, cookie: string, csrf: string, files: number, size: number, withLength: boolean): Promise<number> {
  const chunk = Buffer.alloc(MB, 0x25);
  const parts: (Buffer | number)[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(head(k), Buffer.from(`${v}\r\n`));
  for (let i = 0; i < files; i += 1) parts.push(head('attachments', `retorno-${i + 1}.pdf`), size, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  const length = parts.reduce<number>((n, p) => n + (typeof p === 'number' ? p : p.length), 0);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: base.hostname, port: base.port, method: 'POST', path: `${target}?_csrf=${encodeURIComponent(csrf)}`,
      headers: { ...HEADERS, cookie, 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...(withLength ? { 'content-length': String(length) } : {}) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    // The server may answer (413) before the body is sent; the rest of the body then has nowhere to go.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve(-1) : reject(err)));
    (async () => {
      for (const p of parts) {
        if (typeof p !== 'number') {
          if (!req.write(p)) await new Promise((r) => req.once('drain', r));
          continue;
        }
        for (let left = p; left > 0 && !req.destroyed; left -= chunk.length) {
          if (!req.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await new Promise((r) => req.once('drain', r));
        }
      }
      req.end();
    })().catch(reject);
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-bench-attachments-'));
  const child = fork(import.meta.filename, ['--serve', dataDir], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  try {
    const ready = await next<{ port: number; accountId: number; people: string[]; password: string }>();
    const base = new URL(`http://127.0.0.1:${ready.port}`);
    const target = `/accounts/${ready.accountId}/p/support`;
    const sessions = [];
    for (const email of ready.people) {
      const cookie = await login(base.origin, email, ready.password);
      const page = await (await fetch(`${base.origin}/me`, { headers: { ...HEADERS, cookie } })).text();
      sessions.push({ cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)![1]! });
    }
    const memoryOf = (msg: string) => {
      const answer = next<{ memory: { rss: number; peak: number } }>();
      child.send(msg);
      return answer.then((a) => a.memory);
    };
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 1024 / MB)} GB RAM, ${os.type()} ${os.release()}, Node ${process.version}`);
    const rounds: [string, number, number, boolean][] = [
      ['4 × 40 MB (4 files of 9.9 MB), Content-Length', 4, Math.round(9.9 * MB), true],
      ['4 × 40 MB (4 files of 9.9 MB), chunked', 4, Math.round(9.9 * MB), false],
      ['4 × 24 MB (3 files of 8 MB), within the limits', 3, 8 * MB, true],
    ];
    for (const [label, files, size, withLength] of rounds) {
      const before = await memoryOf('reset-peak');
      const statuses = await Promise.all(sessions.map((s) => postTicket(base, target, s.cookie, s.csrf, files, size, withLength)));
      const after = await memoryOf('memory');
      console.log(`${label}: RSS ${before.rss} MB before, peak ${after.peak} MB, ${after.rss} MB after; answers ${statuses.join(', ')}`);
    }
  } finally {
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3]!);
else await main();
