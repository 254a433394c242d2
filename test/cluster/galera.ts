import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * A three-node MariaDB Galera cluster on loopback, with HAProxy in front, for `npm run test:cluster`
 * (DESIGN §7's recipe): its own data folders under a temporary directory, small buffer pools, the
 * first node bootstrapped with --wsrep-new-cluster, the others joining by rsync SST. Everything
 * it starts is stopped by `destroy()`; nothing touches the system MariaDB.
 */
const run = promisify(execFile);
const PROVIDER = '/usr/lib/galera/libgalera_smm.so';
export const DB_USER = 'portal';
export const DB_PASSWORD = 'portal-cluster-test';

export interface GaleraNode {
  index: number;
  port: number;
  galeraPort: number;
  dir: string;
  socket: string;
  process: ChildProcess | null;
}

export interface Cluster {
  /** The temporary directory holding every node's data folder and HAProxy's configuration. */
  root: string;
  nodes: GaleraNode[];
  haproxyPort: number;
  /** mysql:// URL of a database on node i, or through HAProxy (`'haproxy'`). */
  url(database: string, via: number | 'haproxy'): string;
  sql(node: GaleraNode, statement: string): Promise<string>;
  status(node: GaleraNode, name: string): Promise<string>;
  /** Starts (or restarts) a node that joins the running cluster; resolves when it is Synced. */
  join(node: GaleraNode): Promise<void>;
  /**
   * Starts a stopped node as a new cluster (`--wsrep-new-cluster`): after every node was shut down,
   * the last one to leave (grastate.dat `safe_to_bootstrap: 1`) starts first, as an operator does.
   */
  bootstrap(node: GaleraNode): Promise<void>;
  /** Sends `signal` (SIGTERM: a clean shutdown) and resolves when the node has exited. */
  kill(node: GaleraNode, signal?: NodeJS.Signals): Promise<void>;
  /** Kills everything it started and removes its folders; safe to call more than once. */
  destroy(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What every server these tests and bench/cluster start has in common (a Galera node adds its wsrep
 * lines): its own folder, loopback only, small buffers for this 2-core machine.
 */
function serverSettings(dir: string, socket: string, port: number): string {
  return `[mysqld]
user=mysql
datadir=${dir}/data
socket=${socket}
pid-file=${dir}/mysqld.pid
log-error=${dir}/error.log
port=${port}
bind-address=127.0.0.1
skip-name-resolve
performance_schema=OFF
innodb_buffer_pool_size=64M
innodb_log_file_size=32M
innodb_flush_log_at_trx_commit=2
max_connections=200
thread_cache_size=4
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
character_set_server=utf8mb4
collation_server=utf8mb4_unicode_ci
`;
}

const installDatabase = (dir: string) =>
  run('mariadb-install-db', ['--no-defaults', '--user=mysql', `--datadir=${dir}/data`, '--skip-test-db', '--auth-root-authentication-method=socket'], { timeout: 120_000 });

const sqlOn = async (socket: string, statement: string) =>
  (await run('mariadb', ['--no-defaults', '-uroot', `-S${socket}`, '-N', '-B', '-e', statement], { timeout: 30_000 })).stdout.trim();

/**
 * One MariaDB server without wsrep, with the nodes' settings and user (bench/cluster's "one
 * MariaDB"), holding the empty database `database`; `stop()` kills it and removes its folder.
 */
export async function startOneServer(database: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-single-'));
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'data'));
  const port = 23000 + Math.floor(Math.random() * 1000);
  const socket = path.join(dir, 'mysqld.sock');
  writeFileSync(path.join(dir, 'my.cnf'), serverSettings(dir, socket, port));
  await run('chown', ['-R', 'mysql:mysql', dir]);
  await installDatabase(dir);
  const child = spawn('mariadbd', [`--defaults-file=${dir}/my.cnf`], { stdio: 'ignore' });
  const stop = async () => {
    child.kill('SIGKILL');
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let waited = 0; ; waited += 500) {
      try {
        await sqlOn(socket, 'SELECT 1');
        break;
      } catch (err) {
        if (waited > 60_000) throw err;
        await sleep(500);
      }
    }
    await sqlOn(socket, `CREATE USER '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}'; GRANT ALL ON *.* TO '${DB_USER}'@'127.0.0.1'; CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `mysql://${DB_USER}:${DB_PASSWORD}@127.0.0.1:${port}/${database}`, stop };
}

export async function startCluster(log: (line: string) => void = () => {}): Promise<Cluster> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'portal-galera-'));
  chmodSync(root, 0o755);
  const base = 21000 + Math.floor(Math.random() * 1500) * 10;
  const nodes: GaleraNode[] = [0, 1, 2].map((i) => {
    const dir = path.join(root, `node${i}`);
    mkdirSync(path.join(dir, 'data'), { recursive: true });
    return { index: i, port: base + i * 10, galeraPort: base + i * 10 + 1, dir, socket: path.join(dir, 'mysqld.sock'), process: null };
  });
  const haproxyPort = base + 40;
  const gcomm = nodes.map((n) => `127.0.0.1:${n.galeraPort}`).join(',');
  for (const n of nodes) {
    writeFileSync(path.join(n.dir, 'my.cnf'), `${serverSettings(n.dir, n.socket, n.port)}wsrep_on=ON
wsrep_provider=${PROVIDER}
wsrep_cluster_name=portal_test
wsrep_cluster_address=gcomm://${gcomm}
wsrep_node_name=node${n.index}
wsrep_node_address=127.0.0.1:${n.galeraPort}
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${n.galeraPort};ist.recv_addr=127.0.0.1:${n.galeraPort + 1};gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT5S"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:${n.galeraPort + 2}
wsrep_slave_threads=2
# Reads wait until this node has applied what other nodes committed before them: a user signs in
# through one portal process (one node) and the next page may be served by another (docs/deploy.md §4).
wsrep_sync_wait=1
`);
  }
  const chownAll = (dir: string) => run('chown', ['-R', 'mysql:mysql', dir]);
  await chownAll(root);
  chownSync(root, 0, 0);

  const sql = (node: GaleraNode, statement: string) => sqlOn(node.socket, statement);
  const status = async (node: GaleraNode, name: string) => (await sql(node, `SHOW GLOBAL STATUS LIKE '${name}'`)).split('\t')[1] ?? '';

  const start = (node: GaleraNode, extra: string[] = []) => {
    const child = spawn('mariadbd', [`--defaults-file=${node.dir}/my.cnf`, ...extra], { stdio: 'ignore' });
    node.process = child;
    child.once('exit', (code, signal) => {
      log(`node${node.index} exited (${code ?? signal})`);
      if (node.process === child) node.process = null;
    });
  };
  const synced = async (node: GaleraNode, ms = 120_000) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(500)) {
      if (!node.process) throw new Error(`node${node.index} exited while starting: see ${node.dir}/error.log`);
      try {
        if ((await status(node, 'wsrep_local_state_comment')) === 'Synced' && (await status(node, 'wsrep_ready')) === 'ON') return;
      } catch {
        // not accepting connections yet
      }
    }
    throw new Error(`node${node.index} not Synced after ${ms} ms: see ${node.dir}/error.log`);
  };

  let haproxy: ChildProcess | null = null;
  const destroy = async () => {
    haproxy?.kill('SIGKILL');
    const exits = nodes.flatMap((n) => (n.process ? [new Promise((r) => n.process!.once('exit', r))] : []));
    for (const n of nodes) n.process?.kill('SIGKILL');
    await Promise.race([Promise.all(exits), sleep(5_000)]);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await installDatabase(nodes[0]!.dir);
    await chownAll(nodes[0]!.dir);
    start(nodes[0]!, ['--wsrep-new-cluster']);
    await synced(nodes[0]!);
    await sql(nodes[0]!, `CREATE USER '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}'; GRANT ALL ON *.* TO '${DB_USER}'@'127.0.0.1';`);
    for (const n of nodes.slice(1)) {
      start(n);
      await synced(n);
    }
    writeFileSync(path.join(root, 'haproxy.cfg'), `global
  maxconn 500
defaults
  mode tcp
  timeout connect 2s
  timeout client 60s
  timeout server 60s
listen galera
  bind 127.0.0.1:${haproxyPort}
  balance roundrobin
  option tcpka
${nodes.map((n) => `  server node${n.index} 127.0.0.1:${n.port} check inter 1s fall 2 rise 2`).join('\n')}
`);
    haproxy = spawn('haproxy', ['-db', '-f', path.join(root, 'haproxy.cfg')], { stdio: 'ignore' });
    await sleep(500);
  } catch (err) {
    await destroy();
    throw err;
  }

  return {
    root,
    nodes,
    haproxyPort,
    url: (database, via) => `mysql://${DB_USER}:${DB_PASSWORD}@127.0.0.1:${via === 'haproxy' ? haproxyPort : nodes[via]!.port}/${database}`,
    sql,
    status,
    join: async (node) => {
      start(node);
      await synced(node);
    },
    bootstrap: async (node) => {
      start(node, ['--wsrep-new-cluster']);
      await synced(node);
    },
    kill: async (node, signal = 'SIGKILL') => {
      const p = node.process;
      if (!p) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill(signal);
      await exited;
    },
    destroy,
  };
}
