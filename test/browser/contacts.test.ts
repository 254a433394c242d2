import { expect } from 'chai';
import type { Locator, Page } from 'playwright-core';
import { activatePending, addMember, createAccount, PASSWORD } from '../support/fixtures';
import { checkA11y, see, useBrowser, visit } from './support';

/**
 * "Usuários do Sistema" in a real browser: add a contact with inline validation, find it by
 * search, edit it, deactivate, reactivate, delete with the confirmation dialog; and the same
 * essentials with JavaScript switched off (progressive enhancement).
 */

const NAME = 'João da Silva Teste';
const CPF = '123.456.780-62';

/** Fills the login form the way a user does and submits it. */
async function logIn(page: Page, email: string, password: string) {
  await visit(page, '/login');
  await field(page, 'E-mail').fill(email);
  await field(page, 'Senha').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await see(page.getByRole('navigation', { name: 'Menu principal' }));
}

/** A form field by its accessible name (the "*" of required fields is aria-hidden). */
const field = (page: Page, name: string) => page.getByRole('textbox', { name, exact: true });
const mainMenu = (page: Page) => page.getByRole('navigation', { name: 'Menu principal' });
const searchBox = (page: Page) => page.getByRole('searchbox', { name: 'Buscar' });
const results = (page: Page) => page.getByRole('table', { name: 'Usuários da empresa' });
const rowOf = (page: Page, name: string) => results(page).getByRole('row').filter({ hasText: name });

/** The text the field's aria-describedby points to, once the field is marked invalid. */
async function inlineErrorOf(input: Locator): Promise<string> {
  await input.and(input.page().locator('[aria-invalid="true"]')).waitFor();
  const describedBy = await input.getAttribute('aria-describedby');
  expect(describedBy, 'an invalid field names its error').to.be.a('string');
  return (await see(input.page().locator(`[id="${describedBy}"]`))).innerText();
}

/** Waits until the field is no longer marked invalid (its error gone). */
async function becomesValid(input: Locator) {
  await input.and(input.page().locator(':not([aria-invalid])')).waitFor();
}

/** Marks the current document, to tell later whether the page was reloaded. */
const markDocument = (page: Page) => page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
const isSameDocument = (page: Page) => page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);

/**
 * Resolves once the page's next HTMX swap has settled. The harness starts its accessibility check
 * of a swap from the same htmx:afterSettle event (its listener runs first), so when this resolves
 * that check is under way and the next action waits for it. Waiting like this keeps one swap's
 * check from overlapping the next one's: the harness starts a check per swap at once, and axe-core
 * refuses to run twice at the same time in a page ("Axe is already running").
 * Rejects if the document goes away instead (a full navigation).
 */
const nextSettle = (page: Page) =>
  page.evaluate(() => new Promise<void>((resolve) => document.addEventListener('htmx:afterSettle', () => resolve(), { once: true })));

/** Fills a field and leaves it (Tab), as a user does: waits for the inline validation's answer and swap. */
async function fillAndLeave(page: Page, input: Locator, value: string) {
  await input.fill(value);
  const answered = page.waitForResponse((r) => r.url().endsWith('/contacts/validate') && r.request().method() === 'POST');
  const settled = nextSettle(page);
  await input.press('Tab');
  expect((await answered).status()).to.equal(200);
  await settled;
}

/** Runs an action that makes HTMX swap part of the page, and waits until the swap has settled. */
async function swapping(page: Page, action: () => Promise<unknown>) {
  const settled = nextSettle(page);
  await action();
  await settled;
}

/**
 * The page gets no JavaScript of its own: every script it asks for is refused. The portal's
 * pages have no inline scripts, handlers or <noscript>, only /public/…js files, so this is the
 * page as a browser with JavaScript switched off shows it. (A context made with
 * `javaScriptEnabled: false` cannot be used with the harness: Chromium then also stops the timers
 * axe-core waits on, so the accessibility check of the first page never finishes.)
 */
async function withoutPageScripts(page: Page) {
  await page.context().route(/\.m?js(\?.*)?$/, (route) => route.abort());
}

async function openContacts(page: Page) {
  await mainMenu(page).getByRole('link', { name: 'Usuários do Sistema' }).click();
  await see(page.getByRole('heading', { level: 1, name: 'Usuários do Sistema' }));
}

/** Opens the row's "Ações" menu (a <details>) and returns it. */
async function rowMenu(page: Page, name: string): Promise<Locator> {
  // The summary reads "Ações: <name>" (the name is visually hidden).
  await rowOf(page, name).locator('summary', { hasText: 'Ações' }).click();
  const menu = rowOf(page, name).locator('details[open]');
  await see(menu);
  return menu;
}

describe('browser: Usuários do Sistema', () => {
  const b = useBrowser();

  it('adds a contact with inline validation, finds it by search, edits, deactivates, reactivates and deletes it', async function () {
    this.timeout(120_000);
    const { accountId, admin } = await createAccount(b.portal.db);
    const page = await b.newPage();
    await logIn(page, admin.email, PASSWORD);

    // The list, from the menu, with the seat gauge.
    await openContacts(page);
    await see(page.getByText('1 de 99 licenças em uso', { exact: true }));
    const listUrl = new URL(page.url());
    expect(listUrl.pathname).to.match(/^\/accounts\/\d+\/contacts$/);

    // Add, with inline validation as each field is left (HTMX, no submit).
    await page.getByRole('link', { name: 'Adicionar usuário' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Adicionar usuário' }));
    await markDocument(page);
    const formUrl = page.url();

    await fillAndLeave(page, field(page, 'Nome'), NAME);
    const cpf = field(page, 'CPF');
    await fillAndLeave(page, cpf, '111.111.111-11');
    expect(await inlineErrorOf(cpf)).to.equal('CPF inválido: confira os dígitos.');
    await checkA11y(page);

    // The server checks the DDD only together with a phone number (with the phone still empty a
    // wrong DDD is not flagged: server/contacts/contact-form.ts), so the phone goes in first.
    await fillAndLeave(page, field(page, 'Telefone'), '98765-4321');
    const ddd = field(page, 'DDD');
    await fillAndLeave(page, ddd, '20');
    expect(await inlineErrorOf(ddd)).to.equal('Informe um DDD válido do Brasil.');

    await fillAndLeave(page, field(page, 'E-mail'), 'joao.silva@example.test');
    const confirmation = field(page, 'Confirmação de e-mail');
    await fillAndLeave(page, confirmation, 'joao.outro@example.test');
    expect(await inlineErrorOf(confirmation)).to.equal('A confirmação não confere com o e-mail.');
    await checkA11y(page);

    // Nothing was submitted: same document, same address, nothing saved.
    expect(await isSameDocument(page), 'inline validation must not reload the page').to.equal(true);
    expect(page.url()).to.equal(formUrl);
    expect(await page.getByText('Registro salvo com sucesso!').count()).to.equal(0);

    // Fix everything; each error goes away as its field is left.
    await fillAndLeave(page, field(page, 'CPF'), CPF);
    await becomesValid(field(page, 'CPF'));
    await fillAndLeave(page, field(page, 'DDD'), '11');
    await becomesValid(field(page, 'DDD'));
    await fillAndLeave(page, field(page, 'Confirmação de e-mail'), 'joao.silva@example.test');
    await becomesValid(field(page, 'Confirmação de e-mail'));
    expect(await page.locator('.field-error').count()).to.equal(0);

    await page.getByRole('button', { name: 'Salvar' }).click();
    await see(page.getByRole('status').getByText(`Convite enviado para ${NAME} (joao.silva@example.test).`));
    await see(page.getByRole('link', { name: 'Adicionar novo usuário' }));
    // The person accepts the invitation (followed end to end in test/browser/invitations.test.ts).
    await activatePending(b.portal.db, accountId, (await b.portal.db('contacts').where({ account_id: accountId, email: 'joao.silva@example.test' }).first('id')).id);
    await page.locator('.page-header').getByRole('link', { name: 'Voltar para Usuários' }).click();

    // The list: two active users now.
    await see(page.getByText('2 de 99 licenças em uso', { exact: true }));
    await see(rowOf(page, NAME));
    await see(rowOf(page, admin.name));

    // Search without accents: the table is swapped by HTMX and the address follows (hx-push-url).
    await markDocument(page);
    await swapping(page, () => searchBox(page).fill('joao'));
    await page.waitForURL((url) => url.searchParams.get('q') === 'joao');
    await see(rowOf(page, NAME));
    expect(await rowOf(page, admin.name).count()).to.equal(0);
    expect(await isSameDocument(page), 'the search must not reload the page').to.equal(true);
    await checkA11y(page);

    // A CPF prefix, typed with its mask.
    await swapping(page, () => searchBox(page).fill('123.456'));
    await page.waitForURL((url) => url.searchParams.get('q') === '123.456');
    await see(rowOf(page, NAME).getByText(CPF));
    expect(await isSameDocument(page)).to.equal(true);

    // Reload: the search is in the address, so the same state comes back.
    await page.reload();
    await see(rowOf(page, NAME));
    expect(await searchBox(page).inputValue()).to.equal('123.456');
    expect(await rowOf(page, admin.name).count()).to.equal(0);

    // Back: the previous search (HTMX restores it from the server; a full load would do as well).
    const restored = nextSettle(page).catch(() => undefined);
    await page.goBack();
    await page.waitForURL((url) => url.searchParams.get('q') === 'joao');
    await restored;
    await page.locator('#f-q').and(page.locator('[value="joao"]')).waitFor();
    await see(rowOf(page, NAME));
    expect(await searchBox(page).inputValue()).to.equal('joao');
    expect(await rowOf(page, admin.name).count()).to.equal(0);
    await checkA11y(page);

    // Edit the profile: change the phone.
    await rowOf(page, NAME).getByRole('link', { name: NAME }).click();
    await see(page.getByRole('heading', { level: 1, name: NAME }));
    const contactPath = new URL(page.url()).pathname;
    await page.getByRole('link', { name: 'Editar perfil' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Editar perfil' }));
    expect(await field(page, 'Nome').inputValue()).to.equal(NAME);
    await fillAndLeave(page, field(page, 'Telefone'), '91234-5678');
    await page.getByRole('button', { name: 'Salvar' }).click();
    await see(page.getByRole('status').getByText('Registro salvo com sucesso!'));
    expect(await field(page, 'Telefone').inputValue()).to.equal('912345678');

    // Deactivate from the contact page.
    await page.locator('.page-header').getByRole('link', { name: 'Voltar para Usuários' }).click();
    await rowOf(page, NAME).getByRole('link', { name: NAME }).click();
    await see(page.getByRole('heading', { level: 1, name: NAME }));
    expect(new URL(page.url()).pathname).to.equal(contactPath);
    await see(page.getByText('(11) 91234-5678'));
    // Desativar asks in the dialog, as Excluir does.
    await swapping(page, () => page.getByRole('main').getByRole('link', { name: 'Desativar' }).click());
    await page.getByRole('dialog').getByRole('button', { name: 'Sim, desativar' }).click();
    await see(page.getByText('Usuário desativado.'));
    await see(page.getByRole('button', { name: 'Reativar' }));

    // It is under "Desativados" (1), no longer under "Ativos".
    await page.getByRole('main').getByRole('link', { name: 'Voltar para Usuários' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Usuários do Sistema' }));
    await see(rowOf(page, admin.name));
    expect(await rowOf(page, NAME).count()).to.equal(0);
    const tabs = page.getByRole('navigation', { name: 'Situação dos usuários' });
    await swapping(page, () => tabs.getByRole('link', { name: 'Desativados (1)' }).click());
    await page.waitForURL((url) => url.searchParams.get('status') === 'deactivated');
    await see(tabs.getByRole('link', { name: 'Desativados (1)' }).and(page.locator('[aria-current="page"]')));
    await see(rowOf(page, NAME));
    expect(await rowOf(page, admin.name).count()).to.equal(0);
    await checkA11y(page);

    // A search from this tab searches this tab.
    await swapping(page, () => searchBox(page).fill('silva'));
    await page.waitForURL((url) => url.searchParams.get('q') === 'silva');
    expect(new URL(page.url()).searchParams.get('status')).to.equal('deactivated');
    await see(tabs.getByRole('link', { name: 'Desativados (1)' }).and(page.locator('[aria-current="page"]')));
    await see(rowOf(page, NAME));

    // Reactivate from the row menu.
    await (await rowMenu(page, NAME)).getByRole('button', { name: 'Reativar' }).click();
    await see(page.getByText('Usuário reativado.'));
    await see(tabs.getByRole('link', { name: 'Ativos (2)' }));
    await see(tabs.getByRole('link', { name: 'Desativados (0)' }));
    await see(rowOf(page, NAME));

    // Delete: the row menu's "Excluir" opens the confirmation in a dialog, on the list.
    const menu = await rowMenu(page, NAME);
    await swapping(page, () => menu.getByRole('link', { name: 'Excluir' }).click());
    const dialog = page.getByRole('dialog', { name: 'Excluir usuário' });
    await see(dialog.getByText('Tem certeza que deseja remover este usuário?'));
    expect(new URL(page.url()).pathname, 'the dialog opens on the list').to.equal(listUrl.pathname);
    await checkA11y(page);
    await dialog.getByRole('button', { name: 'Sim, remover' }).click();
    await see(page.getByText('Registro removido com sucesso!'));
    await see(rowOf(page, admin.name));
    expect(await rowOf(page, NAME).count()).to.equal(0);
    await see(page.getByText('1 de 99 licenças em uso', { exact: true }));
  });

  it('the delete dialog can be cancelled and keeps the contact', async function () {
    this.timeout(60_000);
    const { admin, accountId } = await createAccount(b.portal.db);
    const member = await addMember(b.portal.db, accountId, { name: 'Carlos Cancelado' });
    const page = await b.newPage();
    await logIn(page, admin.email, PASSWORD);
    await openContacts(page);

    const menu = await rowMenu(page, member.name);
    const excluir = menu.getByRole('link', { name: 'Excluir' });
    await swapping(page, () => excluir.click());
    const dialog = page.getByRole('dialog', { name: 'Excluir usuário' });
    await see(dialog.getByText('Tem certeza que deseja remover este usuário?'));
    await see(dialog.getByText(member.email));
    // It opens on the safe choice: Enter pressed by habit does not delete.
    const cancel = dialog.getByRole('link', { name: 'Cancelar' });
    expect(await cancel.evaluate((el) => el === document.activeElement), 'focus starts on "Cancelar"').to.equal(true);

    // Escape closes it; so does "Cancelar", after opening it again.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await swapping(page, () => excluir.click());
    await see(dialog.getByText('Tem certeza que deseja remover este usuário?'));
    await cancel.click();
    await dialog.waitFor({ state: 'hidden' });
    await see(rowOf(page, member.name));
    expect(new URL(page.url()).pathname).to.match(/\/contacts$/);
  });

  it('works without JavaScript: 422 with inline errors, plain search form, confirmation page', async function () {
    this.timeout(90_000);
    const { accountId, admin } = await createAccount(b.portal.db);
    const page = await b.newPage();
    await withoutPageScripts(page);
    await logIn(page, admin.email, PASSWORD);
    expect(await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx)).to.equal('undefined');
    await openContacts(page);

    await page.getByRole('link', { name: 'Adicionar usuário' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Adicionar usuário' }));
    await field(page, 'Nome').fill('Maria Sem Script');
    await field(page, 'CPF').fill('111.111.111-11');
    await field(page, 'DDD').fill('21');
    await field(page, 'Telefone').fill('3456-7890');
    await field(page, 'E-mail').fill('maria.sem.script@example.test');
    await field(page, 'Confirmação de e-mail').fill('maria.sem.script@example.test');

    // Submitted as a plain form: 422, the errors next to their fields, the values kept.
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/contacts'));
    await page.getByRole('button', { name: 'Salvar' }).click();
    expect((await refused).status()).to.equal(422);
    await see(page.getByRole('alert').getByText('Corrija os campos destacados.'));
    expect(await inlineErrorOf(field(page, 'CPF'))).to.equal('CPF inválido: confira os dígitos.');
    expect(await field(page, 'CPF').inputValue()).to.equal('111.111.111-11');
    expect(await field(page, 'Nome').inputValue()).to.equal('Maria Sem Script');
    expect(await field(page, 'DDD').inputValue()).to.equal('21');
    expect(await field(page, 'Confirmação de e-mail').inputValue()).to.equal('maria.sem.script@example.test');

    await field(page, 'CPF').fill('987.654.321-00');
    await page.getByRole('button', { name: 'Salvar' }).click();
    await see(page.getByRole('status').getByText('Convite enviado para Maria Sem Script (maria.sem.script@example.test).'));
    await activatePending(b.portal.db, accountId, (await b.portal.db('contacts').where({ account_id: accountId, email: 'maria.sem.script@example.test' }).first('id')).id);
    await page.locator('.page-header').getByRole('link', { name: 'Voltar para Usuários' }).click();

    // Search through the plain GET form.
    await see(page.getByRole('heading', { level: 1, name: 'Usuários do Sistema' }));
    await searchBox(page).fill('maria');
    await page.getByRole('search').getByRole('button', { name: 'Buscar' }).click();
    await page.waitForURL((url) => url.searchParams.get('q') === 'maria');
    await see(rowOf(page, 'Maria Sem Script'));
    expect(await rowOf(page, admin.name).count()).to.equal(0);
    expect(await searchBox(page).inputValue()).to.equal('maria');

    // Delete through the confirmation page (the same link HTMX would load into the dialog).
    await (await rowMenu(page, 'Maria Sem Script')).getByRole('link', { name: 'Excluir' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/delete'));
    await see(page.getByText('Tem certeza que deseja remover este usuário?'));
    await see(page.getByText('maria.sem.script@example.test'));
    await page.getByRole('button', { name: 'Sim, remover' }).click();
    await see(page.getByText('Registro removido com sucesso!'));
    expect(new URL(page.url()).pathname).to.match(/\/contacts$/);
    await see(rowOf(page, admin.name));
    expect(await rowOf(page, 'Maria Sem Script').count()).to.equal(0);
  });
});
