/**
 * HTTP side of bench/contacts-list: logging in like a browser, and loading the portal and the
 * ceiling with autocannon in alternating stretches.
 */
import autocannon, { type Result } from 'autocannon';
import { databaseCpuMs } from './database-cpu';
import type { RunningServer } from './list-servers';

/** As behind the TLS proxy production needs (`Secure` cookies, TRUST_PROXY=loopback). */
export const HEADERS = { 'x-forwarded-proto': 'https', 'accept-language': 'pt-BR,pt;q=0.9', accept: 'text/html' };

const setCookies = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]!);
export const csrfTokenIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

/** GET /login for the session cookie and CSRF token, POST the form: the new session cookie. */
export async function login(base: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`, { headers: HEADERS, redirect: 'manual' });
  const cookie = setCookies(page).find((c) => c.startsWith('portal.sid='));
  const token = csrfTokenIn(await page.text());
  if (page.status !== 200 || !cookie || !token) throw new Error(`GET /login: status ${page.status}, cookie ${Boolean(cookie)}, token ${Boolean(token)}`);
  const res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { ...HEADERS, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email, password }).toString(),
  });
  const session = setCookies(res).find((c) => c.startsWith('portal.sid='));
  if (res.status !== 303 || !session) throw new Error(`POST /login as ${email}: status ${res.status}`);
  return session;
}

/** A page as a browser gets it: status, rows in its table's body, size. */
export async function fetchPage(url: string, cookie?: string): Promise<{ status: number; rows: number; bytes: number; html: string }> {
  const res = await fetch(url, { headers: cookie ? { ...HEADERS, cookie } : HEADERS, redirect: 'manual' });
  const html = await res.text();
  const tbody = /<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return { status: res.status, rows: (tbody.match(/<tr[\s>]/g) ?? []).length, bytes: Buffer.byteLength(html), html };
}

export interface LoadSettings {
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** How many alternating stretches (ceiling, portal, ceiling, portal…) the seconds are cut into. */
  stretches: number;
}

export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  rows: number;
  /** CPU ms per request of the server process and of `mariadbd` (NaN when /proc cannot tell). */
  serverCpu: number;
  databaseCpu: number;
  perStretch: number[];
}

interface Stretch {
  latencies: number[];
  requests: number;
  seconds: number;
  cpuMs: number;
  dbMs: number;
  failed: number;
}

function run(url: string, cookies: string[], seconds: number, connections: number, latencies?: number[]): Promise<Result> {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url, connections, duration: seconds, timeout: 10, headers: HEADERS,
        // One session per connection (round-robin over the logins), like separate browsers.
        setupClient: (client) => {
          if (cookies.length) client.setHeaders({ ...HEADERS, cookie: cookies[next++ % cookies.length]! });
          if (latencies) client.on('response', (_status, _bytes, ms) => latencies.push(ms));
        },
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function stretch(server: RunningServer, url: string, cookies: string[], seconds: number, connections: number): Promise<Stretch> {
  const cpuBefore = await server.cpuMs();
  const dbBefore = databaseCpuMs();
  const latencies: number[] = [];
  const r = await run(url, cookies, seconds, connections, latencies);
  return {
    latencies, requests: r['2xx'] + r.non2xx, seconds: r.duration, cpuMs: (await server.cpuMs()) - cpuBefore,
    dbMs: databaseCpuMs() - dbBefore, failed: r.non2xx + r.errors + r.timeouts,
  };
}

function combine(stretches: Stretch[], rows: number): Measured {
  const sum = (f: (s: Stretch) => number) => stretches.reduce((n, s) => n + f(s), 0);
  const requests = Math.max(1, sum((s) => s.requests));
  const all = Float64Array.from(stretches.flatMap((s) => s.latencies)).sort();
  const percentile = (p: number) => (all.length ? Math.round(all[Math.min(all.length - 1, Math.floor(p * all.length))]!) : 0);
  return {
    rps: sum((s) => s.requests) / sum((s) => s.seconds), p50: percentile(0.5), p99: percentile(0.99), failed: sum((s) => s.failed), rows,
    serverCpu: sum((s) => s.cpuMs) / requests, databaseCpu: sum((s) => s.dbMs) / requests, perStretch: stretches.map((s) => s.requests / s.seconds),
  };
}

/**
 * The portal and the ceiling, each on its URL, in alternating stretches that add up to
 * `settings.seconds` each: the shared host's speed moves within seconds, so both see the same moments.
 * Requests/s and CPU are summed over a server's stretches, percentiles taken over all its answers.
 */
export async function measurePair(
  portal: { server: RunningServer; url: string; cookies: string[] },
  ceiling: { server: RunningServer; url: string },
  settings: LoadSettings,
  /** False for a page that has no table (a form, a profile): then only its status is checked. */
  portalHasRows = true,
): Promise<{ portal: Measured; ceiling: Measured }> {
  const pages = [await fetchPage(portal.url, portal.cookies[0]), await fetchPage(ceiling.url)];
  for (const [page, url, rows] of [[pages[0]!, portal.url, portalHasRows], [pages[1]!, ceiling.url, true]] as const) {
    // A page without rows would be measuring an empty (cheaper) page.
    if (page.status !== 200 || (rows && page.rows === 0)) throw new Error(`${url} answered ${page.status} with ${page.rows} rows`);
  }
  const { connections, seconds, warmupSeconds, stretches } = settings;
  if (warmupSeconds > 0) {
    await run(ceiling.url, [], warmupSeconds, connections);
    await run(portal.url, portal.cookies, warmupSeconds, connections);
  }
  const mine: Stretch[] = [];
  const theirs: Stretch[] = [];
  for (let i = 0; i < stretches; i++) {
    theirs.push(await stretch(ceiling.server, ceiling.url, [], seconds / stretches, connections));
    mine.push(await stretch(portal.server, portal.url, portal.cookies, seconds / stretches, connections));
  }
  return { portal: combine(mine, pages[0]!.rows), ceiling: combine(theirs, pages[1]!.rows) };
}
