import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { createAccount, PASSWORD, uniqueEmail } from '../support/fixtures';
import { sharedSmtp, to } from '../support/mail';
import { checkA11y, see, useBrowser, visit } from './support';

/**
 * From "Convidar usuários" to the new person's first page: the links are the ones the real SMTP
 * listener received, followed in a second browser context (the invited person's).
 */
const field = (page: Page, name: string) => page.getByRole('textbox', { name, exact: true });

async function logIn(page: Page, email: string, password: string) {
  await field(page, 'E-mail').fill(email);
  await page.locator('#f-password').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
}

describe('browser: invitations', () => {
  const b = useBrowser();

  /** Delivers the outbox and answers the path of the newest link under `prefix` mailed to `email`. */
  async function mailedPath(email: string, prefix: RegExp): Promise<string> {
    await b.portal.deliverMail();
    const smtp = await sharedSmtp();
    await smtp.waitFor((m) => to(email)(m) && prefix.test(m.text ?? ''));
    const mails = smtp.messages.filter((m) => to(email)(m) && prefix.test(m.text ?? ''));
    return new URL(prefix.exec(mails[mails.length - 1]!.text!)![0]).pathname;
  }

  it('an administrator invites; the person follows the e-mailed links, registers, confirms and reaches the company', async function () {
    this.timeout(120_000);
    const { accountId, admin } = await createAccount(b.portal.db, { name: 'Empresa Convidante' });
    const email = uniqueEmail('convidada');

    const adminPage = await b.newPage();
    await visit(adminPage, '/login');
    await logIn(adminPage, admin.email, PASSWORD);
    await see(adminPage.getByRole('navigation', { name: 'Menu principal' }));
    await adminPage.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Usuários do Sistema' }).click();
    await adminPage.getByRole('link', { name: 'Convidar usuários' }).first().click();
    await see(adminPage.getByRole('heading', { level: 1, name: 'Convidar usuários' }));
    await adminPage.getByLabel('E-mails').fill(`${email}; nao-e-email`);
    await adminPage.getByRole('button', { name: 'Convidar' }).click();
    const results = adminPage.locator('#invitation-results');
    await see(results.getByRole('row').filter({ hasText: email }).getByText('Convidado'));
    await see(results.getByRole('row').filter({ hasText: 'nao-e-email' }).getByText('E-mail inválido'));
    await checkA11y(adminPage);

    const invitationPath = await mailedPath(email, /https?:\/\/\S+\/invitations\/[A-Za-z0-9_-]{43}/);
    const person = await b.newPage();
    await visit(person, invitationPath);
    await see(person.getByRole('heading', { level: 1, name: 'Aceitar convite' }));
    await see(person.getByText('Empresa Convidante'));
    await field(person, 'Nome').fill('Clara Convidada');
    await field(person, 'CPF').fill('123.456.780-62');
    await field(person, 'DDD').fill('11');
    await field(person, 'Telefone').fill('98765-4321');
    await person.locator('#f-password').fill('password123');
    await person.locator('#f-passwordConfirmation').fill('password123');
    await person.getByRole('button', { name: 'Aceitar convite' }).click();
    await see(person.getByText('Esta senha é muito comum ou fácil de adivinhar. Escolha outra.'));
    await person.locator('#f-password').fill('girassol na janela azul');
    await person.locator('#f-passwordConfirmation').fill('girassol na janela azul');
    await person.getByRole('button', { name: 'Aceitar convite' }).click();
    await see(person.getByRole('heading', { level: 1, name: 'Confirme seu e-mail' }));

    const confirmPath = await mailedPath(email, /https?:\/\/\S+\/invitations\/confirm\/[A-Za-z0-9_-]{43}/);
    await visit(person, confirmPath);
    await person.getByRole('button', { name: 'Confirmar e-mail' }).click();
    await see(person.getByRole('heading', { level: 1, name: 'E-mail confirmado! Seu acesso está ativo.' }));
    await person.getByRole('link', { name: 'Entrar no portal' }).click();
    await logIn(person, email, 'girassol na janela azul');
    await see(person.getByRole('heading', { level: 1, name: 'Bem-vindo(a), Clara Convidada' }));
    expect(new URL(person.url()).pathname).to.equal(`/accounts/${accountId}`);
    await checkA11y(person);
  });
});
