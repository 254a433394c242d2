import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { CDPSession, Page } from 'playwright-core';
import { createAccount, PASSWORD } from '../support/fixtures';
import { sharedSmtp, to } from '../support/mail';
import { ageSessions } from '../integration/helpers/security';
import { see, useBrowser, visit } from './support';

/**
 * Passkeys in Chromium with its virtual authenticator (DevTools protocol, WebAuthn domain): a
 * person adds two named passkeys, signs in with password + passkey, and confirms a removal on
 * /step-up with a passkey; the e-mails about each change arrive at the SMTP listener.
 */

const SHOTS = path.resolve(import.meta.dirname, '../../test-results/passkeys');

/** A platform authenticator that says yes at once (user present and verified), as a fingerprint reader would. */
async function virtualAuthenticator(cdp: CDPSession): Promise<string> {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return authenticatorId;
}

/** The page at 1280 px and at 390 px (a phone), for a person to look at. */
async function shots(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(SHOTS, `${name}-390.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function addPasskey(page: Page, name: string) {
  await visit(page, '/me');
  await page.getByRole('textbox', { name: 'Nome da chave' }).fill(name);
  await page.getByRole('button', { name: 'Adicionar chave de acesso' }).click();
  await see(page.getByText(`A chave será salva como "${name}".`));
  await page.getByRole('button', { name: 'Criar chave de acesso' }).click();
  await see(page.getByRole('status').getByText(`Chave de acesso "${name}" adicionada.`));
}

describe('browser: passkeys', () => {
  const b = useBrowser({ localhost: true });

  it('adds two named passkeys, signs in with password + passkey, steps up with a passkey to remove one; the e-mails arrive', async function () {
    this.timeout(120_000);
    const { admin } = await createAccount(b.portal.db);
    const page = await b.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const laptop = await virtualAuthenticator(cdp);

    await visit(page, '/login');
    await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill(admin.email);
    await page.getByRole('textbox', { name: 'Senha', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await see(page.getByRole('navigation', { name: 'Menu principal' }));

    await addPasskey(page, 'Notebook do trabalho');
    // A second device: the first one holds a passkey of this person already and would be refused.
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: laptop });
    await virtualAuthenticator(cdp);
    await visit(page, '/me');
    await page.getByRole('textbox', { name: 'Nome da chave' }).fill('Celular');
    await page.getByRole('button', { name: 'Adicionar chave de acesso' }).click();
    await see(page.getByRole('button', { name: 'Criar chave de acesso' }));
    await shots(page, 'add');
    await page.getByRole('button', { name: 'Criar chave de acesso' }).click();
    await see(page.getByRole('status').getByText('Chave de acesso "Celular" adicionada.'));
    const list = page.locator('#passkeys');
    await see(list.getByText('Notebook do trabalho', { exact: true }));
    await see(list.getByText('Celular', { exact: true }));
    await shots(page, 'me');

    // Password, then the passkey (no authenticator app here: no code field).
    await page.getByRole('button', { name: 'Sair' }).click();
    await visit(page, '/login');
    await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill(admin.email);
    await page.getByRole('textbox', { name: 'Senha', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await see(page.getByRole('button', { name: 'Usar chave de acesso' }));
    expect(await page.getByRole('textbox', { name: /Código de 6 dígitos/ }).count()).to.equal(0);
    await shots(page, 'login-code');
    await page.getByRole('button', { name: 'Usar chave de acesso' }).click();
    await see(page.getByRole('navigation', { name: 'Menu principal' }));

    // Later, removing one asks to confirm: the passkey confirms it.
    await ageSessions(b.portal.db, admin.userId, 16);
    await visit(page, '/me');
    await page.getByRole('button', { name: 'Remover a chave de acesso Notebook do trabalho' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Confirme que é você' }));
    await see(page.getByRole('button', { name: 'Usar chave de acesso' }));
    await shots(page, 'step-up');
    await page.getByRole('button', { name: 'Usar chave de acesso' }).click();
    await see(page.getByRole('status').getByText('Chave de acesso "Notebook do trabalho" removida.'));
    expect(new URL(page.url()).pathname).to.equal('/me');
    await see(list.getByText('Celular', { exact: true }));
    expect(await list.getByText('Notebook do trabalho', { exact: true }).count()).to.equal(0);
    expect((await b.portal.db('passkeys').where({ user_id: admin.userId }).select('name')).map((r) => r.name)).to.deep.equal(['Celular']);

    await b.portal.deliverMail();
    const smtp = await sharedSmtp();
    for (const text of ['uma chave de acesso foi cadastrada (Notebook do trabalho)', 'uma chave de acesso foi cadastrada (Celular)', 'uma chave de acesso foi removida (Notebook do trabalho)']) {
      const mail = await smtp.waitFor((m) => to(admin.email)(m) && (m.text ?? '').includes(text));
      expect(mail.subject).to.equal('A forma de entrar na sua conta do Portal mudou');
    }
  });
});
