import { PASSWORD } from '../support/fixtures';

/**
 * A browser's part, with fetch: a logged-in session held as a cookie (sessions live in the
 * database, so every portal process accepts it) and its CSRF token. Every request gives up after
 * REQUEST_LIMIT_MS so a run never hangs on a request.
 */
export interface Session { cookie: string; csrf: string }

const REQUEST_LIMIT_MS = 60_000;

const cookieOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
export const csrfIn = (html: string) => (/name="_csrf" value="([^"]+)"/.exec(html) ?? /"x-csrf-token": "([^"]+)"/.exec(html))![1]!;

export const get = (base: string, urlPath: string, s?: Session) =>
  fetch(`${base}${urlPath}`, { redirect: 'manual', headers: s ? { cookie: s.cookie } : {}, signal: AbortSignal.timeout(REQUEST_LIMIT_MS) });

export async function logIn(base: string, email: string, password = PASSWORD): Promise<Session> {
  const page = await get(base, '/login');
  const first = cookieOf(page);
  const res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual', headers: { cookie: first, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfIn(await page.text()), email, password }), signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
  });
  if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
  const cookie = cookieOf(res) || first;
  const me = await get(base, '/me', { cookie, csrf: '' });
  const html = await me.text();
  if (me.status !== 200) throw new Error(`signed in, but /me answered ${me.status} ${me.headers.get('location') ?? ''}: ${html.slice(0, 300)}`);
  return { cookie, csrf: csrfIn(html) };
}

/** A session with no login (an invited person opening the e-mailed link): the cookie and token of `urlPath`'s form. */
export async function anonymous(base: string, urlPath: string): Promise<Session> {
  const page = await get(base, urlPath);
  return { cookie: cookieOf(page), csrf: csrfIn(await page.text()) };
}

export const postForm = (base: string, s: Session, urlPath: string, form: Record<string, string>) =>
  fetch(`${base}${urlPath}`, {
    method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: s.csrf, ...form }), signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
  });

