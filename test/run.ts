/**
 * `npm test`: the whole suite on SQLite (unit, integration, browser), then the integration suite
 * again on MySQL/MariaDB when TEST_MYSQL_URL is set. With CI=true, a missing MySQL or Chromium
 * is a failure, never a silent skip. Ends with one line: "tests: N passed, N failed".
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const passes: { name: string; env: Record<string, string>; specs: string[]; runner?: 'node' }[] = [];
const problems: string[] = [];

const sqliteSpecs = ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'];
if (existsSync(chromium)) sqliteSpecs.push('test/browser/**/*.test.ts');
else if (ci) problems.push(`Chromium not found at ${chromium} (apt-get install -y chromium)`);
else console.warn(`! Chromium not found at ${chromium}: browser tests not run (CI runs them).`);
passes.push({ name: 'sqlite', env: { TEST_DB: 'sqlite' }, specs: sqliteSpecs });
// The example plugin's own test, run as a partner runs theirs (node's test runner, tsx as the loader).
passes.push({ name: 'example plugin', env: {}, specs: ['examples/field-visits/test/field-visits.test.ts'], runner: 'node' });

if (process.env.TEST_MYSQL_URL) passes.push({ name: 'mysql', env: { TEST_DB: 'mysql' }, specs: ['test/integration/**/*.test.ts'] });
else if (ci) problems.push('TEST_MYSQL_URL is not set: CI must run the suite on MySQL/MariaDB too');
else console.warn('! TEST_MYSQL_URL not set: the MySQL pass is not run (CI runs it).');

let passed = 0;
let failed = problems.length;
for (const p of problems) console.error(`✗ ${p}`);

function run(pass: (typeof passes)[number]): Promise<number> {
  console.log(`\n=== ${pass.name}: ${pass.specs.join(' ')} ===`);
  const args = pass.runner === 'node' ? ['--import', 'tsx', '--test', ...pass.specs] : ['node_modules/mocha/bin/mocha.js', ...pass.specs];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...pass.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      out += chunk.toString();
    });
    child.on('close', (code) => {
      // mocha's "N passing / N failing", node's test runner's "# pass N / # fail N".
      const ok = Number((/(\d+) passing/.exec(out) ?? /^# pass (\d+)/m.exec(out))?.[1] ?? 0);
      const bad = Number((/(\d+) failing/.exec(out) ?? /^# fail (\d+)/m.exec(out))?.[1] ?? 0);
      passed += ok;
      failed += bad + (code !== 0 && bad === 0 ? 1 : 0);
      resolve(code ?? 1);
    });
  });
}

let exit = problems.length ? 1 : 0;
for (const pass of passes) if ((await run(pass)) !== 0) exit = 1;
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(exit);
