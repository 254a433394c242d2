import { expect } from 'chai';
import type { Locator, Page } from 'playwright-core';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { checkA11y, see, useBrowser, visit } from './support';

/**
 * "Permissões de acesso" in a real browser: a profile choice reloads the flags panel through HTMX
 * (read-only for a ready-made profile, editable for "Personalizado"); what is saved is what the
 * member then gets in their menu. And a group made on "Grupos de permissões".
 */

async function logIn(page: Page, email: string, password: string) {
  await visit(page, '/login');
  await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill(email);
  await page.getByRole('textbox', { name: 'Senha', exact: true }).fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await see(mainMenu(page));
}

const mainMenu = (page: Page) => page.getByRole('navigation', { name: 'Menu principal' });
const flag = (page: Page, name: string) => page.locator('#flags-panel').getByRole('checkbox', { name, exact: true });

/**
 * Resolves once the page's next HTMX swap has settled; the harness starts its accessibility check
 * of the swap from the same event, so the next action waits for that check.
 */
const nextSettle = (page: Page) =>
  page.evaluate(() => new Promise<void>((resolve) => document.addEventListener('htmx:afterSettle', () => resolve(), { once: true })));

/** Chooses a profile and waits for the flags panel HTMX loads for it. */
async function chooseProfile(page: Page, label: string) {
  const preview = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/permissions/preview'));
  const settled = nextSettle(page);
  await page.getByRole('combobox', { name: 'Perfil' }).selectOption({ label });
  expect((await preview).status()).to.equal(200);
  await settled;
}

async function expectFlag(box: Locator, state: { checked: boolean; enabled: boolean }) {
  await see(box);
  expect({ checked: await box.isChecked(), enabled: await box.isEnabled() }, await box.getAttribute('id') ?? '').to.deep.equal(state);
}

describe('browser: permissions', () => {
  const b = useBrowser();

  it('the profile select previews its flags read-only; "Personalizado" grants Cloud flags the member then sees', async function () {
    this.timeout(90_000);
    const { admin, accountId } = await createAccount(b.portal.db);
    const member = await addMember(b.portal.db, accountId, { profile: 'observer_download', name: 'Paula Permissões' });
    await b.portal.db('cloud_environments').insert({ account_id: accountId, name: 'Produção', product: 'Protheus', region: 'São Paulo', state: 'running' });
    const page = await b.newPage();
    await logIn(page, admin.email, PASSWORD);

    // From the list, the member's row menu: "Permissões de acesso".
    await mainMenu(page).getByRole('link', { name: 'Usuários do Sistema' }).click();
    const row = page.getByRole('table', { name: 'Usuários da empresa' }).getByRole('row').filter({ hasText: member.name });
    await row.locator('summary', { hasText: 'Ações' }).click();
    await row.getByRole('link', { name: 'Permissões de acesso' }).click();
    await see(page.getByRole('heading', { level: 1, name: `Permissões de Acesso: ${member.name}` }));
    const editorUrl = page.url();

    // The current profile's flags, read-only.
    expect(await page.getByRole('combobox', { name: 'Perfil' }).inputValue()).to.equal('observer_download');
    await expectFlag(flag(page, 'Baixar documentos'), { checked: true, enabled: false });
    await expectFlag(flag(page, 'Centro de Controle Cloud'), { checked: false, enabled: false });

    // Another ready-made profile: HTMX swaps in its flags, still checked-and-disabled.
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    await chooseProfile(page, 'Observador (não pode baixar documentos)');
    await expectFlag(flag(page, 'Baixar documentos'), { checked: false, enabled: false });
    await expectFlag(flag(page, 'Portal de Clientes Autoatendimento'), { checked: true, enabled: false });
    await expectFlag(flag(page, 'Restringir acesso aos chamados'), { checked: true, enabled: false });
    await expectFlag(flag(page, 'Centro de Controle Cloud'), { checked: false, enabled: false });
    await expectFlag(flag(page, 'Administradores de TI'), { checked: false, enabled: false });
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), 'the preview must not reload the page').to.equal(true);
    expect(page.url()).to.equal(editorUrl);
    await checkA11y(page);

    // "Personalizado": the member's current flags, now editable.
    await chooseProfile(page, 'Personalizado');
    await expectFlag(flag(page, 'Baixar documentos'), { checked: true, enabled: true });
    await expectFlag(flag(page, 'Centro de Controle Cloud'), { checked: false, enabled: true });
    await expectFlag(flag(page, 'Administradores de TI'), { checked: false, enabled: true });
    await checkA11y(page);

    await flag(page, 'Centro de Controle Cloud').check();
    await flag(page, 'Administradores de TI').check();
    await page.getByRole('button', { name: 'Salvar alterações' }).click();
    await see(page.getByRole('status').getByText('Registro salvo com sucesso!'));
    expect(await page.getByRole('combobox', { name: 'Perfil' }).inputValue()).to.equal('custom');
    await expectFlag(flag(page, 'Centro de Controle Cloud'), { checked: true, enabled: true });
    await expectFlag(flag(page, 'Administradores de TI'), { checked: true, enabled: true });
    await expectFlag(flag(page, 'Baixar documentos'), { checked: true, enabled: true });

    // The member, in a browser of their own, now has the Cloud control center and its IT action.
    const memberPage = await b.newPage();
    await logIn(memberPage, member.email, PASSWORD);
    await see(memberPage.getByRole('heading', { level: 1, name: `Bem-vindo(a), ${member.name}` }));
    await mainMenu(memberPage).getByRole('link', { name: 'Centro de Controle Cloud' }).click();
    await see(memberPage.getByRole('heading', { level: 1, name: 'Centro de Controle Cloud' }));
    expect(await mainMenu(memberPage).getByRole('link', { name: 'Usuários do Sistema' }).count()).to.equal(0);
    // "Reiniciar" + a visually hidden ": Produção" (browsers put a space between the two).
    await memberPage.getByRole('button', { name: /^Reiniciar\s*: Produção$/ }).click();
    await see(memberPage.getByRole('status').getByText('Reinício solicitado para o ambiente Produção.'));
    await see(memberPage.getByRole('cell', { name: 'Reiniciando' }));
  });

  it('creates a group on "Grupos de permissões"', async function () {
    this.timeout(60_000);
    const { admin } = await createAccount(b.portal.db);
    const page = await b.newPage();
    await logIn(page, admin.email, PASSWORD);

    await mainMenu(page).getByRole('link', { name: 'Grupos de permissões' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Grupos de permissões' }));
    await see(page.getByText('Nenhum grupo cadastrado.'));
    await page.getByRole('link', { name: 'Novo grupo' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Novo grupo' }));

    await page.getByRole('textbox', { name: 'Nome', exact: true }).fill('Equipe de TI');
    await page.getByRole('textbox', { name: 'Descrição', exact: true }).fill('Cuida dos ambientes cloud');
    await flag(page, 'Centro de Controle Cloud').check();
    await flag(page, 'Administradores de TI').check();
    await page.getByRole('button', { name: 'Salvar' }).click();

    await see(page.getByRole('status').getByText('Registro salvo com sucesso!'));
    await see(page.getByRole('heading', { level: 1, name: 'Editar grupo' }));
    expect(await page.getByRole('textbox', { name: 'Nome', exact: true }).inputValue()).to.equal('Equipe de TI');
    expect(await flag(page, 'Centro de Controle Cloud').isChecked()).to.equal(true);

    await page.getByRole('link', { name: 'Voltar para Grupos' }).click();
    const row = page.getByRole('table', { name: 'Grupos de permissões' }).getByRole('row').filter({ hasText: 'Equipe de TI' });
    await see(row.getByRole('link', { name: 'Equipe de TI' }));
    await see(row.getByText('Centro de Controle Cloud, Administradores de TI'));
    await see(row.getByRole('cell', { name: '0', exact: true }));
  });
});
