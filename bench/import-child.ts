/**
 * The child processes of bench/import (run by it, never by hand): `--setup` makes the account,
 * `--measure` previews and imports the file through the product's own services and answers the
 * figures over IPC. Both configure the portal with loadConfig(process.env).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import pino from 'pino';
import type { Acting } from '../server/audit/actor';
import { loadConfig } from '../server/config';
import { MailWorker } from '../server/mail/mail.worker';
import { createPortal } from '../server/portal';
import { createAccount } from '../test/support/fixtures';

export interface SetupResult {
  accountId: number;
  contactId: number;
  userId: number;
  name: string;
}

export interface Measured {
  previewMs: number;
  importMs: number;
  /** This process's CPU time (user + system) in each step: less moved by the machine's load than wall time. */
  previewCpuMs: number;
  importCpuMs: number;
  /** process.resourceUsage().maxRSS after createPortal, after the preview, at the end (MB). */
  bootRssMb: number;
  previewRssMb: number;
  peakRssMb: number;
  outboxRows: number;
  invitationRows: number;
  mailJobs: number;
  mailMs: number;
}

const silent = pino({ level: 'silent' });
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const count = async (q: PromiseLike<{ n: number | string }[]>) => Number((await q)[0]?.n ?? 0);

async function setup(): Promise<SetupResult> {
  const portal = await createPortal(loadConfig(process.env), { logger: silent });
  try {
    const { accountId, admin } = await createAccount(portal.db, { name: 'Companhia Brasileira de Tecnologia S.A.' });
    return { accountId, contactId: admin.contactId, userId: admin.userId, name: admin.name };
  } finally {
    await portal.close();
  }
}

async function measure(file: string, rows: number, inviteLater: boolean, account: SetupResult, mailBatch: number): Promise<Measured> {
  const portal = await createPortal(loadConfig(process.env), { logger: silent });
  const { services, importRunner, registry, db } = portal;
  const sql = process.env.BENCH_SQL === '1' ? statementTimes(db) : null;
  try {
    const bootRssMb = maxRssMb();
    // As the upload leaves it: a random name in the imports folder.
    const folder = services.imports.folder;
    await mkdir(folder, { recursive: true });
    const stored = path.join(folder, `${randomBytes(16).toString('hex')}.csv`);
    await copyFile(file, stored);
    const acting: Acting = {
      accountId: account.accountId, contactId: account.contactId, flags: registry.flagsOfProfile('administrator'),
      actor: { userId: account.userId, contactId: account.contactId, name: account.name },
    };

    const t0 = performance.now();
    const c0 = cpuMs();
    const id = await services.imports.start(acting, { path: stored, originalName: path.basename(file), size: (await stat(stored)).size }, { updateExisting: false, allOrNothing: false, inviteLater }, 'pt-BR');
    importRunner.kick(id);
    await importRunner.idle();
    const previewMs = performance.now() - t0;
    const previewCpuMs = cpuMs() - c0;
    const previewed = await services.imports.find(account.accountId, id);
    if (previewed.state !== 'previewed' || previewed.toInvite !== rows || previewed.errorRows !== 0) {
      throw new Error(`preview: state ${previewed.state}, ${previewed.toInvite} to invite, ${previewed.errorRows} errors (${previewed.error?.key ?? ''})`);
    }
    const previewRssMb = maxRssMb();
    if (sql) sql.print('preview');

    const t1 = performance.now();
    const c1 = cpuMs();
    await services.imports.confirm(acting, id);
    importRunner.kick(id);
    await importRunner.idle();
    const importMs = performance.now() - t1;
    const importCpuMs = cpuMs() - c1;
    const done = await services.imports.find(account.accountId, id);
    if (done.state !== 'done' || done.createdCount !== rows) throw new Error(`import: state ${done.state}, ${done.createdCount} created (${done.error?.key ?? ''})`);
    const peakRssMb = maxRssMb();

    const outboxRows = await count(db('mail_outbox').where({ account_id: account.accountId }).count({ n: '*' }));
    const invitationRows = await count(db('invitations').where({ account_id: account.accountId }).count({ n: '*' }));
    if (outboxRows !== (inviteLater ? 0 : rows) || invitationRows !== outboxRows) throw new Error(`${outboxRows} outbox rows and ${invitationRows} invitations for ${rows} rows`);

    // The worker's half of the invitations: prepare (fresh token, render) and keep (no SMTP) one batch.
    let mailJobs = 0;
    let mailMs = 0;
    if (!inviteLater && mailBatch > 0) {
      const worker = new MailWorker(db, silent, { smtpUrl: null, from: 'Portal <no-reply@bench.invalid>', jobs: services.mailJobs, batchSize: mailBatch });
      const t2 = performance.now();
      mailJobs = await worker.runOnce();
      mailMs = performance.now() - t2;
      const prepared = await count(db('mail_outbox').where({ account_id: account.accountId, template: 'invitation' }).whereNull('job').count({ n: '*' }));
      if (prepared !== mailJobs) throw new Error(`${mailJobs} mail jobs done, ${prepared} invitation messages prepared`);
    }
    if (sql) sql.print();
    return { previewMs, importMs, previewCpuMs, importCpuMs, bootRssMb, previewRssMb, peakRssMb, outboxRows, invitationRows, mailJobs, mailMs };
  } finally {
    await portal.close();
  }
}

/**
 * BENCH_SQL=1: database time per statement shape (knex's query and query-response events, the
 * values left out), printed after each phase on stderr with the process's memory.
 */
function statementTimes(db: Knex) {
  const started = new Map<string, number>();
  const totals = new Map<string, { n: number; ms: number }>();
  const shape = (q: { sql: string }) => q.sql.replace(/\((\?, )*\?\)(, \((\?, )*\?\))*/g, '(…)').replace(/in \(\?(, \?)*\)/g, 'in (…)').slice(0, 110);
  db.on('query', (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now()));
  db.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
    const t = totals.get(shape(q)) ?? { n: 0, ms: 0 };
    t.n++;
    t.ms += performance.now() - (started.get(q.__knexQueryUid) ?? performance.now());
    started.delete(q.__knexQueryUid);
    totals.set(shape(q), t);
  });
  return {
    print(phase = 'import') {
      const m = process.memoryUsage();
      console.error(`  [${phase}] rss ${Math.round(m.rss / 1e6)} MB, heap used ${Math.round(m.heapUsed / 1e6)} of ${Math.round(m.heapTotal / 1e6)} MB, external ${Math.round(m.external / 1e6)} MB; database time by statement:`);
      for (const [k, t] of [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.error(`    ${t.ms.toFixed(0).padStart(6)} ms ${String(t.n).padStart(6)}× ${k}`);
      totals.clear();
    },
  };
}

const [mode, ...args] = process.argv.slice(2);
const send = (message: unknown) => new Promise<void>((resolve, reject) => process.send!(message, (err: Error | null) => (err ? reject(err) : resolve())));
if (mode === '--setup') await send(await setup());
else if (mode === '--measure') {
  const [file, rows, later, account, mailBatch] = args as [string, string, string, string, string];
  await send(await measure(file, Number(rows), later === 'true', JSON.parse(account) as SetupResult, Number(mailBatch)));
}
if (mode === '--setup' || mode === '--measure') process.disconnect?.();
