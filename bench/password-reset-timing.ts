/**
 * "Esqueci minha senha": does the answer take longer for an e-mail that has a login? (#22, item 9)
 *
 * A portal on a fresh database (TEST_DB=sqlite, the default, or TEST_DB=mysql with TEST_MYSQL_URL)
 * listening on a loopback port; one browser-like session (its cookie and CSRF token) posts
 * /password/forgot. Pairs of requests, one for the known address and one
 * for an unknown one, in random order within each pair, one in flight; BENCH_WARMUP pairs
 * (default 50) first, then BENCH_PAIRS (default 500) timed: wall time from the client, fetch to
 * body read. The limits are raised so that no request is refused; the mail worker does not run
 * (it never did during the request). Prints medians, p90 and the share of pairs in which the
 * known address was answered more slowly (50 % when the two cannot be told apart).
 *
 *   npx tsx bench/password-reset-timing.ts
 *   TEST_DB=mysql TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test npx tsx bench/password-reset-timing.ts
 */
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import pino from 'pino';
import { loadConfig } from '../server/config';
import { createPortal } from '../server/portal';
import { dropTestDatabases, freshDatabaseUrl, TEST_DB } from '../test/support/databases';
import { createAccount, uniqueEmail } from '../test/support/fixtures';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 500);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50);

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

async function main() {
  const config = loadConfig({
    NODE_ENV: 'test', LOG_LEVEL: 'silent', SESSION_SECRET: 'bench-secret-that-is-long-enough-0123456789', DATA_DIR: 'data/bench',
    PUBLIC_URL: 'http://portal.test', DATABASE_URL: await freshDatabaseUrl(),
    LOGIN_MAX_ATTEMPTS_PER_EMAIL: '1000000', LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
  });
  const portal = await createPortal(config, { logger: pino({ level: 'silent' }) });
  const server = portal.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const known = (await createAccount(portal.db)).admin.email;
    const unknown = uniqueEmail('ninguem');

    const page = await fetch(`${base}/password/forgot`);
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('portal.sid='))!;
    const csrf = csrfIn(await page.text())!;
    const ask = async (email: string): Promise<number> => {
      const started = performance.now();
      const res = await fetch(`${base}/password/forgot`, {
        method: 'POST',
        headers: { cookie },
        body: new URLSearchParams({ _csrf: csrf, email }),
      });
      const html = await res.text();
      const ms = performance.now() - started;
      if (res.status !== 200 || !html.includes('Se este e-mail estiver cadastrado')) throw new Error(`POST /password/forgot: ${res.status}`);
      return ms;
    };

    const knownMs: number[] = [];
    const unknownMs: number[] = [];
    let knownSlower = 0;
    for (let i = 0; i < WARMUP + PAIRS; i++) {
      const knownFirst = Math.random() < 0.5;
      const a = await ask(knownFirst ? known : unknown);
      const b = await ask(knownFirst ? unknown : known);
      if (i < WARMUP) continue;
      const [k, u] = knownFirst ? [a, b] : [b, a];
      knownMs.push(k);
      unknownMs.push(u);
      if (k > u) knownSlower++;
    }

    const rows = await portal.db('mail_outbox').select('to_address', 'template', 'text').whereIn('to_address', [known, unknown]);
    const stat = (ms: number[]) => {
      const s = [...ms].sort((x, y) => x - y);
      const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2);
      return `median ${at(0.5)} ms, p90 ${at(0.9)} ms`;
    };
    console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, ${TEST_DB}`);
    console.log(`${PAIRS} interleaved pairs after ${WARMUP} untimed`);
    console.log(`known e-mail:   ${stat(knownMs)}`);
    console.log(`unknown e-mail: ${stat(unknownMs)}`);
    console.log(`known slower in ${((100 * knownSlower) / PAIRS).toFixed(1)} % of pairs`);
    console.log(`rows written by the requests: known ${rows.filter((r) => r.to_address === known).length}, unknown ${rows.filter((r) => r.to_address === unknown).length}`);
  } finally {
    server.close();
    await portal.close();
    await dropTestDatabases();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
