import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { insertTicket } from '../integration/helpers/support';
import { checkA11y, see, useBrowser, visit } from './support';

/**
 * "Transferir chamados" in a real browser: the administrator unticks one of Maria's three open
 * tickets, transfers the other two to Bruno, reads the count, and Bruno finds them on his list.
 */

async function logIn(page: Page, email: string) {
  await visit(page, '/login');
  await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill(email);
  await page.getByRole('textbox', { name: 'Senha', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await see(mainMenu(page));
}

const mainMenu = (page: Page) => page.getByRole('navigation', { name: 'Menu principal' });

describe('browser: support tickets', () => {
  const b = useBrowser();

  it('transfers two of three tickets; the receiver sees them on his list and opens one of his own', async function () {
    this.timeout(90_000);
    const { admin, accountId } = await createAccount(b.portal.db);
    const maria = await addMember(b.portal.db, accountId, { name: 'Maria Saindo' });
    const bruno = await addMember(b.portal.db, accountId, { name: 'Bruno Recebe' });
    for (const subject of ['Nota fiscal rejeitada', 'Relatório lento', 'Acesso ao módulo de compras']) {
      await insertTicket(b.portal.db, accountId, maria.contactId, subject);
    }

    const page = await b.newPage();
    await logIn(page, admin.email);
    await mainMenu(page).getByRole('link', { name: 'Transferir chamados' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Transferir chamados' }));
    await page.getByRole('combobox', { name: 'Contato cujos chamados serão transferidos' }).selectOption({ label: 'Maria Saindo' });
    await page.getByRole('button', { name: 'Ver chamados abertos' }).click();
    const relatorio = page.getByRole('checkbox', { name: /Relatório lento/ });
    await see(relatorio);
    expect(await relatorio.isChecked()).to.equal(true);
    await relatorio.uncheck();
    await page.getByRole('combobox', { name: 'Nome do contato' }).selectOption({ label: 'Bruno Recebe' });
    await checkA11y(page);
    await page.getByRole('button', { name: 'Transferir', exact: true }).click();
    await see(page.getByRole('status').filter({ hasText: 'Chamados transferidos com sucesso! 2 chamados agora são de Bruno Recebe.' }));
    // What was left stays on offer for another transfer.
    await see(page.getByRole('checkbox', { name: /Relatório lento/ }));

    const receiver = await b.newPage();
    await logIn(receiver, bruno.email);
    await mainMenu(receiver).getByRole('link', { name: 'Chamados', exact: true }).click();
    const table = receiver.getByRole('table', { name: 'Chamados' });
    await see(table.getByRole('link', { name: 'Nota fiscal rejeitada' }));
    await see(table.getByRole('link', { name: 'Acesso ao módulo de compras' }));
    await table.getByRole('link', { name: 'Nota fiscal rejeitada' }).click();
    await see(receiver.getByText('Ana Administradora transferiu de Maria Saindo para Bruno Recebe.'));

    // And opens one of his own.
    await receiver.getByRole('link', { name: 'Voltar aos chamados' }).click();
    await receiver.getByRole('link', { name: 'Abrir chamado' }).click();
    await receiver.getByRole('textbox', { name: 'Assunto' }).fill('Impressora fiscal parada');
    await receiver.getByRole('textbox', { name: 'Descrição' }).fill('Não imprime o cupom desde ontem.');
    await receiver.getByRole('combobox', { name: 'Prioridade' }).selectOption({ label: 'Alta' });
    // With a photo of the error: a plain form post, the CSRF token in its action.
    await receiver.getByLabel('Anexos (opcional)').setInputFiles({ name: 'erro impressão.png', mimeType: 'image/png', buffer: Buffer.from('89504e470d0a1a0a', 'hex') });
    await receiver.getByRole('button', { name: 'Abrir chamado' }).click();
    await see(receiver.getByRole('heading', { level: 1, name: /Impressora fiscal parada/ }));
    await see(receiver.getByText('Aberto por Bruno Recebe.'));
    const download = receiver.waitForEvent('download');
    await receiver.getByRole('link', { name: 'erro impressão.png' }).click();
    expect((await download).suggestedFilename()).to.equal('erro impressão.png');
  });

  it('refuses a BPO ticket to a receiver without "Acesso completo a chamados BPO", naming why, and moves nothing', async function () {
    this.timeout(90_000);
    const { admin, accountId } = await createAccount(b.portal.db);
    const maria = await addMember(b.portal.db, accountId, { name: 'Maria Saindo' });
    await addMember(b.portal.db, accountId, { name: 'Bruno Recebe' });
    const bpo = await insertTicket(b.portal.db, accountId, maria.contactId, 'Folha terceirizada', { bpo: true });

    const page = await b.newPage();
    await logIn(page, admin.email);
    await mainMenu(page).getByRole('link', { name: 'Transferir chamados' }).click();
    await page.getByRole('combobox', { name: 'Contato cujos chamados serão transferidos' }).selectOption({ label: 'Maria Saindo' });
    await page.getByRole('button', { name: 'Ver chamados abertos' }).click();
    await page.getByRole('combobox', { name: 'Nome do contato' }).selectOption({ label: 'Bruno Recebe' });
    await page.getByRole('button', { name: 'Transferir', exact: true }).click();
    const bpoNumber = (await b.portal.db('support_tickets').where({ id: bpo }).first('number')).number;
    await see(page.getByRole('alert').filter({
      hasText: `Bruno Recebe não tem "Acesso completo a chamados BPO" e não veria estes chamados BPO: #${bpoNumber} Folha terceirizada.`,
    }));
    // The ticket is still on offer, ticked as it was, for another receiver.
    expect(await page.getByRole('checkbox', { name: /Folha terceirizada/ }).isChecked()).to.equal(true);
    await checkA11y(page);
    const shots = path.join(os.tmpdir(), 'portal-screenshots');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'support-transfer-refused-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(shots, 'support-transfer-refused-390.png'), fullPage: true });
  });
});
