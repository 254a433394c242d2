import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { checkA11y, logIn, screenshotsIn, see, useBrowser, visit } from './support';

/**
 * "Auditoria" in a real browser: an administrator changes a contact's permissions, opens the
 * trail, finds that contact by typing their e-mail, and reads the change in words, on a desktop
 * and on a phone (where nothing may scroll the page sideways).
 */
const mainMenu = (page: Page) => page.getByRole('navigation', { name: 'Menu principal' });
const shots = screenshotsIn('audit');

/** Gives the contact a ready-made profile on "Permissões de acesso", waiting for the flags HTMX previews. */
async function setProfile(page: Page, accountId: number, contactId: number, label: string) {
  await visit(page, `/accounts/${accountId}/contacts/${contactId}/permissions`);
  const preview = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/permissions/preview'));
  const settled = page.evaluate(() => new Promise<void>((resolve) => document.addEventListener('htmx:afterSettle', () => resolve(), { once: true })));
  await page.getByRole('combobox', { name: 'Perfil' }).selectOption({ label });
  await preview;
  await settled;
  await page.getByRole('button', { name: 'Salvar alterações' }).click();
  await see(page.getByRole('status').getByText('Registro salvo com sucesso!'));
}

describe('browser: Auditoria', () => {
  const b = useBrowser();

  it('an administrator changes a contact\'s permissions, then finds and reads the change in words', async function () {
    this.timeout(90_000);
    const { admin, accountId } = await createAccount(b.portal.db);
    const member = await addMember(b.portal.db, accountId, { name: 'Rita Revista', email: `rita.${Date.now()}@example.test` });
    const other = await addMember(b.portal.db, accountId, { name: 'Otávio Outro' });
    const page = await b.newPage();
    await logIn(page, admin.email, PASSWORD);

    await setProfile(page, accountId, other.contactId, 'Administrador');
    await setProfile(page, accountId, member.contactId, 'Observador (não pode baixar documentos)');

    await mainMenu(page).getByRole('link', { name: 'Auditoria' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Auditoria' }));
    const events = page.getByRole('list', { name: 'Auditoria' }).getByRole('listitem');
    expect(await events.count()).to.be.at.least(2);

    await page.getByRole('combobox', { name: 'Pessoa' }).fill(member.email);
    await page.getByRole('combobox', { name: 'Participação' }).selectOption({ label: 'Com quem foi feito' });
    const swapped = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/audit') && r.request().headers()['hx-request'] === 'true');
    await page.getByRole('button', { name: 'Filtrar' }).click();
    await swapped;
    await see(page.getByText('Registros de Rita Revista (Com quem foi feito).'));
    expect(new URL(page.url()).searchParams.get('person')).to.equal(member.email);
    await see(events.first());
    expect(await events.count()).to.equal(1);

    const event = events.first();
    await event.locator('summary').click();
    const changes = event.getByRole('table', { name: 'O que mudou' });
    await see(changes);
    const profile = changes.getByRole('row', { name: /Perfil/ });
    expect((await profile.innerText()).replace(/\s+/g, ' ').trim()).to.equal('Perfil Membro Observador (não pode baixar documentos)');
    await see(event.getByText(`Ana Administradora (${admin.email})`));
    await see(event.getByText('Entrou com a senha pouco antes', { exact: false }));
    expect(await event.innerText()).not.to.match(/\bprofile\b|observer|_stepUp|\{"/);
    await checkA11y(page);

    await shots(page, 'filtered-by-contact');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth), 'no sideways scroll on a phone').to.be.at.most(390);
    await see(changes);
  });
});
