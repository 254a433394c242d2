import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { ageSessions } from '../integration/helpers/security';
import { checkA11y, see, useBrowser, visit } from './support';

/**
 * Step-up by QR code in real browsers: an administrator whose login is older than 15 minutes saves
 * a contact's permissions, is asked to confirm, opens the QR code's link in a second browser where
 * the same administrator is signed in, approves there, and the first page moves on by itself,
 * posting the form as it was typed.
 */

async function logIn(page: Page, email: string) {
  await visit(page, '/login');
  await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill(email);
  await page.getByRole('textbox', { name: 'Senha', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await see(page.getByRole('navigation', { name: 'Menu principal' }));
}

describe('browser: step-up', () => {
  const b = useBrowser();

  it('approving on a second signed-in browser completes the waiting form on the first', async function () {
    this.timeout(90_000);
    const { admin, accountId } = await createAccount(b.portal.db);
    const member = await addMember(b.portal.db, accountId, { profile: 'member', name: 'Sérgio Sensível' });
    const desk = await b.newPage();
    await logIn(desk, admin.email);
    await ageSessions(b.portal.db, admin.userId, 16);

    await visit(desk, `/accounts/${accountId}/contacts/${member.contactId}/permissions`);
    // The profile choice swaps in its flags (HTMX); wait for it as the user would, then save.
    const settled = desk.evaluate(() => new Promise<void>((resolve) => document.addEventListener('htmx:afterSettle', () => resolve(), { once: true })));
    await desk.getByRole('combobox', { name: 'Perfil' }).selectOption({ label: 'Observador (não pode baixar documentos)' });
    await settled;
    await checkA11y(desk);
    await desk.getByRole('button', { name: 'Salvar alterações' }).click();
    await see(desk.getByRole('heading', { level: 1, name: 'Confirme que é você' }));
    await see(desk.getByRole('img', { name: 'QR Code para aprovar no celular' }));
    await see(desk.getByText('Aguardando a aprovação no celular…'));
    const approveUrl = await desk.locator('#step-up-approve-link').getAttribute('href');
    expect(approveUrl).to.match(/\/step-up\/approve\/[A-Za-z0-9_-]{43}$/);

    const phone = await b.newPage();
    await logIn(phone, admin.email);
    await visit(phone, new URL(approveUrl!).pathname);
    await phone.getByRole('button', { name: 'Aprovar' }).click();
    await see(phone.getByText('Aprovado! Volte à outra tela: ela seguirá sozinha.'));

    // Nobody touches the first browser: its polling sees the approval and the kept form is posted.
    await see(desk.getByRole('status').getByText('Registro salvo com sucesso!'));
    expect(new URL(desk.url()).pathname).to.equal(`/accounts/${accountId}/contacts/${member.contactId}/permissions`);
    expect(await desk.getByRole('combobox', { name: 'Perfil' }).inputValue()).to.equal('observer');
    expect((await b.portal.db('contacts').where({ id: member.contactId }).first('profile')).profile).to.equal('observer');
  });
});
