import type { Express } from 'express';
import type { Knex } from 'knex';
import pino, { type Logger } from 'pino';
import type { ImportRunner } from '../../server/imports/import-runner';
import type { MailWorkerOptions } from '../../server/mail/mail.worker';
import supertest from 'supertest';
import { loadConfig, type Config } from '../../server/config';
import { createPortal } from '../../server/portal';
import type { Registry } from '../../server/plugins/registry';
import { freshDatabaseUrl } from './databases';
import { closeSharedSmtp, sharedSmtp } from './mail';

export interface TestPortal {
  app: Express;
  db: Knex;
  config: Config;
  registry: Registry;
  /** The first-run code /setup asks for (printed on the console); null when an account exists. */
  setupCode: string | null;
  /** Who prepares each kind of outbox job row, for a worker a test builds itself (its own clock). */
  mailJobs: NonNullable<MailWorkerOptions['jobs']>;
  /** Runs the mail worker until nothing due is left (it sends a batch at a time); answers how many were delivered. */
  deliverMail(): Promise<number>;
  /** This portal's import jobs: `idle()` waits for the ones its requests started, `runOnce()` is one turn of the poll. */
  imports: Pick<ImportRunner, 'idle' | 'runOnce' | 'stop' | 'kick'>;
  close(): Promise<void>;
}

const portals: TestPortal[] = [];
let shared: Promise<TestPortal> | undefined;

export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SESSION_SECRET: 'test-secret-that-is-long-enough-0123456789',
    DATA_DIR: 'data/test',
    PUBLIC_URL: 'http://portal.test',
    ...extra,
  };
}

/** A portal on its own fresh database (for tests that need an empty one, like setup). */
export async function startPortal(env: Record<string, string> = {}, options: { builtInPluginsDir?: string; logger?: Logger } = {}): Promise<TestPortal> {
  // Mail goes to the run's shared SMTP listener unless the test names its own (SMTP_URL: '' for none).
  const smtpUrl = env.SMTP_URL ?? (await sharedSmtp()).url;
  const config = loadConfig(testEnv({ DATABASE_URL: env.DATABASE_URL ?? (await freshDatabaseUrl()), ...env, SMTP_URL: smtpUrl }));
  // A test reading the log hands its own logger; every other portal is silent.
  const portal = await createPortal(config, { logger: pino({ level: 'silent' }), ...options });
  const p: TestPortal = {
    app: portal.app as Express,
    db: portal.db,
    config,
    registry: portal.registry,
    setupCode: portal.setupCode,
    mailJobs: portal.services.mailJobs,
    deliverMail: async () => {
      let delivered = 0;
      for (let sent = await portal.mailWorker.runOnce(); sent > 0; sent = await portal.mailWorker.runOnce()) delivered += sent;
      return delivered;
    },
    imports: portal.importRunner,
    close: portal.close,
  };
  portals.push(p);
  return p;
}

/** The run's shared portal: one database per run; tests isolate themselves by making their own accounts. */
export function sharedPortal(): Promise<TestPortal> {
  shared ??= startPortal();
  return shared;
}

export async function closePortals(): Promise<void> {
  while (portals.length) await portals.pop()!.close();
  shared = undefined;
  await closeSharedSmtp();
}

export type Agent = ReturnType<typeof supertest.agent>;

export function agent(portal: TestPortal): Agent {
  return supertest.agent(portal.app);
}

/** The CSRF token a page hands its forms. */
export async function csrfFrom(a: Agent, path = '/login'): Promise<string> {
  const res = await a.get(path);
  const match = /name="_csrf" value="([^"]+)"/.exec(res.text) ?? /"x-csrf-token": "([^"]+)"/.exec(res.text);
  if (!match) throw new Error(`no CSRF token on ${path} (status ${res.status})`);
  return match[1]!;
}

export async function login(a: Agent, email: string, password: string) {
  const token = await csrfFrom(a, '/login');
  return a.post('/login').type('form').send({ _csrf: token, email, password });
}

/** A logged-in agent plus a CSRF token valid for its session. */
export async function loggedIn(portal: TestPortal, email: string, password: string): Promise<{ agent: Agent; csrf: string }> {
  const a = agent(portal);
  const res = await login(a, email, password);
  if (res.status !== 303) throw new Error(`login as ${email} failed: ${res.status}`);
  return { agent: a, csrf: await csrfFrom(a, '/me') };
}
