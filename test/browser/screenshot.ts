/**
 * The README's picture: the logged-in home page at 1280×800, on a temporary SQLite portal seeded
 * with the demo data (`npm run seed:demo`'s companies, menus and people, as a visitor of the demo sees them). Run with `npx tsx test/browser/screenshot.ts` (writes docs/screenshot.png).
 * The page is checked with axe-core like in the browser tests; a finding stops the script.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { dropTestDatabases } from '../support/databases';
import { seedDemo } from '../../server/cli/seed-demo';
import { PASSWORD } from '../support/fixtures';
import { closePortals, startPortal } from '../support/portal';
import { checkA11y, launchChromium, listen, newCheckedPage, see, visit } from './support';

const OUT = path.resolve(import.meta.dirname, '../../docs/screenshot.png');

async function main() {
  // The harness's databases follow TEST_DB; the picture always uses a throw-away SQLite file.
  if (process.env.TEST_DB === 'mysql') throw new Error('run without TEST_DB=mysql: the screenshot uses SQLite');
  const portal = await startPortal();
  const server = await listen(portal);
  const browser = await launchChromium();
  try {
    await seedDemo(portal.db, { password: PASSWORD, registry: portal.registry });
    const admin = { email: 'admin@demo.portal', name: 'Marina Costa Andrade' };
    const { page } = await newCheckedPage(browser, server.baseUrl, { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });

    await visit(page, '/login');
    await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill(admin.email);
    await page.getByRole('textbox', { name: 'Senha', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await see(page.getByRole('heading', { level: 1, name: `Bem-vindo(a), ${admin.name}` }));
    await page.waitForLoadState('load');
    await checkA11y(page);

    mkdirSync(path.dirname(OUT), { recursive: true });
    await page.screenshot({ path: OUT, fullPage: false });
    console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
  } finally {
    await browser.close();
    await server.close();
    await closePortals();
    await dropTestDatabases();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
