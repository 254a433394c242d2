import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, createAccount } from '../support/fixtures';
import { clearOfStepEdge, codeAt } from '../integration/helpers/security';
import { see, useBrowser, visit, logIn } from './support';

/**
 * Two-step verification in a real browser, at a desk and at a phone's width: "Configurar" on Meu
 * perfil shows a new key for this session, its first code turns it on and shows the recovery codes;
 * an administrator resets a contact's verification from the contact's page.
 */

const SHOTS = path.resolve(import.meta.dirname, '../../test-results/two-factor');
mkdirSync(SHOTS, { recursive: true });
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });


/** Meu perfil → Configurar → the first code → the recovery codes; answers the key. */
async function enrolIn(page: Page, tag: string): Promise<string> {
  await visit(page, '/me');
  await page.getByRole('button', { name: 'Configurar' }).click();
  await see(page.getByRole('img', { name: 'QR Code para o aplicativo autenticador' }));
  await see(page.getByText('Esta chave vale por 10 minutos e só nesta sessão.'));
  await shot(page, `enrol-${tag}`);
  const key = (await page.locator('#totp-secret').textContent())!.replace(/\s+/g, ''); // shown in groups of four
  await clearOfStepEdge();
  await page.getByRole('textbox', { name: 'Código de 6 dígitos mostrado no aplicativo' }).fill(await codeAt(key, -1));
  await page.getByRole('button', { name: 'Ativar' }).click();
  await see(page.getByRole('status').getByText('Verificação em duas etapas ativada.'));
  expect(await page.locator('ul.recovery-codes li').count()).to.equal(10);
  await shot(page, `codes-${tag}`);
  return key;
}

describe('browser: two-step verification', () => {
  const b = useBrowser();

  for (const [tag, viewport] of [['1280', { width: 1280, height: 800 }], ['390', { width: 390, height: 844 }]] as const) {
    it(`enrolling and an administrator's reset (${tag} px)`, async function () {
      this.timeout(90_000);
      const { admin, accountId } = await createAccount(b.portal.db);
      const member = await addMember(b.portal.db, accountId, { name: 'Marina Membro' });

      const phone = await b.newPage({ viewport });
      await logIn(phone, member.email);
      await enrolIn(phone, tag);
      await visit(phone, '/me');
      await see(phone.getByText('Códigos de recuperação disponíveis: 10.'));
      await see(phone.getByRole('button', { name: 'Gerar novos códigos de recuperação' }));
      await shot(phone, `me-enabled-${tag}`);

      const desk = await b.newPage({ viewport });
      await logIn(desk, admin.email);
      await visit(desk, `/accounts/${accountId}/contacts/${member.contactId}`);
      await see(desk.getByText('Ativada: aplicativo autenticador e códigos de recuperação.'));
      await shot(desk, `contact-${tag}`);
      await desk.getByRole('button', { name: 'Redefinir verificação em duas etapas' }).click();
      await see(desk.getByRole('status').getByText('Verificação em duas etapas de Marina Membro redefinida com sucesso!'));
      await see(desk.getByText('Não ativada.'));
      await shot(desk, `contact-reset-${tag}`);
      expect((await b.portal.db('users').where({ id: member.userId }).first('totp_enabled_at')).totp_enabled_at).to.equal(null);
    });
  }
});
