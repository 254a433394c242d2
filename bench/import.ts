/**
 * bench/import: "Importar usuários" on a generated file, on MariaDB and on SQLite.
 *
 *   npx tsx bench/import.ts
 *
 * Goals (issue #25): preview + import of 100,000 rows under 20 s on MariaDB on this 2-core machine
 * with the process's peak RSS under 250 MB; a 1,000-row file under 1 s. Also: what the invitations'
 * outbox rows cost (the same import with "enviar convites depois"), and the mail worker preparing a
 * batch of the invitation jobs.
 *
 * Each run gets a fresh database (MariaDB: `bench_import`, DROP + CREATE, nothing else touched;
 * SQLite: a temporary file) and its own DATA_DIR, then three child processes:
 *   1. `--setup`: createPortal (the app's migrations), one account and its primary administrator
 *      as test/support/fixtures.ts createAccount makes them;
 *   2. `npm run account:seats -- <account> <rows + 10>`: the operator's CLI raises the seats;
 *   3. `--measure`: createPortal; the file copied into `<DATA_DIR>/imports` as the upload would
 *      leave it; ImportService.start + ImportRunner.kick/idle (preview), ImportService.confirm with
 *      the administrator profile's flags + kick/idle (import); checks the job's counts; then one
 *      MailWorker.runOnce of BENCH_MAIL_BATCH invitation jobs (no SMTP: messages kept).
 * Peak RSS is the measuring child's own process.resourceUsage().maxRSS (the kernel's high-water
 * mark of its resident set, from its start: node + tsx + the portal + the work).
 *
 * Environment: BENCH_MYSQL_URL (server only; default mysql://root@127.0.0.1:3306/test),
 * BENCH_DATABASES (mariadb,sqlite), BENCH_ROWS (100000), BENCH_SMALL_ROWS (1000),
 * BENCH_PARTS (big,later,small), BENCH_MAIL_BATCH (200; 0: none), BENCH_CHILD_NODE_ARGS (node
 * options of the measuring child, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). Exits 1 when a goal is missed.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { benchDatabaseUrl, benchPortalEnv, recreateDatabase } from './bench-database';
import type { Measured, SetupResult } from './import-child';
import { writeImportFile } from './import-file';

const DB_NAME = 'bench_import';
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const SMALL_ROWS = Number(process.env.BENCH_SMALL_ROWS ?? 1_000);
const DATABASES = (process.env.BENCH_DATABASES ?? 'mariadb,sqlite').split(',') as ('mariadb' | 'sqlite')[];
const PARTS = new Set((process.env.BENCH_PARTS ?? 'big,later,small').split(','));
const MAIL_BATCH = Number(process.env.BENCH_MAIL_BATCH ?? 200);
/** e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` for the measuring child. */
const CHILD_NODE_ARGS = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
const GOAL_BIG_S = 20;
const GOAL_RSS_MB = 250;
const GOAL_SMALL_S = 1;

interface Run {
  database: 'mariadb' | 'sqlite';
  rows: number;
  file: string;
  inviteLater: boolean;
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** A child process running this bench's child half (bench/import-child.ts) with tsx's loader; answers its one message. */
function child<T>(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, ...nodeArgs, path.join(import.meta.dirname, 'import-child.ts'), ...args], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer: T | undefined;
    proc.on('message', (m) => (answer = m as T));
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 && answer !== undefined ? resolve(answer) : reject(new Error(`bench child ${args[0]} exited with ${code}`))));
  });
}

/** `npm run account:seats -- <id> <seats>`, as the operator runs it, against the bench's database. */
function raiseSeats(accountId: number, seats: number, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn('npm', ['run', '--silent', 'account:seats', '--', String(accountId), String(seats)], { env, cwd: path.join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`account:seats exited with ${code}: ${out}`))));
  });
}

async function runOne(run: Run, work: string, n: number): Promise<Measured & { loadBefore: string; loadAfter: string }> {
  const dataDir = path.join(work, `data-${n}`);
  await mkdir(dataDir, { recursive: true });
  let url: string;
  if (run.database === 'mariadb') {
    await recreateDatabase(DB_NAME);
    url = benchDatabaseUrl(DB_NAME);
  } else {
    url = `sqlite:${path.join(dataDir, 'portal.sqlite')}`;
  }
  const env = { ...process.env, ...benchPortalEnv(url), DATA_DIR: dataDir };
  const account = await child<SetupResult>(['--setup'], env);
  const seats = await raiseSeats(account.accountId, run.rows + 10, env);
  console.log(`  ${seats.split('\n').filter((l) => !l.startsWith('Database')).join(' ')}`);
  const loadBefore = load();
  const measured = await child<Measured>(['--measure', run.file, String(run.rows), String(run.inviteLater), JSON.stringify(account), String(MAIL_BATCH)], env, CHILD_NODE_ARGS);
  return { ...measured, loadBefore, loadAfter: load() };
}

const s = (ms: number) => (ms / 1000).toFixed(2);
const perSecond = (rows: number, ms: number) => Math.round(rows / (ms / 1000)).toLocaleString('en-US');

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'bench-import-'));
  console.log(`bench/import — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load ${load()}; work in ${work}`);
  try {
    const big = path.join(work, `contacts-${ROWS}.csv`);
    const small = path.join(work, `contacts-${SMALL_ROWS}.csv`);
    const t = Date.now();
    await writeImportFile(big, ROWS, 1);
    await writeImportFile(small, SMALL_ROWS, 2);
    console.log(`files: ${ROWS.toLocaleString('en-US')} rows ${((await stat(big)).size / 1e6).toFixed(1)} MB, ${SMALL_ROWS.toLocaleString('en-US')} rows ${((await stat(small)).size / 1e3).toFixed(0)} KB (${Date.now() - t} ms)`);

    const runs: Run[] = [];
    for (const database of DATABASES) {
      if (PARTS.has('big')) runs.push({ database, rows: ROWS, file: big, inviteLater: false });
      if (PARTS.has('later')) runs.push({ database, rows: ROWS, file: big, inviteLater: true });
      if (PARTS.has('small')) runs.push({ database, rows: SMALL_ROWS, file: small, inviteLater: false });
    }
    const results: (Run & Measured & { loadBefore: string; loadAfter: string })[] = [];
    for (const [i, run] of runs.entries()) {
      console.log(`\n${run.database}, ${run.rows.toLocaleString('en-US')} rows, invitations ${run.inviteLater ? 'later' : 'sent'}:`);
      const r = { ...run, ...(await runOne(run, work, i)) };
      results.push(r);
      console.log(`  preview ${s(r.previewMs)} s (CPU ${s(r.previewCpuMs)} s), import ${s(r.importMs)} s (CPU ${s(r.importCpuMs)} s), peak RSS ${r.peakRssMb} MB (after boot ${r.bootRssMb} MB); outbox ${r.outboxRows}, invitations ${r.invitationRows}; load ${r.loadBefore} → ${r.loadAfter}`);
    }

    console.log('\n| database | rows | invitations | preview s (rows/s) | import s (rows/s) | total s | node CPU s | peak RSS MB | outbox rows | mail prep ms/job | load 1/5/15 min (before → after) |');
    console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of results) {
      const mail = r.mailJobs ? `${(r.mailMs / r.mailJobs).toFixed(1)} (${r.mailJobs})` : '–';
      console.log(`| ${r.database} | ${r.rows.toLocaleString('en-US')} | ${r.inviteLater ? 'later' : 'sent'} | ${s(r.previewMs)} (${perSecond(r.rows, r.previewMs)}) | ${s(r.importMs)} (${perSecond(r.rows, r.importMs)}) | ${s(r.previewMs + r.importMs)} | ${s(r.previewCpuMs + r.importCpuMs)} | ${r.peakRssMb} | ${r.outboxRows} | ${mail} | ${r.loadBefore} → ${r.loadAfter} |`);
    }

    const missed: string[] = [];
    for (const db of DATABASES) {
      const sent = results.find((r) => r.database === db && r.rows === ROWS && !r.inviteLater);
      const later = results.find((r) => r.database === db && r.rows === ROWS && r.inviteLater);
      if (sent && later) console.log(`${db}: the invitations' outbox rows cost ${s(sent.importMs - later.importMs)} s of the import (${s(later.importMs)} → ${s(sent.importMs)} s)`);
      if (sent && db === 'mariadb' && (sent.previewMs + sent.importMs) / 1000 >= GOAL_BIG_S) missed.push(`mariadb ${ROWS} rows in ${s(sent.previewMs + sent.importMs)} s (goal < ${GOAL_BIG_S} s)`);
      for (const r of results.filter((x) => x.database === db && x.rows === ROWS)) if (r.peakRssMb >= GOAL_RSS_MB) missed.push(`${db} peak RSS ${r.peakRssMb} MB (goal < ${GOAL_RSS_MB} MB)`);
      const smallRun = results.find((r) => r.database === db && r.rows === SMALL_ROWS);
      if (smallRun && (smallRun.previewMs + smallRun.importMs) / 1000 >= GOAL_SMALL_S) missed.push(`${db} ${SMALL_ROWS} rows in ${s(smallRun.previewMs + smallRun.importMs)} s (goal < ${GOAL_SMALL_S} s)`);
    }
    console.log(missed.length ? `\nMISSED: ${missed.join('; ')}` : '\nAll goals met.');
    process.exitCode = missed.length ? 1 : 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
