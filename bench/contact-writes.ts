/**
 * Rows written per contact added, for bench/contacts-list: an account administrator adds one
 * contact through the real form (POST /accounts/:id/contacts with its CSRF token), while a knex
 * listener records every INSERT/UPDATE/DELETE and the rows it affected. The contact is then
 * deleted through its form, so a rerun finds the account as seeded.
 */
import http from 'node:http';
import { cpf } from 'cpf-cnpj-validator';
import type { Knex } from 'knex';
import { csrfTokenIn, HEADERS, login } from './http-load';

export interface Write {
  table: string;
  verb: string;
  rows: number;
}

const writeStatement = /^\s*(insert\s+into|update|delete\s+from|replace\s+into)\s+[`"]?(\w+)/i;

/** The CSRF token of a form page, as the browser has it before submitting. */
async function tokenOf(base: string, cookie: string, formPage: string): Promise<string> {
  const token = csrfTokenIn(await (await fetch(base + formPage, { headers: { ...HEADERS, cookie } })).text());
  if (!token) throw new Error(`no CSRF token on ${formPage}`);
  return token;
}

function post(base: string, cookie: string, action: string, form: Record<string, string>): Promise<Response> {
  return fetch(base + action, {
    method: 'POST', redirect: 'manual',
    headers: { ...HEADERS, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

/** Adds one contact to `accountId` as its administrator and returns the writes the request made. */
export async function writesOfAddingAContact(app: http.RequestListener, db: Knex, accountId: number, adminEmail: string, password: string): Promise<Write[]> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const contacts = `/accounts/${accountId}/contacts`;
  try {
    const cookie = await login(base, adminEmail, password);
    const document = cpf.generate(true);
    const email = `bench.${Date.now()}@exemplo.com.br`;
    const writes: Write[] = [];
    // knex's mysql2 dialect keeps the driver's answer on the query: [ResultSetHeader, fields].
    const onResponse = (_response: unknown, query: { sql: string; response?: [{ affectedRows?: number }] }) => {
      const m = writeStatement.exec(query.sql);
      if (m) writes.push({ verb: m[1]!.split(/\s+/)[0]!.toUpperCase(), table: m[2]!, rows: Number(query.response?.[0]?.affectedRows ?? NaN) });
    };
    const form = { country: 'BR', name: 'Joana Benchmark da Silva', document, areaCode: '11', phone: '98765-4321', email, emailConfirmation: email };
    const token = await tokenOf(base, cookie, `${contacts}/new`);
    // A session is saved after its page is sent: let the form page's save land before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    db.on('query-response', onResponse);
    let res: Response;
    try {
      res = await post(base, cookie, contacts, { ...form, _csrf: token });
      await new Promise((resolve) => setTimeout(resolve, 300)); // and the POST's own, if any
    } finally {
      db.off('query-response', onResponse);
    }
    const saved = /[?&]saved=(\d+)/.exec(res.headers.get('location') ?? '')?.[1];
    if (res.status !== 303 || !saved) throw new Error(`adding a contact answered ${res.status} (${(await res.text()).slice(0, 300)})`);
    const deletePage = `${contacts}/${saved}/delete`;
    const removed = await post(base, cookie, deletePage, { _csrf: await tokenOf(base, cookie, deletePage) });
    if (removed.status !== 303) throw new Error(`deleting the added contact ${saved} answered ${removed.status}`);
    return writes;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** What each written row is, for the report. */
export function describeWrite(w: Write): string {
  const what: Record<string, string> = {
    contacts: 'the contact, with its search words in the same row',
    accounts: "the account's per-status counter",
    audit_events: 'an audit event',
    invitations: 'the invitation sent to the new contact: its token hash',
    mail_outbox: 'the invitation e-mail, queued in the same transaction',
    sessions: "the session's expiry, renewed at most once a minute per session: not about the contact",
  };
  return `${w.verb} ${w.table}: ${w.rows} row${w.rows === 1 ? '' : 's'} (${what[w.table] ?? 'not described by the bench'})`;
}

/** Rows that store the contact itself or index it (the "one row per contact"): tables named contact…. */
export const contactRowsOf = (writes: Write[]) => writes.filter((w) => w.table.startsWith('contact')).reduce((n, w) => n + w.rows, 0);
