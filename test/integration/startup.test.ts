import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { freshDatabaseUrl } from '../support/databases';
import { startMain, type MainProcess } from '../support/main-process';

async function stop(started: MainProcess): Promise<void> {
  const exited = new Promise((resolve) => started.child.once('exit', resolve));
  started.child.kill('SIGTERM');
  await exited;
}

describe('start-up (npm start)', () => {
  let dataDir: string;
  const running: MainProcess[] = [];
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-start-'));
  });
  afterEach(async () => {
    while (running.length) await stop(running.pop()!);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('without NODE_ENV says loudly that this is not a production start', async () => {
    const started = await startMain({ DATA_DIR: dataDir, DATABASE_URL: await freshDatabaseUrl() });
    running.push(started);
    expect(started.output()).to.contain('WARNING: running with NODE_ENV=development');
    expect(started.output()).to.contain('A production deployment must set NODE_ENV=production');
  });

  it('with NODE_ENV=production gives no such warning', async () => {
    const started = await startMain({
      NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), DATA_DIR: dataDir, DATABASE_URL: await freshDatabaseUrl(),
      PUBLIC_URL: 'https://portal.example.com', SMTP_URL: 'smtp://127.0.0.1:2525',
    });
    running.push(started);
    expect(started.output()).to.contain('Portal: http://localhost:');
    expect(started.output()).not.to.contain('WARNING');
  });

  it('in development a request is one short readable line on the console; in production one JSON object', async () => {
    const waitFor = async (started: MainProcess, pattern: RegExp) => {
      for (let i = 0; i < 100 && !pattern.test(started.output()); i++) await new Promise((r) => setTimeout(r, 50));
      return started.output();
    };
    const dev = await startMain({ DATA_DIR: dataDir, DATABASE_URL: await freshDatabaseUrl(), LOG_LEVEL: 'info' });
    running.push(dev);
    await fetch(`${dev.baseUrl}/login`, { redirect: 'manual' });
    const line = (await waitFor(dev, /GET \/login 30\d/)).split('\n').find((l) => l.includes('GET /login'))!;
    expect(line).to.match(/^\[\d\d:\d\d:\d\d\] INFO: GET \/login 30\d \d+ms$/);

    const prod = await startMain({
      NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), DATA_DIR: dataDir, DATABASE_URL: await freshDatabaseUrl(),
      PUBLIC_URL: 'https://portal.example.com', SMTP_URL: 'smtp://127.0.0.1:2525', LOG_LEVEL: 'info',
    });
    running.push(prod);
    await fetch(`${prod.baseUrl}/login`, { redirect: 'manual' });
    const json = (await waitFor(prod, /"msg":"GET \/login/)).split('\n').find((l) => l.includes('"msg":"GET /login'))!;
    const entry = JSON.parse(json);
    expect(entry.msg).to.match(/^GET \/login 30\d \d+ms$/);
    expect(entry).to.have.nested.property('req.method', 'GET');
  });

  it('on an empty database prints the one-time code that /setup asks for', async () => {
    const started = await startMain({ DATA_DIR: dataDir, DATABASE_URL: await freshDatabaseUrl() });
    running.push(started);
    const code = /Setup code: ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/.exec(started.output())?.[1];
    expect(code, started.output()).to.be.a('string');

    const browser = supertest.agent(started.baseUrl);
    const form = await browser.get('/setup');
    const _csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const password = 'senha do administrador';
    const res = await browser.post('/setup').type('form').send({
      _csrf, setupCode: code!, companyName: 'Acme Ltda', cnpj: '', name: 'Carla', email: 'carla@example.test', password, passwordConfirmation: password,
    });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login?email=carla%40example.test');
  });
});
