/**
 * `npm run audit:archive -- --months N [--account N]`: retention. Moves each chain's events older
 * than N months to a JSON lines file under DATA_DIR/audit-archive/ (the export's format, with the
 * chain head it ends on), deletes them from the table, and leaves an anchor so that
 * `npm run audit:verify` of what stays still passes. A chain whose old events do not verify is left
 * alone (exit code 2). docs/audit.md, "Retention".
 */
import path from 'node:path';
import { archiveChains, cutoffOf } from '../audit/audit-archive';
import { AuditService } from '../audit/audit.service';
import { loadConfig } from '../config';
import { createDb } from '../db/knex';
import { OPERATOR } from './account-seats';
import { chainName } from './audit-verify';
import { assertMigrated, CliError, describeDatabase, isMain, runCli, type Print } from './common';

const USAGE = 'usage: npm run audit:archive -- --months <N ≥ 1> [--account <account id, or 0 for the events of no account>]';

export function parseArchiveOptions(args: string[]): { months: number; chainId?: number } {
  const options: { months?: number; chainId?: number } = {};
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined || !/^\d{1,10}$/.test(value)) throw new CliError(USAGE);
    if (flag === '--months' && options.months === undefined) options.months = Number(value);
    else if (flag === '--account' && options.chainId === undefined) options.chainId = Number(value);
    else throw new CliError(USAGE);
  }
  if (options.months === undefined || options.months < 1 || options.months > 1200) throw new CliError(USAGE);
  return options as { months: number; chainId?: number };
}

export async function auditArchiveCommand(
  args: string[], env: NodeJS.ProcessEnv = process.env, print: Print = console.log, printError: Print = console.error, now = new Date(),
): Promise<number> {
  const { months, chainId } = parseArchiveOptions(args);
  const config = loadConfig(env);
  const db = createDb(config.database);
  try {
    print(`Database: ${describeDatabase(config.database)}`);
    await assertMigrated(db);
    const cutoff = cutoffOf(months, now);
    const dir = path.join(config.dataDir, 'audit-archive');
    const { archived, refused } = await archiveChains(db, new AuditService(), OPERATOR, { cutoff, dir, chainId });
    for (const a of archived) print(`${chainName(a.chainId)}: ${a.count} events (places ${a.firstSeq}–${a.lastSeq} of the chain) → ${a.file}; the chain goes on from ${a.lastHash}`);
    for (const line of refused) printError(`REFUSED ${line}`);
    print(archived.length ? `Archived events older than ${cutoff.toISOString()} from ${archived.length} chain(s).` : `No event older than ${cutoff.toISOString()}: nothing archived.`);
    return refused.length ? 2 : 0;
  } finally {
    await db.destroy();
  }
}

if (isMain(import.meta.url)) runCli('audit:archive', () => auditArchiveCommand(process.argv.slice(2)));
