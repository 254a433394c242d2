import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freshDatabaseUrl } from '../support/databases';
import { startMain, type MainProcess } from '../support/main-process';

/** One request on its own connection: node:cluster hands out connections, not requests. */
function get(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    }).on('error', reject);
  });
}

const logLines = (p: MainProcess) => p.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; pid: number });

async function until<T>(what: () => T | undefined, ms = 60_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const v = what();
    if (v !== undefined) return v;
  }
  throw new Error('timed out');
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('WEB_CONCURRENCY=2 npm start: two workers on one port', function () {
  this.timeout(120_000);
  let dataDir: string;
  let main: MainProcess | undefined;
  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-workers-'));
    main = await startMain({
      WEB_CONCURRENCY: '2', NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), DATA_DIR: dataDir, DATABASE_URL: await freshDatabaseUrl(),
      PUBLIC_URL: 'https://portal.example.com', SMTP_URL: 'smtp://127.0.0.1:2525', LOG_LEVEL: 'info',
    });
    await until(() => (logLines(main!).some((l) => l.msg === 'all workers listening') ? true : undefined));
  });
  after(() => {
    if (main && main.child.exitCode === null) main.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const workerPids = () => logLines(main!).filter((l) => l.msg === 'portal listening').map((l) => l.pid);

  it('answers from both workers, each a process of its own; the first-run banner is printed once', async () => {
    const pids = workerPids();
    expect(pids).to.have.length(2);
    expect(pids).not.to.include(main!.child.pid);
    // /healthz is not logged (balancers ask it every few seconds): the login page is.
    for (let i = 0; i < 16; i++) expect(await get(main!.port, '/login')).to.be.within(200, 399);
    const answered = new Set(await until(() => {
      const seen = logLines(main!).filter((l) => l.msg?.startsWith('GET /login ')).map((l) => l.pid);
      return seen.length >= 16 ? seen : undefined;
    }));
    expect([...answered].sort()).to.deep.equal([...pids].sort());
    expect(main!.output().match(/Setup code:/g)).to.have.length(1);
  });

  it('a worker that dies is replaced and the port keeps answering', async () => {
    const [victim] = workerPids();
    process.kill(victim!, 'SIGKILL');
    const replacement = await until(() => workerPids()[2]);
    expect(replacement).not.to.equal(victim);
    for (let i = 0; i < 4; i++) expect(await get(main!.port, '/healthz')).to.equal(200);
  });

  it('SIGTERM stops the workers and then the primary, with exit code 0', async () => {
    const pids = workerPids();
    const exited = new Promise<number | null>((resolve) => main!.child.once('exit', resolve));
    main!.child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(pids.filter(alive)).to.deep.equal([]);
    expect(logLines(main!).filter((l) => l.msg === 'stopped').length).to.be.greaterThanOrEqual(3);
  });
});
