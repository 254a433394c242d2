import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from 'mocha';
import knexFactory, { type Knex } from 'knex';
import { startSmtp, type SmtpListener } from '../support/mail';
import { startMain, type MainProcess } from '../support/main-process';
import { startCluster, type Cluster, type GaleraNode } from './galera';

/**
 * The one cluster of a `npm run test:cluster` run (mocha root hooks, loaded by
 * test/cluster/mocharc.json): three Galera nodes, HAProxy, an SMTP listener, and four portal
 * processes — one on each node and one through HAProxy — each running its own mail worker.
 * Everything is stopped and its folders removed after the last test, on SIGINT/SIGTERM, and by a
 * watchdog if the run outlives RUN_LIMIT_MS.
 */
export const DATABASE = 'portal_cluster';
const RUN_LIMIT_MS = 15 * 60_000;

export interface Portal {
  name: string;
  /** The node it talks to, or 'haproxy'. */
  via: number | 'haproxy';
  process: MainProcess;
  baseUrl: string;
}

export interface ClusterRun {
  cluster: Cluster;
  /** node0, node1, node2, haproxy — in that order. */
  portals: Portal[];
  smtp: SmtpListener;
  /** knex on node i (pool of 2), for setting up and checking rows. */
  db(node: number): Knex;
  /** Runs `work` with a connection on node i that first waits until the node has applied every write committed anywhere. */
  synced<T>(node: number, work: (db: Knex) => Promise<T>): Promise<T>;
  /** Conflicts the nodes reported so far (certification failures and brute-force aborts: the 1213s the retry helper reran). */
  conflicts(): Promise<number>;
}

let run: ClusterRun | undefined;
let teardown: (() => Promise<void>) | undefined;

export function clusterRun(): ClusterRun {
  if (!run) throw new Error('the cluster is not running (test/cluster/fixture.ts starts it in a root hook)');
  return run;
}

const log = (line: string) => console.log(`    [cluster] ${line}`);

async function start(): Promise<void> {
  const cleanups: (() => Promise<void> | void)[] = [];
  let tornDown: Promise<void> | undefined;
  teardown = () => (tornDown ??= (async () => {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch((err: unknown) => console.error('cluster teardown:', err));
  })());

  const t0 = Date.now();
  const smtp = await startSmtp();
  cleanups.push(() => smtp.close());
  const cluster = await startCluster(log);
  cleanups.push(() => cluster.destroy());
  log(`three nodes Synced and HAProxy up in ${Math.round((Date.now() - t0) / 1000)} s (${cluster.root})`);
  await cluster.sql(cluster.nodes[0]!, `CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);

  const pools = new Map<number, Knex>();
  cleanups.push(async () => {
    for (const p of pools.values()) await p.destroy();
  });
  const db = (node: number) => {
    let pool = pools.get(node);
    if (!pool) pools.set(node, (pool = knexFactory({ client: 'mysql2', connection: { uri: cluster.url(DATABASE, node), timezone: 'Z', supportBigNumbers: true } as Knex.MySql2ConnectionConfig, pool: { min: 0, max: 2 } })));
    return pool;
  };

  const portals: Portal[] = [];
  cleanups.push(() => {
    for (const p of portals) if (p.process.child.exitCode === null && p.process.child.signalCode === null) p.process.child.kill('SIGKILL');
  });
  for (const via of [0, 1, 2, 'haproxy'] as const) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-cluster-app-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // One after the other: the first runs the migrations.
    const main = await startMain({
      NODE_ENV: 'test', SESSION_SECRET: 'c'.repeat(40), DATA_DIR: dir, DATABASE_URL: cluster.url(DATABASE, via), LOG_LEVEL: 'info',
      SMTP_URL: smtp.url, PUBLIC_URL: 'http://portal.test',
      // Every client of this run is 127.0.0.1: the per-address login limit would count them as one.
      LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
    });
    portals.push({ name: via === 'haproxy' ? 'haproxy' : `node${via}`, via, process: main, baseUrl: main.baseUrl });
  }
  log(`four portal processes up in ${Math.round((Date.now() - t0) / 1000)} s`);

  run = {
    cluster,
    portals,
    smtp,
    db,
    async synced(node, work) {
      const one = knexFactory({ client: 'mysql2', connection: { uri: cluster.url(DATABASE, node), timezone: 'Z', supportBigNumbers: true } as Knex.MySql2ConnectionConfig, pool: { min: 1, max: 1 } });
      try {
        await one.raw('SET SESSION wsrep_sync_wait = 1');
        return await work(one);
      } finally {
        await one.destroy();
      }
    },
    async conflicts() {
      let sum = 0;
      for (const n of cluster.nodes.filter((x: GaleraNode) => x.process)) {
        sum += Number(await cluster.status(n, 'wsrep_local_cert_failures')) + Number(await cluster.status(n, 'wsrep_local_bf_aborts'));
      }
      return sum;
    },
  };
}

function onSignal(signal: NodeJS.Signals) {
  console.error(`\n    [cluster] ${signal}: stopping the cluster and removing its folders`);
  void (teardown?.() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
}

let conflictsBefore = 0;
let logMarks: number[] = [];

export const mochaHooks = {
  /** Every scenario reports the conflicts the nodes reran and what the portals logged as errors. */
  async beforeEach() {
    if (!run) return;
    conflictsBefore = await run.conflicts().catch(() => 0);
    logMarks = run.portals.map((p) => p.process.output().length);
  },
  async afterEach(this: Context) {
    if (!run) return;
    const errors = run.portals.map((p, i) => p.process.output().slice(logMarks[i]).split('\n').filter((l) => /"level":(50|60)/.test(l)));
    // A node restarted in the scenario starts its counters again from zero: then the difference says nothing.
    const conflicts = await run.conflicts().then((n) => (n >= conflictsBefore ? String(n - conflictsBefore) : 'unknown (a node restarted)'), () => 'unknown (a node is down)');
    console.log(`      conflicts the nodes reported (each a 1213 rerun): ${conflicts}; errors logged per portal: ${errors.map((e) => e.length).join(', ')}`);
    if (this.currentTest?.state === 'failed') {
      for (const [i, lines] of errors.entries()) for (const l of lines.slice(-5)) console.log(`        ${run.portals[i]!.name}: ${l.slice(0, 700)}`);
    }
  },

  async beforeAll(this: Context) {
    this.timeout(300_000);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const watchdog = setTimeout(() => {
      console.error(`    [cluster] the run took longer than ${RUN_LIMIT_MS / 60_000} min: stopping it`);
      void (teardown?.() ?? Promise.resolve()).finally(() => process.exit(1));
    }, RUN_LIMIT_MS);
    watchdog.unref();
    try {
      await start();
    } catch (err) {
      await teardown?.();
      throw err;
    }
  },
  async afterAll(this: Context) {
    this.timeout(60_000);
    await teardown?.();
    run = undefined;
  },
};
