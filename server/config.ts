import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

/** Raised at start-up: one line per bad variable, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const TRUST_PROXY_MESSAGE =
  'must be the number of proxies in front of the portal (e.g. 1) or their addresses and ranges (e.g. 10.0.0.0/8,loopback); ' +
  '`true` is refused: it trusts every hop, so a client could name its own address';

/** An address, a range (`10.0.0.0/8`, `fd00::/8`, `10.0.0.0/255.0.0.0`) or a name express knows. */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', range, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (version === 4 ? 32 : 128);
  return version === 4 && isIP(range) === 4;
}

/** express's `trust proxy` as a hop count or a list of addresses; never "trust everyone". */
const trustProxy = z.string().transform((value, ctx): number | string[] => {
  if (value === 'false') return 0;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length && entries.every(isProxyAddress)) return entries;
  ctx.addIssue({ code: 'custom', message: TRUST_PROXY_MESSAGE });
  return z.NEVER;
});

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { message: 'must be development, production or test' }).default('development'),
  PORT: z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535, 'must be a port number (0-65535)').default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  WEB_CONCURRENCY: z.coerce.number({ message: 'must be a number of processes' }).int('must be a whole number').min(1, 'must be at least 1').max(64, 'must be at most 64').default(1),
  DATA_DIR: z.string().min(1).default('data'),
  DATABASE_URL: z
    .string()
    .refine((v) => /^(mysql|mariadb):\/\/[^/]+\/[^/?]+/.test(v) || /^sqlite:/.test(v), {
      message: 'must be mysql://user:pass@host:3306/database or sqlite:path/to/file.sqlite',
    })
    .optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SESSION_IDLE_MINUTES: z.coerce.number({ message: 'must be a number of minutes' }).int().min(1, 'must be at least 1').default(30),
  SESSION_MAX_HOURS: z.coerce.number({ message: 'must be a number of hours' }).int().min(1, 'must be at least 1').default(12),
  TRUST_PROXY: trustProxy.default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOGIN_MAX_ATTEMPTS_PER_EMAIL: z.coerce.number().int().min(1).default(5),
  LOGIN_MAX_ATTEMPTS_PER_IP: z.coerce.number().int().min(1).default(50),
  LOGIN_BLOCK_MINUTES: z.coerce.number().int().min(1).default(15),
  PORTAL_PLUGINS: z.string().default(''),
  PORTAL_DISABLED_PLUGINS: z.string().default(''),
  PUBLIC_URL: z
    .string()
    .refine((v) => /^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(v), { message: 'must be the address people open the portal at, e.g. https://portal.example.com' })
    .optional(),
  SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\/[^/?#\s]+/.test(v), { message: 'must be smtp://user:password@host:587 or smtps://user:password@host:465' })
    .optional(),
  MAIL_FROM: z.string().min(3).optional(),
  MAIL_RETENTION_DAYS: z.coerce.number({ message: 'must be a number of days' }).int('must be a whole number of days').min(1, 'must be at least 1').max(3650, 'must be at most 3650').default(30),
  IMPORT_MAX_BYTES: z.coerce.number({ message: 'must be a number of bytes' }).int('must be a whole number of bytes').min(1024, 'must be at least 1024').max(1024 ** 3, 'must be at most 1 GiB').default(20 * 1024 * 1024),
  INVITATION_DAYS: z.coerce.number({ message: 'must be a number of days' }).int().min(1, 'must be at least 1').max(90, 'must be at most 90').default(7),
});

export type DatabaseConfig =
  | { client: 'sqlite'; filename: string }
  | { client: 'mysql'; url: string; database: string };

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** How many worker processes `npm start` runs on the port (node:cluster); 1: the process itself serves. */
  workers: number;
  dataDir: string;
  database: DatabaseConfig;
  sessionSecret: string;
  sessionIdleMs: number;
  /** How long a login lasts however active the session is. */
  sessionMaxMs: number;
  /** express's `trust proxy`: how many proxies, or which addresses, may name the client (0: none). */
  trustProxy: number | string[];
  logLevel: string;
  loginLimits: { perEmail: number; perIp: number; blockSeconds: number };
  extraPlugins: string[];
  disabledPlugins: string[];
  /** The address links in e-mails start with, without a trailing slash. */
  publicUrl: string;
  /**
   * smtpUrl null: messages stay in the outbox (readable at /dev/mail in development).
   * retentionDays: how long a finished message (sent, kept, given up) stays in the outbox.
   */
  mail: { smtpUrl: string | null; from: string; retentionDays: number };
  /** How long an invitation link (and its confirmation link) stays valid. */
  invitationDays: number;
  /** The largest file "Importar usuários" accepts (IMPORT_MAX_BYTES, 20 MB by default). */
  importMaxBytes: number;
}

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/** Reads and validates the environment. Throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // `PORT=` (set but empty) means "not set", not port 0.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(given);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  // Checked alongside the schema so a missing secret is reported together with every other problem.
  if (env.NODE_ENV === 'production' && env.SESSION_SECRET === undefined) {
    problems.push('SESSION_SECRET: required when NODE_ENV=production (at least 32 random characters)');
  }
  if (env.NODE_ENV === 'production' && !given.PUBLIC_URL) {
    problems.push('PUBLIC_URL: required when NODE_ENV=production (the address people open the portal at; links in e-mails start with it)');
  }
  if (env.NODE_ENV === 'production' && !given.SMTP_URL) {
    problems.push('SMTP_URL: required when NODE_ENV=production (e.g. smtp://user:password@mail.example.com:587); without it no e-mail leaves the portal');
  }
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    workers: e.WEB_CONCURRENCY,
    dataDir,
    database: databaseConfig(e.DATABASE_URL, dataDir),
    sessionSecret: e.SESSION_SECRET ?? developmentSecret(dataDir),
    sessionIdleMs: e.SESSION_IDLE_MINUTES * 60_000,
    sessionMaxMs: e.SESSION_MAX_HOURS * 3_600_000,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    loginLimits: {
      perEmail: e.LOGIN_MAX_ATTEMPTS_PER_EMAIL,
      perIp: e.LOGIN_MAX_ATTEMPTS_PER_IP,
      blockSeconds: e.LOGIN_BLOCK_MINUTES * 60,
    },
    extraPlugins: list(e.PORTAL_PLUGINS),
    disabledPlugins: list(e.PORTAL_DISABLED_PLUGINS),
    publicUrl,
    mail: { smtpUrl: e.SMTP_URL ?? null, from: e.MAIL_FROM ?? `Portal <no-reply@${new URL(publicUrl).hostname}>`, retentionDays: e.MAIL_RETENTION_DAYS },
    invitationDays: e.INVITATION_DAYS,
    importMaxBytes: e.IMPORT_MAX_BYTES,
  };
}

function databaseConfig(url: string | undefined, dataDir: string): DatabaseConfig {
  if (!url) return { client: 'sqlite', filename: path.join(dataDir, 'portal.sqlite') };
  if (url.startsWith('sqlite:')) return { client: 'sqlite', filename: path.resolve(url.slice('sqlite:'.length)) };
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  return { client: 'mysql', url: url.replace(/^mariadb:/, 'mysql:'), database };
}

/** Development only: a secret generated once and kept under data/, so restarts keep sessions. */
function developmentSecret(dataDir: string): string {
  const file = path.join(dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
