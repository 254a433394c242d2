import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { see, useBrowser, visit } from './support';

/** Fills the login form the way a user does and submits it. */
async function logIn(page: Page, email: string, password: string) {
  await visit(page, '/login');
  await field(page, 'E-mail').fill(email);
  await field(page, 'Senha').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
}

/** A form field by its accessible name (what a screen reader announces; the "*" is aria-hidden). */
const field = (page: Page, name: string) => page.getByRole('textbox', { name, exact: true });
const mainMenu = (page: Page) => page.getByRole('navigation', { name: 'Menu principal' });

describe('browser: first run on an empty database', () => {
  const b = useBrowser();

  it('creates the company and its administrator, logs in, sees the menu, logs out', async () => {
    const page = await b.newPage();

    await visit(page, '/');
    await see(page.getByRole('heading', { level: 1, name: 'Configuração inicial' }));
    expect(new URL(page.url()).pathname).to.equal('/setup');

    // The one-time code the portal printed on its console at start-up.
    await field(page, 'Código de configuração').fill(b.portal.setupCode!);
    await field(page, 'Nome da empresa').fill('Construtora Horizonte Ltda');
    await field(page, 'CNPJ (opcional)').fill('11.222.333/0001-81');
    await field(page, 'Nome').fill('Carla Souza');
    await field(page, 'E-mail').fill('carla@horizonte.example');
    await field(page, 'Senha').fill('uma senha bem comprida');
    await field(page, 'Confirmação de senha').fill('uma senha bem comprida');
    await page.getByRole('button', { name: 'Criar empresa e administrador' }).click();

    await see(page.getByRole('heading', { level: 1, name: 'Entrar no portal' }));
    expect(new URL(page.url()).pathname).to.equal('/login');
    await see(page.getByText('Empresa criada. Entre com o e-mail e a senha do administrador.'));

    await field(page, 'E-mail').fill('carla@horizonte.example');
    await field(page, 'Senha').fill('uma senha bem comprida');
    await page.getByRole('button', { name: 'Entrar' }).click();

    await see(page.getByRole('heading', { level: 1, name: 'Bem-vindo(a), Carla Souza' }));
    const banner = page.getByRole('banner');
    await see(banner.getByText('Construtora Horizonte Ltda'));
    await see(banner.getByText('Carla Souza'));
    await see(banner.getByRole('link', { name: 'Meu perfil' }));
    await see(mainMenu(page).getByRole('link', { name: 'Início' }));
    // The primary administrator holds every permission: the entry is there (its page comes later).
    await see(mainMenu(page).getByRole('link', { name: 'Usuários do Sistema' }));

    await banner.getByRole('button', { name: 'Sair' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Entrar no portal' }));
    await see(page.getByText('Você saiu do portal.'));
    expect(await page.getByRole('button', { name: 'Sair' }).count()).to.equal(0);
  });
});

describe('browser: logging in', () => {
  const b = useBrowser();

  it('says the e-mail or password is wrong and keeps the e-mail typed', async () => {
    const { admin } = await createAccount(b.portal.db);
    const page = await b.newPage();

    await logIn(page, admin.email, 'not the password');

    await see(page.getByText('E-mail ou senha inválidos.'));
    expect(await field(page, 'E-mail').inputValue()).to.equal(admin.email);
    expect(await field(page, 'Senha').inputValue()).to.equal('');
    expect(await page.getByRole('navigation', { name: 'Menu principal' }).count()).to.equal(0);
  });

  it('a plain member does not see "Usuários do Sistema" in the menu', async () => {
    const { accountId } = await createAccount(b.portal.db, { name: 'Comercial Aurora' });
    const member = await addMember(b.portal.db, accountId, { profile: 'member', name: 'Bruno Membro' });
    const page = await b.newPage();

    await logIn(page, member.email, PASSWORD);

    await see(page.getByRole('heading', { level: 1, name: 'Bem-vindo(a), Bruno Membro' }));
    await see(page.getByRole('banner').getByText('Comercial Aurora'));
    await see(mainMenu(page).getByRole('link', { name: 'Início' }));
    expect(await page.getByRole('link', { name: 'Usuários do Sistema' }).count()).to.equal(0);
  });

  it('the member opens "Meu perfil" and sees their data', async () => {
    const { accountId } = await createAccount(b.portal.db);
    const member = await addMember(b.portal.db, accountId, { profile: 'member', name: 'Dora Dias' });
    const page = await b.newPage();

    await logIn(page, member.email, PASSWORD);
    await page.getByRole('banner').getByRole('link', { name: 'Meu perfil' }).click();

    await see(page.getByRole('heading', { level: 1, name: 'Meu perfil' }));
    expect(await field(page, 'Nome').inputValue()).to.equal('Dora Dias');
    expect(await field(page, 'E-mail').inputValue()).to.equal(member.email);
    await see(page.getByRole('button', { name: 'Alterar senha' }));
  });

  it('someone in two companies picks one, then sees that company', async () => {
    const first = await createAccount(b.portal.db, { name: 'Alfa Transportes' });
    const second = await createAccount(b.portal.db, { name: 'Beta Logística' });
    const both = await addMember(b.portal.db, first.accountId, { profile: 'member', name: 'Eva Duas' });
    await addMember(b.portal.db, second.accountId, { profile: 'member', name: 'Eva Duas', email: both.email });
    const page = await b.newPage();

    await logIn(page, both.email, PASSWORD);
    await see(page.getByRole('heading', { level: 1, name: 'Escolha a empresa' }));
    await page.getByRole('link', { name: 'Beta Logística' }).click();

    await see(page.getByRole('heading', { level: 1, name: 'Bem-vindo(a), Eva Duas' }));
    await see(page.getByRole('banner').getByText('Beta Logística'));
  });
});
