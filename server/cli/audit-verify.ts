/**
 * `npm run audit:verify [-- --account N]`: checks every audit chain (each account's, and chain 0
 * for the events of no account; `--account 0` checks that one alone). Exit code 0 when every chain
 * holds, 2 when one does not (each broken chain's first bad event is named), 1 on a usage or
 * database problem. docs/audit.md explains what is checked.
 */
import { verifyChains, type ChainProblem } from '../audit/audit-verify';
import { loadConfig } from '../config';
import { createDb } from '../db/knex';
import { assertMigrated, CliError, describeDatabase, isMain, runCli, type Print } from './common';

const USAGE = 'usage: npm run audit:verify [-- --account <account id, or 0 for the events of no account>]';

/** `--account N` → N; nothing → every chain. */
export function parseChainOption(args: string[]): number | undefined {
  if (args.length === 0) return undefined;
  const [flag, value, ...rest] = args;
  if (flag !== '--account' || value === undefined || rest.length || !/^\d{1,10}$/.test(value)) throw new CliError(USAGE);
  return Number(value);
}

export const chainName = (chainId: number) => (chainId === 0 ? 'chain 0 (events of no account)' : `account ${chainId}`);
export const describeProblem = (p: ChainProblem) => `${chainName(p.chainId)}: ${p.message}`;

export async function auditVerifyCommand(args: string[], env: NodeJS.ProcessEnv = process.env, print: Print = console.log, printError: Print = console.error): Promise<number> {
  const chainId = parseChainOption(args);
  const config = loadConfig(env);
  const db = createDb(config.database);
  try {
    print(`Database: ${describeDatabase(config.database)}`);
    await assertMigrated(db);
    const started = Date.now();
    const report = await verifyChains(db, { chainId });
    const took = ((Date.now() - started) / 1000).toFixed(1);
    for (const p of report.problems) printError(`BROKEN ${describeProblem(p)}`);
    if (report.problems.length) {
      print(`${report.problems.length} of ${report.chains} chain(s) broken; ${report.events} events read in ${took} s.`);
      return 2;
    }
    print(`OK: ${report.chains} chain(s), ${report.events} events verified in ${took} s.`);
    return 0;
  } finally {
    await db.destroy();
  }
}

if (isMain(import.meta.url)) runCli('audit:verify', () => auditVerifyCommand(process.argv.slice(2)));
