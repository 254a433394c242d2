import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { readQrDataUrl } from '../support/qr';
import { ageSessions, clearOfStepEdge, codeAt, enableTotp } from '../integration/helpers/security';
import { checkA11y, see, useBrowser, visit, screenshotsIn } from './support';

/**
 * Step-up in real browsers: an administrator whose login is older than 15 minutes makes a member an
 * observer, is asked to confirm, and confirms by password, by the authenticator code, or by
 * approving on a second browser signed in with a second factor (the QR code read from the image, as
 * a phone does); the first page then moves on by itself, posting the form as it was typed.
 */

const shoot = screenshotsIn('step-up');

async function logIn(page: Page, email: string, totpSecret?: string, step = 0) {
  await visit(page, '/login');
  await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill(email);
  await page.getByRole('textbox', { name: 'Senha', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Entrar' }).click();
  if (totpSecret) {
    await see(page.getByRole('heading', { level: 1, name: 'Verificação em duas etapas' }));
    await clearOfStepEdge();
    await page.getByRole('textbox', { name: 'Código de 6 dígitos ou código de recuperação' }).fill(await codeAt(totpSecret, step));
    await page.getByRole('button', { name: 'Verificar' }).click();
  }
  await see(page.getByRole('navigation', { name: 'Menu principal' }));
}

describe('browser: step-up', () => {
  const b = useBrowser();

  /** Saves "Observador" on the member's permissions and lands on the confirmation page. */
  async function askToSave(desk: Page, accountId: number, contactId: number) {
    await visit(desk, `/accounts/${accountId}/contacts/${contactId}/permissions`);
    // The profile choice swaps in its flags (HTMX); wait for it as the user would, then save.
    const settled = desk.evaluate(() => new Promise<void>((resolve) => document.addEventListener('htmx:afterSettle', () => resolve(), { once: true })));
    await desk.getByRole('combobox', { name: 'Perfil' }).selectOption({ label: 'Observador (não pode baixar documentos)' });
    await settled;
    await checkA11y(desk);
    await desk.getByRole('button', { name: 'Salvar alterações' }).click();
    await see(desk.getByRole('heading', { level: 1, name: 'Confirme que é você' }));
  }

  async function expectSaved(desk: Page, accountId: number, contactId: number) {
    await see(desk.getByRole('status').getByText('Registro salvo com sucesso!'));
    expect(new URL(desk.url()).pathname).to.equal(`/accounts/${accountId}/contacts/${contactId}/permissions`);
    expect(await desk.getByRole('combobox', { name: 'Perfil' }).inputValue()).to.equal('observer');
    expect((await b.portal.db('contacts').where({ id: contactId }).first('profile')).profile).to.equal('observer');
  }

  it('confirming with the password posts the waiting form', async function () {
    this.timeout(60_000);
    const { admin, accountId } = await createAccount(b.portal.db);
    const member = await addMember(b.portal.db, accountId, { name: 'Paula Senha' });
    const desk = await b.newPage();
    await logIn(desk, admin.email);
    await ageSessions(b.portal.db, admin.userId, 16);
    await askToSave(desk, accountId, member.contactId);
    await desk.getByRole('textbox', { name: 'Sua senha' }).fill(PASSWORD);
    await desk.getByRole('button', { name: 'Confirmar com a senha' }).click();
    await expectSaved(desk, accountId, member.contactId);
  });

  it('confirming with the authenticator code posts the waiting form', async function () {
    this.timeout(60_000);
    const { admin, accountId } = await createAccount(b.portal.db);
    const secret = await enableTotp(b.portal, admin.userId);
    const member = await addMember(b.portal.db, accountId, { name: 'Tiago Código' });
    const desk = await b.newPage();
    await logIn(desk, admin.email, secret, 0);
    await ageSessions(b.portal.db, admin.userId, 16);
    await askToSave(desk, accountId, member.contactId);
    await clearOfStepEdge();
    await desk.getByRole('textbox', { name: 'Código de 6 dígitos ou código de recuperação' }).fill(await codeAt(secret, 1));
    await desk.getByRole('button', { name: 'Confirmar com o código' }).click();
    await expectSaved(desk, accountId, member.contactId);
  });

  it('the QR code is approved on a second browser signed in with the authenticator code, never on the asking browser nor a password-only one', async function () {
    this.timeout(90_000);
    const { admin, accountId } = await createAccount(b.portal.db, { name: 'Construtora Horizonte Ltda' });
    const member = await addMember(b.portal.db, accountId, { profile: 'member', name: 'Sérgio Sensível' });
    const desk = await b.newPage();
    await logIn(desk, admin.email);
    const passwordOnly = await b.newPage({ viewport: { width: 390, height: 844 } });
    await logIn(passwordOnly, admin.email);
    const secret = await enableTotp(b.portal, admin.userId);
    await ageSessions(b.portal.db, admin.userId, 16);

    await askToSave(desk, accountId, member.contactId);
    const qr = await see(desk.getByRole('img', { name: 'QR Code para aprovar no celular' }));
    await see(desk.getByText('Aguardando a aprovação no celular…'));
    const code = (await desk.locator('#step-up-short-code').textContent())!.trim();
    expect(code).to.match(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(await desk.locator('a[href*="/step-up/approve/"]').count()).to.equal(0);
    const approveUrl = readQrDataUrl((await qr.getAttribute('src'))!);
    expect(approveUrl).to.match(/^http:\/\/portal\.test\/step-up\/approve\/[A-Za-z0-9_-]{43}$/);
    const approvePath = new URL(approveUrl).pathname;
    await shoot(desk, 'confirm');

    // The asking browser itself (another tab of it) is refused.
    const sameBrowser = await desk.context().newPage();
    await sameBrowser.goto(approvePath);
    await see(sameBrowser.getByRole('alert').getByText('Esta é a própria tela que pediu a confirmação'));
    expect(await sameBrowser.getByRole('button', { name: 'Aprovar' }).count()).to.equal(0);
    await sameBrowser.close();

    // A browser signed in with the password only is told how it could approve.
    await visit(passwordOnly, approvePath);
    await see(passwordOnly.getByRole('alert').getByText('entrou no portal só com a senha', { exact: false }));
    expect(await passwordOnly.getByRole('button', { name: 'Aprovar' }).count()).to.equal(0);
    await shoot(passwordOnly, 'approve-refused');

    const phone = await b.newPage({ viewport: { width: 390, height: 844 } });
    await logIn(phone, admin.email, secret, 0);
    await visit(phone, approvePath);
    const details = phone.locator('#step-up-approval-details');
    await see(details.getByText('Alterar permissões de acesso de um usuário'));
    await see(details.getByText('Construtora Horizonte Ltda'));
    await see(details.getByText(/Chrome \d+ · Linux/));
    await shoot(phone, 'approve');
    await phone.getByRole('button', { name: 'Aprovar' }).click();
    await see(phone.getByText('Aprovado! Volte à outra tela: ela seguirá sozinha.'));

    // Nobody touches the first browser: its polling sees the approval and the kept form is posted.
    await expectSaved(desk, accountId, member.contactId);
  });

  it('the short code typed on the second browser approves too', async function () {
    this.timeout(90_000);
    const { admin, accountId } = await createAccount(b.portal.db);
    const member = await addMember(b.portal.db, accountId, { name: 'Cecília Câmera' });
    const desk = await b.newPage();
    await logIn(desk, admin.email);
    const secret = await enableTotp(b.portal, admin.userId);
    await ageSessions(b.portal.db, admin.userId, 16);
    await askToSave(desk, accountId, member.contactId);
    const code = (await desk.locator('#step-up-short-code').textContent())!.trim();

    const phone = await b.newPage({ viewport: { width: 390, height: 844 } });
    await logIn(phone, admin.email, secret, 0);
    await visit(phone, '/step-up/approve');
    await phone.getByRole('textbox', { name: 'Código' }).fill(code.toLowerCase());
    await shoot(phone, 'approve-code');
    await phone.getByRole('button', { name: 'Continuar' }).click();
    await see(phone.locator('#step-up-approval-details').getByText('Alterar permissões de acesso de um usuário'));
    await phone.getByRole('button', { name: 'Aprovar' }).click();
    await see(phone.getByText('Aprovado! Volte à outra tela: ela seguirá sozinha.'));
    await expectSaved(desk, accountId, member.contactId);
  });
});
