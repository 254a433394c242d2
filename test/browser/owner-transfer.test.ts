import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, createAccount } from '../support/fixtures';
import { checkA11y, see, useBrowser, visit, logIn } from './support';

/**
 * "Transferir administração" in a real browser: the primary administrator hands the company to
 * another active user, chooses to become Membro, and on the next page the menu has lost the
 * owner's and the administrators' entries.
 */


const menuEntries = (page: Page) => page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link').allInnerTexts();

describe('browser: owner transfer', () => {
  const b = useBrowser();

  it('hands the administration over and the former owner\'s menu changes on the next page', async function () {
    this.timeout(60_000);
    const { admin, accountId } = await createAccount(b.portal.db);
    const receiver = await addMember(b.portal.db, accountId, { name: 'Rita Recebedora' });
    const page = await b.newPage();
    await logIn(page, admin.email);
    await visit(page, `/accounts/${accountId}`);
    expect(await menuEntries(page)).to.include.members(['Transferir administração', 'Usuários do Sistema']);

    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Transferir administração' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Transferir administração' }));
    await see(page.getByText('Você tem certeza que deseja transferir a administração para este usuário?'));
    await page.getByRole('combobox', { name: 'Novo administrador principal' }).selectOption({ label: `Rita Recebedora · ${receiver.email}` });
    await page.getByRole('radio', { name: 'Passar a Membro' }).check();
    await checkA11y(page);
    await page.getByRole('button', { name: 'Transferir' }).click();

    await see(page.getByText('A administração foi transferida para Rita Recebedora, agora administrador(a) principal.'));
    const after = await menuEntries(page);
    expect(after).to.not.include('Transferir administração');
    expect(after).to.not.include('Usuários do Sistema');
  });
});
