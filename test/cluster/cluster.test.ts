import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { createAccount, PASSWORD } from '../support/fixtures';
import { startMain, type MainProcess } from '../support/main-process';
import { countersOf, realCountsOf, validContact } from '../integration/helpers/contacts';
import { startCluster, type Cluster } from './galera';

/**
 * `npm run test:cluster`: the portal on a three-node Galera cluster (see galera.ts), three portal
 * processes: one on node 0, one on node 1, one through HAProxy (round-robin over all three).
 */
const DATABASE = 'portal_cluster';

/** A logged-in session held as a cookie: sessions live in the database, so every portal accepts it. */
interface Session { cookie: string; csrf: string }

const cookieOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
const csrfIn = (html: string) => (/name="_csrf" value="([^"]+)"/.exec(html) ?? /"x-csrf-token": "([^"]+)"/.exec(html))![1]!;

async function logIn(base: string, email: string): Promise<Session> {
  const page = await fetch(`${base}/login`);
  const first = cookieOf(page);
  const res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual', headers: { cookie: first, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfIn(await page.text()), email, password: PASSWORD }),
  });
  if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
  const cookie = cookieOf(res) || first;
  const me = await fetch(`${base}/me`, { headers: { cookie } });
  return { cookie, csrf: csrfIn(await me.text()) };
}

const postForm = (base: string, s: Session, urlPath: string, form: Record<string, string>) =>
  fetch(`${base}${urlPath}`, {
    method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: s.csrf, ...form }),
  });

describe('the portal on a three-node Galera cluster', function () {
  this.timeout(600_000);
  let cluster: Cluster;
  let db: Knex;
  const portals: MainProcess[] = [];
  const dataDirs: string[] = [];

  before(async () => {
    const t0 = Date.now();
    cluster = await startCluster((line) => console.log(`    [cluster] ${line}`));
    console.log(`    [cluster] three nodes Synced and HAProxy up in ${Math.round((Date.now() - t0) / 1000)} s`);
    await cluster.sql(cluster.nodes[0]!, `CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    for (const via of [0, 1, 'haproxy'] as const) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-cluster-app-'));
      dataDirs.push(dir);
      // One after the other: the first runs the migrations.
      portals.push(await startMain({ NODE_ENV: 'test', SESSION_SECRET: 'c'.repeat(40), DATA_DIR: dir, DATABASE_URL: cluster.url(DATABASE, via), LOG_LEVEL: 'warn' }));
    }
    db = knexFactory({ client: 'mysql2', connection: cluster.url(DATABASE, 0), pool: { min: 0, max: 4 } });
  });

  after(async () => {
    for (const p of portals) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await db?.destroy();
    await cluster?.destroy();
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  });

  it('20 concurrent adds for the last seat, over three processes and three nodes: exactly one contact, counters equal to the rows', async () => {
    const { accountId, admin } = await createAccount(db, { seatLimit: 2 });
    const session = await logIn(portals[0]!.baseUrl, admin.email);
    const before = await countersOf(db, accountId);
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      postForm(portals[i % 3]!.baseUrl, session, `/accounts/${accountId}/contacts`, validContact({ name: `Concorrente ${i}` }))));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).to.deep.equal([303, ...Array<number>(19).fill(409)]);
    // Every node sees the same: counters moved by one and equal to the rows.
    for (const node of [0, 1, 2]) {
      const onNode = knexFactory({ client: 'mysql2', connection: cluster.url(DATABASE, node), pool: { min: 0, max: 1 } });
      try {
        await onNode.raw('SET SESSION wsrep_sync_wait = 1');
        expect(await countersOf(onNode, accountId)).to.deep.equal({ ...before, pending: before.pending + 1 });
        expect((await realCountsOf(onNode, [accountId])).get(accountId)).to.deep.equal(await countersOf(onNode, accountId));
      } finally {
        await onNode.destroy();
      }
    }
  });
});
