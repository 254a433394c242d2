/**
 * The two servers bench/contacts-list loads, each in its own child process (this file with
 * `--serve portal|ceiling`), so the load generator never shares an event loop with them:
 * - portal: the real app (createPortal), as `server/main.ts` builds it;
 * - ceiling: what this stack does at best for the same page: Express 5 + a mysql2 pool + EJS, no
 *   session, no auth, one indexed query, 25 rows in a table like the portal's (cheap string masks
 *   instead of the libraries' formatters).
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import inspector from 'node:inspector/promises';
import path from 'node:path';
import { loadConfig } from '../server/config';
import { createPortal } from '../server/portal';

export interface RunningServer {
  url: string;
  /** CPU time (user + system) the server process has used so far, in ms. */
  cpuMs: () => Promise<number>;
  /** Statements the portal has sent so far (knex's 'query' event); 0 for the ceiling. */
  statements: () => Promise<number>;
  /** V8's CPU profiler in the server process (node:inspector): start, then stop into a .cpuprofile file. */
  profile: { start: () => Promise<void>; stop: (file: string) => Promise<void> };
  stop: () => Promise<void>;
}

async function ceilingServer(databaseUrl: string): Promise<http.Server> {
  const express = (await import('express')).default;
  const mysql = (await import('mysql2/promise')).default;
  const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: 32, charset: 'utf8mb4', timezone: 'Z' });
  const app = express();
  app.set('view engine', 'ejs');
  app.set('views', path.join(import.meta.dirname, 'views'));
  app.enable('view cache');
  const profiles: Record<string, string> = { administrator: 'Administrador', member: 'Membro', observer: 'Observador' };
  const cpf = (d: string | null) => (d && d.length === 11 ? `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6, 9)}-${d.slice(9)}` : d ?? '');
  const phone = (area: string | null, n: string | null) => (n ? `(${area ?? ''}) ${n.slice(0, -4)}-${n.slice(-4)}` : '');
  app.get('/accounts/:accountId/contacts', async (req, res) => {
    const accountId = Number(req.params.accountId);
    const [rows] = await pool.query(
      'SELECT id, name, email, country, document_type, document_number, area_code, phone, status, profile, user_id, created_at FROM contacts WHERE account_id = ? AND status = ? ORDER BY sort_name, id LIMIT 25',
      [accountId, 'active'],
    );
    res.render('ceiling', { rows, base: `/accounts/${accountId}/contacts`, profiles, cpf, phone });
  });
  return http.createServer(app);
}

let statements = 0;
let profiler: inspector.Session | undefined;

async function onProfileMessage(msg: { profile: 'start' | 'stop'; file?: string }): Promise<void> {
  if (msg.profile === 'start') {
    profiler = new inspector.Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  } else if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(msg.file!, JSON.stringify(profile));
    profiler.disconnect();
    profiler = undefined;
  }
  process.send!({ profiled: msg.profile });
}

async function portalServer(): Promise<http.Server> {
  const portal = await createPortal(loadConfig(process.env));
  portal.db.on('query', () => statements++);
  return http.createServer(portal.app);
}

async function serve(kind: string): Promise<void> {
  const server = kind === 'portal' ? await portalServer()
    : kind === 'ceiling' ? await ceilingServer(process.env.DATABASE_URL!)
    : undefined;
  if (!server) throw new Error(`unknown server kind ${kind}`);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (msg) => {
    if (msg === 'cpu') return process.send!({ cpu: process.cpuUsage() });
    if (msg === 'statements') return process.send!({ statements });
    if (typeof msg === 'object' && msg !== null && 'profile' in msg) return void onProfileMessage(msg as { profile: 'start' | 'stop'; file?: string });
    if (msg !== 'stop') return;
    server.closeAllConnections();
    process.exit(0);
  });
  // The bench ended without stopping us (it failed): do not outlive it.
  process.on('disconnect', () => process.exit(0));
  process.send!({ port: (server.address() as { port: number }).port });
}

/**
 * Starts a server child with `env` (DATABASE_URL, and the portal's configuration); `nodeOptions`
 * are added to its Node flags (`--cpu-prof`: a CPU profile written when it stops).
 */
export function startServer(kind: 'portal' | 'ceiling', env: NodeJS.ProcessEnv, nodeOptions: string[] = []): Promise<RunningServer> {
  const child = fork(import.meta.filename, ['--serve', kind], { env, execArgv: [...process.execArgv, ...nodeOptions], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(msg: string | { profile: string; file?: string }, pick: (reply: unknown) => T) =>
    new Promise<T>((resolve) => {
      child.once('message', (reply) => resolve(pick(reply)));
      child.send(msg);
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with code ${code}`)));
    child.once('message', (msg) => {
      child.removeAllListeners('exit');
      resolve({
        url: `http://127.0.0.1:${(msg as { port: number }).port}`,
        cpuMs: () => ask('cpu', (m) => ((m as { cpu: NodeJS.CpuUsage }).cpu.user + (m as { cpu: NodeJS.CpuUsage }).cpu.system) / 1000),
        statements: () => ask('statements', (m) => (m as { statements: number }).statements),
        profile: {
          start: () => ask({ profile: 'start' }, () => undefined),
          stop: (file: string) => ask({ profile: 'stop', file }, () => undefined),
        },
        stop: () => new Promise<void>((done) => (child.once('exit', () => done()), child.send('stop'))),
      });
    });
  });
}

if (process.argv[2] === '--serve') {
  serve(process.argv[3] ?? '').catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
