import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import pino from 'pino';
import { AccountRepository } from '../accounts/accounts.repository';
import { loadConfig } from '../config';
import { ContactLedger } from '../contacts/contact-ledger';
import { PermissionRepository } from '../permissions/permissions.repository';
import { createPortal } from '../portal';
import { hashPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import { BUILT_IN_PROFILES } from '../plugins/contract';
import { mountPath } from '../plugins/registry';
import type { GuardMismatch, PluginTestApp, TestAccount, TestAppOptions, TestPerson, TestResponse, TestSession } from './testing';
import { inTransaction } from '../db/transaction';

const PASSWORD = 'plugin test password 0123';

/** The implementation behind `portal/testing` (see testing.ts). */
export async function startTestApp(options: TestAppOptions): Promise<PluginTestApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-plugin-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SESSION_SECRET: randomBytes(24).toString('hex'),
    DATA_DIR: dir,
    PUBLIC_URL: 'http://portal.test',
    DATABASE_URL: `sqlite:${path.join(dir, 'portal.sqlite')}`,
    SMTP_URL: '',
    PORTAL_PLUGINS: options.plugins.map((p) => path.resolve(p)).join(','),
    ...options.env,
  });
  const empty = path.join(dir, 'no-built-in-plugins');
  const portal = await createPortal(config, {
    logger: pino({ level: 'silent' }),
    builtInPluginsDir: options.builtInPlugins ? undefined : empty,
  });
  const app = portal.app as Express;
  const db = portal.db;
  const server: Server = await new Promise((resolve) => {
    const s = createServer(app).listen(0, '127.0.0.1', () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const passwordHash = await hashPassword(PASSWORD);
  const accounts = new AccountRepository(db);
  const users = new UserRepository(db);
  const ledger = new ContactLedger(db);
  const permissions = new PermissionRepository();
  const unique = () => randomBytes(5).toString('hex');

  async function addContact(accountId: number, profile: string, name: string, status: 'active' | 'pending' | 'deactivated', flags: string[]): Promise<TestPerson> {
    const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${unique()}@example.test`;
    return inTransaction(db, async (trx) => {
      const userId = await users.create(trx, { email, name, passwordHash });
      const [contactId] = (await ledger.enter(trx, await ledger.lockAccount(trx, accountId), [{ user_id: userId, status, profile, name, email, country: 'BR' }])) as [number];
      if (flags.length) await permissions.setExplicit(trx, contactId, flags);
      return { contactId, email, name };
    });
  }

  async function account(opts: { name?: string } = {}): Promise<TestAccount> {
    const id = await inTransaction(db, (trx) => accounts.create(trx, { name: opts.name ?? `Empresa ${unique()}`, document: null }));
    const owner = await addContact(id, 'administrator', 'Ana Administradora', 'active', []);
    await accounts.update(db, id, { owner_contact_id: owner.contactId });
    return { id, url: `/accounts/${id}`, owner };
  }

  async function checkGuards(): Promise<GuardMismatch[]> {
    const where = await account();
    const mismatches: GuardMismatch[] = [];
    for (const profile of [...BUILT_IN_PROFILES, 'custom']) {
      const session = await signIn(origin, await addContact(where.id, profile, `Perfil ${profile}`, 'active', []));
      for (const plugin of portal.registry.plugins.filter((p) => p.id !== 'core')) {
        for (const route of plugin.routes ?? []) {
          const url = `${where.url}${mountPath(plugin.id, route.path)}`.replace(/:\w+/g, '999999999');
          const res = route.method === 'get' ? await session.get(url) : await session.post(url);
          const expected = portal.registry.flagsOfProfile(profile).has(route.requires) ? 'allowed' : 'denied';
          if ((res.status === 403) !== (expected === 'denied')) {
            mismatches.push({ route: `${route.method.toUpperCase()} ${mountPath(plugin.id, route.path)}`, profile, expected, status: res.status });
          }
        }
      }
    }
    return mismatches;
  }

  return {
    app,
    db,
    flags: portal.registry.keys,
    account,
    checkGuards,
    async person(account: TestAccount, opts = {}) {
      const flags = opts.flags ?? [];
      for (const flag of flags) if (!portal.registry.keys.has(flag)) throw new Error(`unknown flag "${flag}"`);
      if (flags.length && opts.profile !== 'custom') throw new Error("flags are granted to profile 'custom' only, as the permission editor does");
      return addContact(account.id, opts.profile ?? 'member', opts.name ?? 'Bruno Membro', opts.status ?? 'active', flags);
    },
    signIn: (person) => signIn(origin, person),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await portal.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A minimal browser over fetch: one cookie jar, no redirects followed. */
async function signIn(origin: string, person: TestPerson): Promise<TestSession> {
  const cookies = new Map<string, string>();
  const send = async (urlPath: string, init: RequestInit = {}): Promise<TestResponse> => {
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(origin + urlPath, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      cookies.set(pair!.slice(0, at).trim(), pair!.slice(at + 1).trim());
    }
    return { status: res.status, text: await res.text(), location: res.headers.get('location') };
  };
  const tokenOf = (page: TestResponse) => /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? /"x-csrf-token": "([^"]+)"/.exec(page.text)?.[1];
  const form = (fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  };

  const loginToken = tokenOf(await send('/login'));
  const login = await send('/login', form({ _csrf: loginToken ?? '', email: person.email, password: PASSWORD }));
  if (login.status !== 303) throw new Error(`sign-in of ${person.email} failed with status ${login.status}`);
  const csrf = tokenOf(await send('/me'));
  if (!csrf) throw new Error('no CSRF token on /me');
  return {
    get: (urlPath) => send(urlPath),
    post: (urlPath, fields = {}) => send(urlPath, form({ _csrf: csrf, ...fields })),
  };
}
