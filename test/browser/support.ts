import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { AxeBuilder } from '@axe-core/playwright';
import type { AxeResults, Result } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import path from 'node:path';
import { PASSWORD } from '../support/fixtures';
import { startPortal, type TestPortal } from '../support/portal';

/**
 * The browser-test harness: a real listening portal, Debian's Chromium driven by playwright-core,
 * and an accessibility check (axe-core) on every page a test sees.
 *
 * Nothing has to be remembered by a test: every page made by `newPage()` is checked
 *   - once per document, when it has loaded (error pages and form answers such as 401 or 422
 *     included), and again after each HTMX swap (htmx:afterSettle, reported from the page);
 *   - and before the test's next action on the page (click, fill, press, goto, reload…) goes
 *     ahead, the checks under way are finished, so an action can never leave a page unchecked.
 * A serious or critical finding fails the test: at once in `visit()` / `checkA11y()`, otherwise in
 * the harness's afterEach. Uncaught script errors in the page fail the test the same way.
 *
 * Use:
 *   describe('browser: contacts', () => {
 *     const b = useBrowser();                      // portal on a fresh database + Chromium
 *     it('…', async () => {
 *       const { admin } = await createAccount(b.portal.db);
 *       const page = await b.newPage();            // own cookies, pt-BR, 1280×800
 *       await visit(page, '/login');               // checked; throws on a finding
 *       await page.getByRole('button', { name: 'Entrar' }).click();   // next page checked too
 *       await see(page.getByRole('heading', { name: '…' }));
 *       await checkA11y(page);                     // after an HTMX swap, to fail right there
 *     });
 *   });
 *
 * Why before the next action, and not by holding the next request: an evaluation in a document
 * whose navigation request is held never finishes (playwright-core 1.65), so axe cannot run then.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Findings at these impacts fail the test. */
const FAILING_IMPACTS = new Set(['serious', 'critical']);
/** How long a locator waits for what the user should see (well under mocha's 30 s timeout). */
export const WAIT_MS = 10_000;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** A port free on 127.0.0.1 right now (for a portal whose PUBLIC_URL must name it before it listens). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Listens on 127.0.0.1 (an ephemeral port unless one is given); returns the base URL and a closer. */
export async function listen(portal: TestPortal, atPort = 0): Promise<{ baseUrl: string; server: Server; close(): Promise<void> }> {
  const server = portal.app.listen(atPort, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A page failed the harness: a serious or critical axe-core finding, or an uncaught script error. */
export class PageCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PageCheckError';
  }
}

function describeViolation(v: Result): string {
  const nodes = v.nodes.map((n) => {
    const summary = (n.failureSummary ?? '').split('\n').map((l) => `        ${l.trim()}`).join('\n');
    return `    - ${n.target.join(' ')}\n      ${n.html.replace(/\s+/g, ' ').slice(0, 300)}\n${summary}`;
  });
  return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes.join('\n')}`;
}

/** The failing part of an axe run, as text; '' when nothing serious or critical was found. */
export function formatViolations(results: AxeResults, where: string): string {
  const failing = results.violations.filter((v) => FAILING_IMPACTS.has(v.impact ?? ''));
  if (!failing.length) return '';
  return `Accessibility: ${failing.length} serious/critical violation(s) on ${where}\n${failing.map(describeViolation).join('\n')}`;
}

/**
 * Runs axe-core on the page as it is now; returns the failure text ('' when clean).
 * Legacy mode runs axe inside the page itself: the default mode opens a second, blank page in
 * the context for every run (slower, and it hung when the checked page was navigating). The portal
 * has no iframes, which is all legacy mode gives up.
 */
export async function analyze(page: Page, where = page.url()): Promise<string> {
  const results = await new AxeBuilder({ page }).setLegacyMode(true).analyze();
  return formatViolations(results, where);
}

/** Per-page bookkeeping of the automatic checks. */
class PageMonitor {
  /** Incremented on every main-frame navigation: one id per document. */
  private doc = 0;
  private swaps = 0;
  private readonly checks = new Map<string, Promise<void>>();
  private pending: Promise<void>[] = [];
  /** axe refuses to run twice at once on a page: checks run one after another. */
  private queue: Promise<void> = Promise.resolve();
  /** Failures not yet thrown at the test. */
  readonly failures: string[] = [];

  constructor(readonly page: Page) {
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) {
        this.doc += 1;
        this.swaps = 0;
      }
    });
    page.on('load', () => void this.checkDocument());
    page.on('pageerror', (err) => this.failures.push(`Script error on ${page.url()}: ${err.stack ?? err.message}`));
  }

  private run(key: string, label: string): Promise<void> {
    const existing = this.checks.get(key);
    if (existing) return existing;
    const url = this.page.url();
    const check = this.queue.then(async () => {
      if (!url.startsWith('http')) return; // about:blank before the first visit
      try {
        const failure = await analyze(this.page, `${url}${label}`);
        if (failure) this.failures.push(failure);
      } catch (err) {
        if (this.page.isClosed()) return;
        // The page moved on while its check ran (an inline validation's swap landing as the form
        // is submitted): that document is gone, and the next one is checked when it loads.
        if (/Execution context was destroyed/.test((err as Error).message)) return;
        this.failures.push(`Accessibility check could not run on ${url}${label}: ${(err as Error).message}`);
      }
    });
    this.queue = check;
    this.checks.set(key, check);
    this.pending.push(check);
    return check;
  }

  /** The current document, once (a later call for the same document awaits the same check). */
  checkDocument(): Promise<void> {
    return this.run(`doc:${this.doc}`, '');
  }

  /** After an HTMX swap: the document changed without a navigation. */
  checkSwap(): Promise<void> {
    this.swaps += 1;
    return this.run(`doc:${this.doc}:swap:${this.swaps}`, ` (after HTMX swap ${this.swaps})`);
  }

  /** A fresh check of the page as it is right now. */
  checkNow(): Promise<void> {
    return this.run(`doc:${this.doc}:now:${Date.now()}:${Math.random()}`, '');
  }

  async settled(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      await Promise.all(batch);
    }
  }

  /** Throws (and forgets) the failures collected so far. */
  throwFailures(): void {
    if (!this.failures.length) return;
    const text = this.failures.splice(0).join('\n\n');
    throw new PageCheckError(text);
  }

  /** Before an action: the page has loaded, and it and its swaps have been checked. */
  async beforeAction(): Promise<void> {
    if (this.page.isClosed()) return;
    await this.page.waitForLoadState('load').catch(() => undefined);
    void this.checkDocument();
    await this.settled();
  }
}

const monitors = new WeakMap<Page, PageMonitor>();

function monitorOf(page: Page): PageMonitor {
  const m = monitors.get(page);
  if (!m) throw new Error('this page was not made by the browser harness (use newPage() from test/browser/support.ts)');
  return m;
}

/**
 * Every action a test can take on a page waits for `beforeAction()` first. Page and Locator
 * actions all go through the (client-side) Frame, so its prototype is wrapped once; the page's own
 * navigations and its keyboard and mouse are wrapped per page.
 */
const FRAME_ACTIONS = ['goto', 'click', 'dblclick', 'tap', 'fill', 'type', 'press', 'check', 'uncheck', 'selectOption', 'setInputFiles', 'dispatchEvent', 'dragAndDrop', 'hover', 'focus'] as const;
const PAGE_ACTIONS = ['reload', 'goBack', 'goForward'] as const;
const KEYBOARD_ACTIONS = ['down', 'up', 'press', 'type', 'insertText'] as const;
const MOUSE_ACTIONS = ['click', 'dblclick', 'down', 'up', 'wheel'] as const;
let frameGuarded = false;

function wrap(target: object, names: readonly string[], monitorFor: (self: unknown) => PageMonitor | undefined): void {
  const obj = target as Record<string, unknown>;
  for (const name of names) {
    const original = obj[name];
    if (typeof original !== 'function') throw new Error(`browser harness: playwright-core has no ${name}() to guard any more`);
    obj[name] = async function (this: unknown, ...args: unknown[]) {
      await monitorFor(this)?.beforeAction();
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}

function guardActions(page: Page): void {
  if (!frameGuarded) {
    frameGuarded = true;
    wrap(Object.getPrototypeOf(page.mainFrame()), FRAME_ACTIONS, (frame) => monitors.get((frame as { page(): Page }).page()));
  }
  const monitor = () => monitors.get(page);
  wrap(page, PAGE_ACTIONS, monitor);
  wrap(page.keyboard, KEYBOARD_ACTIONS, monitor);
  wrap(page.mouse, MOUSE_ACTIONS, monitor);
}

/** Reports every HTMX swap to the harness; runs before the page's own scripts. */
const SWAP_REPORTER = `document.addEventListener('htmx:afterSettle', () => { if (window.__portalA11ySwap) window.__portalA11ySwap(); });`;

/** A context (own cookies, pt-BR, 1280×800) with one page that is checked automatically. */
export async function newCheckedPage(browser: Browser, baseUrl: string, options: BrowserContextOptions = {}): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ baseURL: baseUrl, locale: 'pt-BR', viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(WAIT_MS);
  await context.exposeBinding('__portalA11ySwap', ({ page }) => void monitors.get(page)?.checkSwap());
  await context.addInitScript(SWAP_REPORTER);
  const page = await context.newPage();
  monitors.set(page, new PageMonitor(page));
  guardActions(page);
  return { page, context };
}

/**
 * Goes to `path` (relative to the portal) and fails at once if the page it lands on (after any
 * redirects) has a serious or critical accessibility finding.
 */
export async function visit(page: Page, path: string) {
  const response = await page.goto(path);
  const monitor = monitorOf(page);
  await monitor.checkDocument(); // the same check the load event started
  await monitor.settled();
  monitor.throwFailures();
  return response;
}

/**
 * Waits for the automatic checks, checks the page as it is now (use it after an HTMX swap, once
 * the swapped content is visible), and throws everything found since the last call.
 */
export async function checkA11y(page: Page): Promise<void> {
  const monitor = monitorOf(page);
  await monitor.settled();
  await monitor.checkNow();
  monitor.throwFailures();
}

/** Waits until the locator is visible and returns it: "the user sees this". */
export async function see(locator: Locator): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible' });
  return locator;
}

export interface BrowserHarness {
  readonly portal: TestPortal;
  readonly baseUrl: string;
  readonly browser: Browser;
  /** A fresh, isolated, automatically checked page (closed after the test). */
  newPage(options?: BrowserContextOptions): Promise<Page>;
}

/**
 * Call inside a describe(): starts a portal on its own fresh database (or the one `portal` makes),
 * listens (at http://localhost:<port> with `localhost`, which passkeys need), launches Chromium; after each test, waits for the pending accessibility checks, closes
 * the test's pages and fails on what was found; after the suite, closes browser and server.
 */
export function useBrowser(options: { portal?: () => Promise<TestPortal>; localhost?: boolean } = {}): BrowserHarness {
  let portal: TestPortal | undefined;
  let baseUrl: string | undefined;
  let browser: Browser | undefined;
  let closeServer: (() => Promise<void>) | undefined;
  const open: { page: Page; context: BrowserContext }[] = [];
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`browser harness: ${what} is not ready (use it inside a test or hook)`);
    return value;
  };

  before(async function () {
    // WebAuthn refuses an IP address as relying-party id: passkey tests open http://localhost:<port>,
    // and the portal's PUBLIC_URL (which gives the relying party) names that same origin.
    const port = options.localhost ? await freePort() : 0;
    portal = await (options.portal ?? (() => startPortal(port ? { PUBLIC_URL: `http://localhost:${port}` } : {})))();
    const listening = await listen(portal, port);
    baseUrl = port ? `http://localhost:${port}` : listening.baseUrl;
    closeServer = listening.close;
    browser = await launchChromium();
  });

  afterEach(async function () {
    const failures: string[] = [];
    for (const { page, context } of open.splice(0)) {
      const monitor = monitors.get(page);
      // The page the test ended on is checked too (not after a failure: it may be stuck).
      if (monitor && this.currentTest?.state !== 'failed') await monitor.beforeAction();
      if (monitor) failures.push(...monitor.failures.splice(0));
      await context.close().catch(() => undefined);
    }
    if (!failures.length) return;
    // A test that already failed keeps its own error; the findings are still shown.
    if (this.currentTest?.state === 'failed') console.error(failures.join('\n\n'));
    else throw new PageCheckError(failures.join('\n\n'));
  });

  after(async function () {
    await browser?.close();
    await closeServer?.();
    browser = undefined;
    closeServer = undefined;
  });

  return {
    get portal() {
      return need(portal, 'the portal');
    },
    get baseUrl() {
      return need(baseUrl, 'the base URL');
    },
    get browser() {
      return need(browser, 'the browser');
    },
    async newPage(contextOptions = {}) {
      const made = await newCheckedPage(need(browser, 'the browser'), need(baseUrl, 'the base URL'), contextOptions);
      open.push(made);
      return made.page;
    },
  };
}

/** Signs in through the login form, as a person does, and waits for the signed-in menu. */
export async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await visit(page, '/login');
  await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill(email);
  await page.getByRole('textbox', { name: 'Senha', exact: true }).fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await see(page.getByRole('navigation', { name: 'Menu principal' }));
}

/** Saves a page at 1280 and 390 px wide as test-results/<folder>/<name>-<width>.png (CI artefacts). */
export function screenshotsIn(folder: string): (page: Page, name: string) => Promise<void> {
  const dir = path.resolve(import.meta.dirname, '../../test-results', folder);
  return async (page, name) => {
    mkdirSync(dir, { recursive: true });
    const size = page.viewportSize();
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      await page.screenshot({ path: path.join(dir, `${name}-${width}.png`), fullPage: true });
    }
    if (size) await page.setViewportSize(size);
  };
}
