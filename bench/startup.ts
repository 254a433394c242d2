/**
 * bench/startup: `npm start` to the first answer of /healthz, as a developer starts the portal.
 *
 *   npx tsx bench/startup.ts
 *
 * Runs `npm start` (or BENCH_START_COMMAND; SQLite in DATA_DIR, development: the quick start) BENCH_RUNS times (5) with a
 * fresh data folder each time, and as many times on a folder that already holds the database;
 * polls /healthz every 5 ms from the moment the command is spawned. Prints the median, the range
 * and the CPU time (user + system) the command's processes had used by then (from /proc: wall
 * far above CPU means the start waits on something). Nothing outside a temporary folder is written.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** What is started (default `npm start`); another command line to compare, e.g. `node --import tsx server/main.ts`. */
const COMMAND = (process.env.BENCH_START_COMMAND ?? 'npm start').split(' ');
/**
 * The checkouts started, interleaved run by run: this one, and BENCH_COMPARE_DIR when set (another
 * commit's files, e.g. `git archive <commit> | tar -x -C dir` with node_modules linked), so a
 * before/after sees the same moments of the shared host.
 */
const ROOTS = [path.resolve(import.meta.dirname, '..'), ...(process.env.BENCH_COMPARE_DIR ? [path.resolve(process.env.BENCH_COMPARE_DIR)] : [])];
const CLOCK_TICKS = 100;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** CPU ms (user + system) of every live process in the process group `pgid`. */
function groupCpuMs(pgid: number): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      // utime, stime, and the reaped children's cutime, cstime (npm's and tsx's short-lived helpers)
      total += ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

async function startOnce(root: string, dataDir: string): Promise<{ wallMs: number; cpuMs: number }> {
  const port = await freePort();
  const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'development', DATABASE_URL: '', LOG_LEVEL: 'info' };
  const t0 = performance.now();
  const child = spawn(COMMAND[0]!, COMMAND.slice(1), { cwd: root, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`${COMMAND.join(' ')} ended before answering:\n${stderr}`);
      if (performance.now() - t0 > 30_000) throw new Error('no answer from /healthz within 30 s');
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) return { wallMs: performance.now() - t0, cpuMs: groupCpuMs(child.pid!) };
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    if (!exited) process.kill(-child.pid!, 'SIGTERM');
    await gone;
  }
}

type Run = { wallMs: number; cpuMs: number };

async function main(): Promise<void> {
  console.log(`startup bench: \`${COMMAND.join(' ')}\`, Node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const kept = ROOTS.map(() => mkdtempSync(path.join(os.tmpdir(), 'portal-startup-kept-')));
  const results = ROOTS.map(() => ({ fresh: [] as Run[], existing: [] as Run[] }));
  try {
    // Untimed: creates the database the "existing" runs find (and fills tsx's compile cache).
    for (const [i, root] of ROOTS.entries()) await startOnce(root, kept[i]!);
    for (let run = 0; run < RUNS; run++) {
      for (const [i, root] of ROOTS.entries()) {
        const fresh = mkdtempSync(path.join(os.tmpdir(), 'portal-startup-fresh-'));
        try {
          results[i]!.fresh.push(await startOnce(root, fresh));
        } finally {
          rmSync(fresh, { recursive: true, force: true });
        }
        results[i]!.existing.push(await startOnce(root, kept[i]!));
      }
    }
  } finally {
    for (const dir of kept) rmSync(dir, { recursive: true, force: true });
  }
  for (const [i, root] of ROOTS.entries()) {
    console.log(root);
    for (const [what, runs] of Object.entries(results[i]!)) {
      const wall = runs.map((r) => r.wallMs);
      console.log(`  ${what.padEnd(9)} data folder: median ${median(wall).toFixed(0)} ms (${Math.min(...wall).toFixed(0)}-${Math.max(...wall).toFixed(0)}), CPU by then ${median(runs.map((r) => r.cpuMs)).toFixed(0)} ms (median); runs: ${wall.map((w) => w.toFixed(0)).join(' ')}`);
    }
  }
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
