/**
 * The loader refuses to start on a bad manifest, with one line naming the plugin and the problem
 * (issue "Permission plugins"; DESIGN.md §4). Plain manifest objects for validatePlugins; folders
 * in the system's temp directory for what needs files (migrations, loading by path).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { PluginManifest } from '../../server/plugins/contract';
import { loadRegistry, PluginError, validatePlugins } from '../../server/plugins/loader';

const PARTNER_DIR = path.resolve(import.meta.dirname, '../fixtures/partner-plugin');
const noop = () => undefined;

/** A valid manifest of plugin `id` with two flags, a menu entry, a route and pt-BR texts. */
function manifest(id: string, overrides: Partial<PluginManifest> = {}): PluginManifest {
  return {
    id,
    name: `plugins.${id}.name`,
    permissions: [
      { key: `${id}.read`, label: `plugins.${id}.read`, description: `plugins.${id}.readHelp` },
      { key: `${id}.write`, label: `plugins.${id}.write` },
    ],
    profiles: { member: [`${id}.read`] },
    menu: [{ label: `plugins.${id}.menu`, path: '/', requires: `${id}.read` }],
    routes: [{ method: 'get', path: '/', requires: `${id}.read`, handler: noop }],
    locales: { 'pt-BR': { plugins: { [id]: { name: 'Acme', read: 'Ler', readHelp: 'Lê tudo.', write: 'Escrever', menu: 'Acme' } } } },
    ...overrides,
  };
}

/** validatePlugins must refuse with exactly one line naming `plugin` and matching `problem`. */
function refusal(run: () => unknown, plugin: string, problem: RegExp): string {
  let error: unknown;
  try {
    run();
  } catch (err) {
    error = err;
  }
  expect(error, 'the loader accepted the manifests').to.be.instanceOf(PluginError);
  const message = (error as Error).message;
  expect(message).not.to.include('\n');
  expect(message.startsWith(`Plugin "${plugin}": `), message).to.equal(true);
  expect(message).to.match(problem);
  return message;
}

async function asyncRefusal(run: () => Promise<unknown>, plugin: string, problem: RegExp): Promise<string> {
  let error: unknown;
  try {
    await run();
  } catch (err) {
    error = err;
  }
  return refusal(() => {
    if (error) throw error;
  }, plugin, problem);
}

describe('plugin loader: validatePlugins', () => {
  it('accepts well-formed manifests, and the built-in plugins load and validate', async () => {
    expect(() => validatePlugins([manifest('acme'), manifest('globex')])).not.to.throw();
    const registry = await loadRegistry();
    expect(registry.plugins.map((p) => p.id)).to.include.members(['core', 'support', 'education', 'cloud']);
  });

  it('refuses a permission key declared by two plugins', () => {
    const globex = manifest('globex', { permissions: [{ key: 'globex.read', label: 'plugins.globex.read' }, { key: 'acme.read', label: 'plugins.globex.read' }] });
    refusal(() => validatePlugins([manifest('acme'), globex]), 'globex', /permission "acme\.read".*(outside|duplicate)/);
    // A key inside the plugin's own namespace declared twice by the same plugin.
    const twice = manifest('acme', { permissions: [{ key: 'acme.read', label: 'plugins.acme.read' }, { key: 'acme.read', label: 'plugins.acme.write' }] });
    refusal(() => validatePlugins([twice]), 'acme', /duplicate permission "acme\.read" \(already declared by acme\)/);
  });

  it("refuses a plugin that re-declares core's contacts.manage", () => {
    // A plugin whose id is "contacts" would own the namespace; the key still belongs to core.
    const contacts = manifest('contacts', {
      permissions: [{ key: 'contacts.manage', label: 'plugins.contacts.read' }],
      profiles: {}, menu: [], routes: [],
    });
    refusal(() => validatePlugins([contacts]), 'contacts', /duplicate permission "contacts\.manage" \(already declared by core\)/);
  });

  it("refuses a key outside the plugin's namespace", () => {
    const acme = manifest('acme', { permissions: [{ key: 'reports.read', label: 'plugins.acme.read' }], profiles: {}, menu: [], routes: [] });
    refusal(() => validatePlugins([acme]), 'acme', /permission "reports\.read" is outside the plugin's namespace "acme\."/);
    const prefix = manifest('acme', { permissions: [{ key: 'acmecorp.read', label: 'plugins.acme.read' }], profiles: {}, menu: [], routes: [] });
    refusal(() => validatePlugins([prefix]), 'acme', /outside the plugin's namespace/);
  });

  it('refuses a permission key outside the pattern <id>.<name> (lower-case letters, digits, "-", ".")', () => {
    const withKey = (key: string) => manifest('acme', { permissions: [{ key, label: 'plugins.acme.read' }], profiles: {}, menu: [], routes: [] });
    // A "," would read as two flags in a comma-joined list; a '"' breaks out of an attribute or a JSON text.
    for (const key of ['acme.read,support.portal', 'acme.read"', 'acme.Read', 'acme.read all', 'acme.', 'acme.lê', "acme.read'"]) {
      refusal(() => validatePlugins([withKey(key)]), 'acme', /permissions\.0\.key: .*lower-case letters, digits, "-" or "\."/);
    }
    expect(() => validatePlugins([withKey('acme.reports.read-all2')])).not.to.throw();
  });

  it('refuses a missing label (empty, absent) and a missing plugin name', () => {
    const empty = manifest('acme', { permissions: [{ key: 'acme.read', label: '' }], profiles: {}, menu: [], routes: [] });
    refusal(() => validatePlugins([empty]), 'acme', /permissions\.0\.label: missing label/);
    const absent = manifest('acme', { permissions: [{ key: 'acme.read' } as PluginManifest['permissions'][number]], profiles: {}, menu: [], routes: [] });
    refusal(() => validatePlugins([absent]), 'acme', /permissions\.0\.label: missing label/);
    refusal(() => validatePlugins([manifest('acme', { name: '' })]), 'acme', /name: missing label/);
    refusal(() => validatePlugins([manifest('acme', { menu: [{ label: '', path: '/', requires: 'acme.read' }] })]), 'acme', /menu\.0\.label: missing label/);
  });

  it('refuses a label, description, menu label or name without a pt-BR translation', () => {
    const label = manifest('acme', { permissions: [{ key: 'acme.read', label: 'plugins.acme.nope' }], profiles: {}, menu: [], routes: [] });
    refusal(() => validatePlugins([label]), 'acme', /label of permission "acme\.read": i18n key "plugins\.acme\.nope" has no pt-BR translation/);
    const description = manifest('acme', { permissions: [{ key: 'acme.read', label: 'plugins.acme.read', description: 'plugins.acme.missingHelp' }], profiles: {}, menu: [], routes: [] });
    refusal(() => validatePlugins([description]), 'acme', /description of permission "acme\.read": i18n key "plugins\.acme\.missingHelp"/);
    refusal(() => validatePlugins([manifest('acme', { menu: [{ label: 'plugins.acme.nomenu', path: '/', requires: 'acme.read' }] })]), 'acme', /label of menu entry "\/": i18n key "plugins\.acme\.nomenu"/);
    refusal(() => validatePlugins([manifest('acme', { name: 'plugins.acme.title' })]), 'acme', /name: i18n key "plugins\.acme\.title"/);
    // A key that only names a branch of the catalog is not a text.
    refusal(() => validatePlugins([manifest('acme', { name: 'plugins.acme' })]), 'acme', /name: i18n key "plugins\.acme" has no pt-BR/);
    // Translated only in English: pt-BR is the language every user falls back to.
    const englishOnly = manifest('acme', { locales: { en: { plugins: { acme: { name: 'Acme', read: 'Read', readHelp: 'Reads.', write: 'Write', menu: 'Acme' } } } } });
    refusal(() => validatePlugins([englishOnly]), 'acme', /name: i18n key "plugins\.acme\.name" has no pt-BR translation/);
  });

  it("accepts keys that resolve in core's catalogs", () => {
    const acme = manifest('acme', {
      name: 'menu.groups',
      permissions: [{ key: 'acme.read', label: 'permissions.core.auditView', group: 'permissions.core.group' }],
      profiles: {}, menu: [{ label: 'menu.contacts', path: '/', requires: 'acme.read' }], routes: [], locales: undefined,
    });
    expect(() => validatePlugins([acme])).not.to.throw();
  });

  it('refuses a menu entry needing an unknown flag', () => {
    const acme = manifest('acme', { menu: [{ label: 'plugins.acme.menu', path: '/reports', requires: 'acme.delete' }] });
    refusal(() => validatePlugins([acme]), 'acme', /menu entry "\/reports" needs unknown permission "acme\.delete"/);
  });

  it('refuses a route needing an unknown flag', () => {
    const acme = manifest('acme', { routes: [{ method: 'post', path: '/reports/:id', requires: 'acme.delete', handler: noop }] });
    refusal(() => validatePlugins([acme]), 'acme', /route POST \/reports\/:id needs unknown permission "acme\.delete"/);
  });

  it('accepts a menu entry or route needing a flag of core or of another plugin', () => {
    const acme = manifest('acme', {
      menu: [{ label: 'plugins.acme.menu', path: '/', requires: 'contacts.manage' }],
      routes: [{ method: 'get', path: '/', requires: 'globex.read', handler: noop }],
    });
    expect(() => validatePlugins([acme, manifest('globex')])).not.to.throw();
  });

  it('refuses an unknown profile, and a profile naming an unknown flag', () => {
    const profile = manifest('acme', { profiles: { manager: ['acme.read'] } as PluginManifest['profiles'] });
    refusal(() => validatePlugins([profile]), 'acme', /profiles: unknown profile "manager" \(known: administrator, member, observer_download, observer\)/);
    const flag = manifest('acme', { profiles: { observer: ['acme.delete'] } });
    refusal(() => validatePlugins([flag]), 'acme', /profile "observer" names unknown permission "acme\.delete"/);
  });

  it('refuses an unknown hook name and a hook that is not a function', () => {
    const unknown = manifest('acme', { hooks: { 'contact.removed': noop } as PluginManifest['hooks'] });
    refusal(() => validatePlugins([unknown]), 'acme', /hooks: unknown hook "contact\.removed" \(known: contact\.deleting, contact\.deactivated, owner\.transferred, contact\.erasing, contact\.exporting\)/);
    const notFn = manifest('acme', { hooks: { 'contact.deleting': 'cleanup' } as unknown as PluginManifest['hooks'] });
    refusal(() => validatePlugins([notFn]), 'acme', /hooks\.contact\.deleting: must be a function/);
  });

  it('refuses a duplicate plugin id, and the reserved id "core"', () => {
    refusal(() => validatePlugins([manifest('acme'), manifest('acme')]), 'acme', /duplicate plugin id/);
    const core = manifest('core', { permissions: [{ key: 'core.x', label: 'menu.groups' }], profiles: {}, menu: [], routes: [], locales: undefined, name: 'menu.groups' });
    refusal(() => validatePlugins([core]), 'core', /duplicate plugin id/);
  });

  it('refuses a malformed id, route path or method, naming what is wrong', () => {
    refusal(() => validatePlugins([manifest('Acme Corp')]), 'Acme Corp', /id: id must be lower-case/);
    refusal(() => validatePlugins([manifest('acme', { routes: [{ method: 'get', path: 'reports', requires: 'acme.read', handler: noop }] })]), 'acme', /routes\.0\.path/);
    const put = manifest('acme', { routes: [{ method: 'put', path: '/', requires: 'acme.read', handler: noop } as unknown as NonNullable<PluginManifest['routes']>[number]] });
    refusal(() => validatePlugins([put]), 'acme', /routes\.0\.method/);
  });

  it('refuses a migrations folder that does not exist', () => {
    const missing = path.join(os.tmpdir(), 'portal-no-such-folder-0b1c2d');
    refusal(() => validatePlugins([manifest('acme', { migrations: missing })]), 'acme', /migrations folder .* does not exist/);
  });
});

describe('plugin loader: loading folders', () => {
  let root: string;

  /** A plugin folder under `dir` whose index.ts exports `source` (a manifest literal, as text). */
  function pluginFolder(dir: string, id: string, source: string, migrations: string[] = []): string {
    const folder = path.join(dir, id);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'index.ts'), `export default ${source};\n`);
    if (migrations.length) {
      mkdirSync(path.join(folder, 'migrations'));
      for (const name of migrations) {
        writeFileSync(path.join(folder, 'migrations', name), 'export async function up() {}\nexport async function down() {}\n');
      }
    }
    return folder;
  }

  const literal = (id: string, withMigrations: boolean, folder: string) =>
    JSON.stringify({
      id,
      name: `plugins.${id}.name`,
      permissions: [{ key: `${id}.read`, label: `plugins.${id}.read` }],
      ...(withMigrations ? { migrations: path.join(folder, id, 'migrations') } : {}),
      locales: { 'pt-BR': { plugins: { [id]: { name: id, read: 'Ler' } } } },
    });

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'portal-plugins-'));
    // The generated index.ts files are ES modules, like the repository's.
    writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('loads built-in folders and extra folders, each plugin with its own migrations table', async () => {
    const builtIn = path.join(root, 'builtin');
    pluginFolder(builtIn, 'alpha', literal('alpha', true, builtIn), ['20260101000001_alpha.ts']);
    const registry = await loadRegistry({ builtInDir: builtIn, extra: [PARTNER_DIR] });
    expect(registry.plugins.map((p) => p.id)).to.deep.equal(['core', 'alpha', 'partner-reports']);
    expect(registry.migrationSets().map((s) => s.tableName)).to.deep.equal(['knex_migrations_alpha', 'knex_migrations_partner_reports']);
    expect([...registry.flagsOfProfile('member')]).to.include('partner-reports.view');
    expect(registry.flagsOfProfile('administrator').has('partner-reports.manage')).to.equal(true);
    expect(registry.menu.map((m) => m.path)).to.include('/p/partner-reports');
  });

  it('refuses two plugins whose migrations share a file name, naming the second and the first', async () => {
    const builtIn = path.join(root, 'builtin');
    pluginFolder(builtIn, 'alpha', literal('alpha', true, builtIn), ['20260101000001_init.ts']);
    pluginFolder(builtIn, 'beta', literal('beta', true, builtIn), ['20260101000001_init.ts']);
    await asyncRefusal(() => loadRegistry({ builtInDir: builtIn }), 'beta', /migration "20260101000001_init\.ts" collides with plugin "alpha"/);
  });

  it('a plugin outside the repository that cannot resolve portal/plugin is refused in one line saying how to install it', async () => {
    const folder = path.join(root, 'no-portal');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'index.ts'), "import { definePlugin } from 'portal/plugin';\nexport default definePlugin({ id: 'no-portal', name: 'x' } as never);\n");
    let message = '';
    await loadRegistry({ builtInDir: path.join(root, 'none'), extra: [folder] }).catch((err: Error) => (message = err.message));
    expect(message, message).to.match(/^Plugin ".*no-portal.*": cannot resolve "portal(\/plugin)?": install the portal beside the plugin/);
    expect(message).not.to.contain('\n');
  });

  it('refuses the same plugin loaded twice (built in and named in PORTAL_PLUGINS)', async () => {
    const builtIn = path.join(root, 'builtin');
    const alpha = pluginFolder(builtIn, 'alpha', literal('alpha', false, builtIn));
    await asyncRefusal(() => loadRegistry({ builtInDir: builtIn, extra: [alpha] }), 'alpha', /duplicate plugin id/);
  });

  it('skips a switched-off plugin before validating, so it cannot block start-up', async () => {
    const builtIn = path.join(root, 'builtin');
    pluginFolder(builtIn, 'alpha', literal('alpha', true, builtIn), ['20260101000001_init.ts']);
    pluginFolder(builtIn, 'beta', literal('beta', true, builtIn), ['20260101000001_init.ts']);
    const registry = await loadRegistry({ builtInDir: builtIn, disabled: ['beta'] });
    expect(registry.plugins.map((p) => p.id)).to.deep.equal(['core', 'alpha']);
    expect(registry.keys.has('beta.read')).to.equal(false);
  });

  it('refuses a PORTAL_PLUGINS entry that is neither a folder nor a package, or a folder without index', async () => {
    await asyncRefusal(() => loadRegistry({ builtInDir: path.join(root, 'none'), extra: ['portal-plugin-that-does-not-exist'] }), 'portal-plugin-that-does-not-exist', /not found/);
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    await asyncRefusal(() => loadRegistry({ builtInDir: path.join(root, 'none'), extra: [empty] }), empty, /no index\.ts or index\.js/);
  });

  it('refuses a folder whose index exports no manifest, naming the file', async () => {
    const folder = path.join(root, 'nothing');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'index.ts'), 'export const version = 1;\n');
    await asyncRefusal(() => loadRegistry({ builtInDir: path.join(root, 'none'), extra: [folder] }), path.join(folder, 'index.ts'), /exports no manifest/);
  });
});
