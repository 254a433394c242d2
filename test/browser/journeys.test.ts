import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { distinctCpf } from '../integration/helpers/contacts';
import { storedGrants } from '../integration/helpers/permissions';
import { insertTicket } from '../integration/helpers/support';
import { ageSessions } from '../integration/helpers/security';
import { checkA11y, see, useBrowser, visit, logIn, screenshotsIn } from './support';

/**
 * What a customer administrator meets at key moments (#24): the deactivation asked in a dialog
 * like the deletion, the add form that keeps what was typed while the country changes, the list
 * sorted as people read names, the access chosen before an invitation goes, and the messages that
 * say what happened.
 */

const shoot = screenshotsIn('journeys');


const nextSettle = (page: Page) =>
  page.evaluate(() => new Promise<void>((resolve) => document.addEventListener('htmx:afterSettle', () => resolve(), { once: true })));

async function swapping(page: Page, action: () => Promise<unknown>) {
  const settled = nextSettle(page);
  await action();
  await settled;
}

describe('browser: journeys of a customer administrator', () => {
  const b = useBrowser();

  it('"Desativar" asks in a dialog like "Excluir", with no error before a choice', async () => {
    const { accountId, admin } = await createAccount(b.portal.db);
    const maria = await addMember(b.portal.db, accountId, { name: 'Maria Chamados' });
    await addMember(b.portal.db, accountId, { name: 'Bruno Recebe' });
    await insertTicket(b.portal.db, accountId, maria.contactId, 'Impressora parada');
    const page = await b.newPage();
    await logIn(page, admin.email);
    await visit(page, `/accounts/${accountId}/contacts/${maria.contactId}`);

    await swapping(page, () => page.getByRole('main').getByRole('link', { name: 'Desativar' }).click());
    const dialog = page.getByRole('dialog', { name: 'Desativar usuário' });
    await see(dialog.getByText('Tem certeza que deseja desativar este usuário?'));
    expect(await page.getByText('Escolha uma das opções para continuar.').count()).to.equal(0);
    await checkA11y(page);
    await shoot(page, 'deactivate-dialog');

    // Confirmed without a choice: the browser asks for it (the select is required), nothing is sent.
    const receiver = dialog.getByRole('combobox', { name: 'Quem recebe os chamados abertos' });
    await dialog.getByRole('button', { name: 'Sim, desativar' }).click();
    expect(await receiver.evaluate((el) => (el as HTMLSelectElement).validity.valueMissing)).to.equal(true);
    await see(dialog);
    await receiver.selectOption({ label: 'Bruno Recebe' });
    await dialog.getByRole('button', { name: 'Sim, desativar' }).click();
    await see(page.getByText('Usuário desativado.'));
  });

  it('"Desativar" in a row\'s "Ações" menu on the list opens the same dialog', async () => {
    const { accountId, admin } = await createAccount(b.portal.db);
    await addMember(b.portal.db, accountId, { name: 'Rita Linha' });
    const page = await b.newPage();
    await logIn(page, admin.email);
    await visit(page, `/accounts/${accountId}/contacts`);
    const row = page.getByRole('row', { name: /Rita Linha/ });
    await row.locator('summary').click();
    await swapping(page, () => row.getByRole('link', { name: 'Desativar' }).click());
    const dialog = page.getByRole('dialog', { name: 'Desativar usuário' });
    await see(dialog.getByText('Tem certeza que deseja desativar este usuário?'));
    expect(await page.getByText('Escolha uma das opções para continuar.').count()).to.equal(0);
    await checkA11y(page);
    await dialog.getByRole('button', { name: 'Sim, desativar' }).click();
    await see(page.getByText('Usuário desativado.'));
  });

  it('says what happened at key moments: a deactivated address, a wrong password, the delete title, the new primary administrator', async function () {
    this.timeout(60_000);
    const { accountId, admin } = await createAccount(b.portal.db);
    const rita = await addMember(b.portal.db, accountId, { name: 'Rita Recebedora' });
    const gone = await addMember(b.portal.db, accountId, { name: 'Davi Desativado', status: 'deactivated' });
    const page = await b.newPage();
    await logIn(page, admin.email);

    // Inviting a deactivated contact says so, and offers "Reativar" right there.
    await visit(page, `/accounts/${accountId}/invitations`);
    await page.getByRole('textbox', { name: 'E-mails' }).fill(gone.email);
    await page.getByRole('button', { name: 'Convidar', exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: gone.email });
    await see(row.getByText('Desativado nesta empresa'));
    await shoot(page, 'invite-deactivated');
    await row.getByRole('button', { name: 'Reativar' }).click();
    await see(page.getByText('Usuário reativado.'));

    // Deleting is about the user ("perfil" is the role elsewhere).
    await visit(page, `/accounts/${accountId}/contacts/${rita.contactId}`);
    await swapping(page, () => page.getByRole('main').getByRole('link', { name: 'Excluir' }).click());
    await see(page.getByRole('dialog', { name: 'Excluir usuário' }));
    await page.getByRole('dialog').getByRole('link', { name: 'Cancelar' }).click();

    // The step-up asks for the sign-in password: a wrong one is "Senha incorreta.", not "Senha atual…".
    await ageSessions(b.portal.db, admin.userId, 16);
    await visit(page, `/accounts/${accountId}/owner`);
    await page.getByRole('combobox', { name: 'Novo administrador principal' }).selectOption({ label: `Rita Recebedora · ${rita.email}` });
    await page.getByRole('button', { name: 'Transferir' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Confirme que é você' }));
    await page.getByRole('textbox', { name: 'Sua senha' }).fill('not the password');
    await page.getByRole('button', { name: 'Confirmar com a senha' }).click();
    await see(page.getByText('Senha incorreta.', { exact: true }));
    expect(await page.getByText('Senha atual incorreta.').count()).to.equal(0);
    await shoot(page, 'step-up-wrong-password');
    await page.getByRole('textbox', { name: 'Sua senha' }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirmar com a senha' }).click();

    // The transfer ends naming the new primary administrator.
    await see(page.getByText('A administração foi transferida para Rita Recebedora, agora administrador(a) principal.'));
    await checkA11y(page);
    await shoot(page, 'owner-transferred');
  });

  it('changing "País" on "Adicionar usuário" keeps everything typed, even with a slow answer', async function () {
    this.timeout(60_000);
    const { accountId, admin } = await createAccount(b.portal.db);
    const page = await b.newPage();
    await logIn(page, admin.email);
    await visit(page, `/accounts/${accountId}/contacts/new`);
    // CPF is required: its label says so like the others.
    const cpf = page.getByRole('textbox', { name: 'CPF', exact: true });
    expect(await cpf.getAttribute('aria-required')).to.equal('true');
    expect(await page.locator('label[for="f-document"]').innerText()).to.equal('CPF *');

    // The country's answer takes 1.5 s; the person goes on typing meanwhile.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/contacts/form', async (route) => {
      await held;
      await route.continue();
    });
    // Generous: on a loaded machine the typing alone may take seconds.
    const answered = page.waitForResponse((r) => r.url().endsWith('/contacts/form'), { timeout: 40_000 });
    await page.getByRole('combobox', { name: 'País' }).selectOption({ label: 'Portugal' });
    await page.getByRole('textbox', { name: 'Nome', exact: true }).fill('Maria Lenta');
    await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill('maria.lenta@exemplo.pt');
    await page.locator('#f-document').fill('AB123456');
    await page.locator('#f-areaCode').fill('21');
    setTimeout(release, 1500);
    await answered;
    // Only what depends on the country changed: the document now asks its type.
    await see(page.getByRole('combobox', { name: 'Tipo de documento' }));
    await see(page.getByRole('textbox', { name: 'Número do documento' }));
    expect(await page.getByRole('textbox', { name: 'Nome', exact: true }).inputValue()).to.equal('Maria Lenta');
    expect(await page.getByRole('textbox', { name: 'E-mail', exact: true }).inputValue()).to.equal('maria.lenta@exemplo.pt');
    expect(await page.getByRole('textbox', { name: 'Número do documento' }).inputValue()).to.equal('AB123456');
    expect(await page.getByRole('textbox', { name: 'Código de área' }).inputValue()).to.equal('21');
    expect(await page.getByText('Campo obrigatório.').count()).to.equal(0);
    await checkA11y(page);
    await shoot(page, 'add-country-changed');
  });

  it('"Adicionar usuário" chooses the access before the invitation goes; the end page names the person and leads to "Pendentes"', async function () {
    this.timeout(60_000);
    const { accountId, admin } = await createAccount(b.portal.db);
    const page = await b.newPage();
    await logIn(page, admin.email);
    await visit(page, `/accounts/${accountId}/contacts/new`);
    await see(page.getByText('Uma pessoa, com os dados preenchidos por você e o acesso escolhido: ela só cria a senha.'));

    await page.getByRole('textbox', { name: 'Nome', exact: true }).fill('Paula Pendente');
    await page.getByRole('textbox', { name: 'CPF', exact: true }).fill(distinctCpf());
    await page.getByRole('textbox', { name: 'DDD', exact: true }).fill('11');
    await page.getByRole('textbox', { name: 'Telefone', exact: true }).fill('98765-4321');
    await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill('paula.pendente@exemplo.com.br');
    await page.getByRole('textbox', { name: 'Confirmação de e-mail', exact: true }).fill('paula.pendente@exemplo.com.br');
    // "Personalizado" makes the flags editable; the administrator ticks two.
    await swapping(page, () => page.getByRole('combobox', { name: 'Perfil' }).selectOption({ label: 'Personalizado' }));
    await page.getByRole('checkbox', { name: 'Ver trilha de auditoria' }).check();
    await page.getByRole('checkbox', { name: 'Centro de Controle Cloud' }).check();
    await checkA11y(page);
    await shoot(page, 'add-with-access');
    await page.getByRole('button', { name: 'Salvar' }).click();

    await see(page.getByText('Convite enviado para Paula Pendente (paula.pendente@exemplo.com.br).'));
    await shoot(page, 'add-done');
    const contact = await b.portal.db('contacts').where({ account_id: accountId, email: 'paula.pendente@exemplo.com.br' }).first();
    expect(contact).to.include({ status: 'pending', profile: 'custom' });
    expect(await storedGrants(b.portal.db, contact.id)).to.deep.equal(['audit.view', 'cloud.control-center']);
    await page.getByRole('link', { name: 'Ver pendentes' }).click();
    await page.waitForURL((url) => url.searchParams.get('status') === 'pending');
    await see(page.getByRole('table').getByText('Paula Pendente'));
  });

  it('support: a ticket opened says its company number; the list fits a phone', async function () {
    this.timeout(60_000);
    const { accountId, admin } = await createAccount(b.portal.db);
    // Another company's tickets do not move this company's numbers.
    const other = await createAccount(b.portal.db);
    for (const subject of ['Outra 1', 'Outra 2']) await insertTicket(b.portal.db, other.accountId, other.admin.contactId, subject);
    await insertTicket(b.portal.db, accountId, admin.contactId, 'Relatório de estoque muito lento desde a última atualização do sistema');
    const page = await b.newPage();
    await logIn(page, admin.email);
    await visit(page, `/accounts/${accountId}/p/support`);
    await page.getByRole('main').getByRole('link', { name: 'Abrir chamado' }).click();
    await page.getByRole('textbox', { name: 'Assunto' }).fill('Impressora fiscal parada');
    await page.getByRole('textbox', { name: 'Descrição' }).fill('Não imprime o cupom desde ontem.');
    await page.getByRole('button', { name: 'Abrir chamado' }).click();
    await see(page.getByRole('heading', { level: 1, name: '#2 Impressora fiscal parada' }));
    await see(page.getByRole('status').getByText('Chamado #2 aberto. Acompanhe as respostas por esta página.'));
    await checkA11y(page);
    await shoot(page, 'support-opened');

    await page.getByRole('main').getByRole('link', { name: 'Voltar aos chamados' }).click();
    await see(page.getByRole('table').getByText('Impressora fiscal parada'));
    await shoot(page, 'support-list');
    await page.setViewportSize({ width: 390, height: 844 });
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(sideways, 'the ticket list scrolls sideways on a phone').to.be.at.most(0);
  });

  it('the list sorts names as people read them: accents and case ignored', async function () {
    this.timeout(60_000);
    const { accountId, admin } = await createAccount(b.portal.db);
    for (const name of ['Vinícius Souza', 'Álvaro Dias', 'beatriz lima', 'Bruno Alves', 'Érica Prado', 'eduardo costa']) await addMember(b.portal.db, accountId, { name });
    const page = await b.newPage();
    await logIn(page, admin.email);
    await visit(page, `/accounts/${accountId}/contacts`);
    const table = page.getByRole('table', { name: 'Usuários da empresa' });
    await see(table);
    const names = (await table.locator('tbody tr td:first-child a').allInnerTexts()).map((n) => n.trim());
    expect(names).to.deep.equal(['Álvaro Dias', 'Ana Administradora', 'beatriz lima', 'Bruno Alves', 'eduardo costa', 'Érica Prado', 'Vinícius Souza']);
    await shoot(page, 'list-sorted');
  });
});
