import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { PageCheckError, checkA11y, newCheckedPage, see, useBrowser, visit } from './support';

/**
 * The harness's own promise: a page with a serious accessibility problem fails the test, however
 * the test got there. The pages here are served by the test itself (page.route), never by the portal.
 */
const html = (body: string, head = '') =>
  `<!DOCTYPE html><html lang="pt-BR"><head><meta charset="utf-8"><title>Teste</title>${head}</head><body><main><h1>Teste</h1>${body}</main></body></html>`;
const UNLABELLED = '<input type="text" name="q">';

async function serve(page: Page, path: string, body: string) {
  await page.route(`**${path}`, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body }));
}

async function failureOf(promise: Promise<unknown>): Promise<PageCheckError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PageCheckError) return err;
    throw err;
  }
  throw new Error('expected an accessibility failure, got none');
}

describe('browser harness: every page is checked with axe-core', () => {
  const b = useBrowser();
  // Pages made here are not handed to the suite's afterEach: their failures are the expected outcome.
  let context: BrowserContext | undefined;
  const page = async () => {
    const made = await newCheckedPage(b.browser, b.baseUrl);
    context = made.context;
    return made.page;
  };
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  it('visit() fails on an unlabelled field and on low contrast, naming the rules and the elements', async () => {
    const p = await page();
    await serve(p, '/__bad', html(`${UNLABELLED}<p style="color:#bbb;background:#fff">quase invisível</p>`));

    const err = await failureOf(visit(p, '/__bad'));

    expect(err.message).to.contain('/__bad');
    expect(err.message).to.contain('color-contrast');
    expect(err.message).to.contain('label: Form elements must have labels').and.to.contain(UNLABELLED);
    expect(err.message).to.contain('https://dequeuniversity.com/rules/axe/');
  });

  it('visit() passes a clean page', async () => {
    const p = await page();
    await serve(p, '/__good', html('<label for="q">Busca</label><input id="q" type="text">'));
    await visit(p, '/__good');
  });

  it('a page reached by a click is checked even when the test moves on at once', async () => {
    const p = await page();
    await serve(p, '/__start', html('<a href="/__middle">adiante</a>'));
    await serve(p, '/__middle', html(`${UNLABELLED}<a href="/__end">fim</a>`));
    await serve(p, '/__end', html('<p>Fim</p>'));

    await visit(p, '/__start');
    await p.getByRole('link', { name: 'adiante' }).click();
    await p.getByRole('link', { name: 'fim' }).click();
    await see(p.getByText('Fim'));

    const err = await failureOf(checkA11y(p));
    expect(err.message).to.contain('/__middle');
    expect(err.message).to.contain('label: Form elements must have labels').and.to.contain(UNLABELLED);
  });

  it('checkA11y() fails on content an HTMX swap brought in', async () => {
    const p = await page();
    await serve(p, '/__htmx', html('<button hx-get="/__fragment" hx-target="#slot">carregar</button><div id="slot"></div>', '<script src="/public/vendor/htmx.min.js"></script>'));
    await serve(p, '/__fragment', UNLABELLED);

    await visit(p, '/__htmx');
    await p.getByRole('button', { name: 'carregar' }).click();
    await see(p.locator('#slot input'));

    const err = await failureOf(checkA11y(p));
    expect(err.message).to.contain('label: Form elements must have labels').and.to.contain(UNLABELLED);
  });

  it('an uncaught script error in the page fails too', async () => {
    const p = await page();
    await serve(p, '/__throws', html('<p>Oi</p>', '<script>throw new Error("quebrou")</script>'));

    const err = await failureOf(visit(p, '/__throws'));

    expect(err.message).to.contain('Script error on').and.to.contain('quebrou');
  });
});
