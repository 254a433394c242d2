import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { cpf } from 'cpf-cnpj-validator';
import { createAccount, uniqueEmail } from '../support/fixtures';
import { cpfStartingWith } from '../integration/helpers/contacts';
import { checkA11y, logIn, screenshotsIn, see, useBrowser, visit } from './support';

/**
 * "Importar usuários" as an administrator meets it, by labels: the template downloaded, filled,
 * uploaded; the preview; the confirmation; the progress; "Sucesso!".
 */
describe('browser: importing users', () => {
  const b = useBrowser();
  const shot = screenshotsIn('imports');

  it('downloads the template, uploads it filled in, checks the preview, confirms and sees "Sucesso!"', async function () {
    this.timeout(120_000);
    const { accountId, admin } = await createAccount(b.portal.db, { name: 'Empresa Importadora' });
    const page = await b.newPage();
    await visit(page, '/login');
    await logIn(page, admin.email);
    await visit(page, `/accounts/${accountId}/contacts`);
    await page.getByRole('link', { name: 'Importar usuários' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Importar usuários' }));
    await shot(page, 'upload');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Baixar modelo' }).click()]);
    const template = (await readFile((await download.path())!)).toString('utf8');
    expect(template.charCodeAt(0)).to.equal(0xfeff);
    // Filled in as a spreadsheet saves it: the example row replaced by two people, one CPF
    // without its leading zero (the column was not formatted as text).
    const [header] = template.slice(1).split(/\r?\n/);
    const people = [
      { name: 'Beatriz Importada', email: uniqueEmail('beatriz'), cpf: cpf.format(cpf.generate()) },
      { name: 'Caio Importado', email: uniqueEmail('caio'), cpf: '' },
    ];
    people[1]!.cpf = cpfStartingWith('0').replace(/^0+/, '');
    const file = path.join(os.tmpdir(), `importar-${accountId}.csv`);
    await writeFile(file, `\ufeff${header}\r\n${people.map((p) => `${p.name};${p.email};${p.cpf};BR;;11;98765-4321;Membro;não`).join('\r\n')}\r\n`);

    await page.getByLabel('Arquivo CSV').setInputFiles(file);
    await page.getByRole('button', { name: 'Enviar e conferir' }).click();
    await see(page.getByRole('heading', { name: 'Conferência do arquivo' }));
    await see(page.getByText('usuário(s) novo(s) a convidar'));
    await see(page.locator('#import-issues').getByText(/CPF/).first());
    await checkA11y(page);
    await shot(page, 'preview');

    await page.getByRole('button', { name: 'Confirmar importação' }).click();
    // The progress bar, polled, gives way to the result.
    await see(page.getByRole('heading', { name: 'Sucesso!' }));
    await see(page.getByText('2 usuário(s) cadastrado(s) e 0 atualizado(s).'));
    await checkA11y(page);
    await shot(page, 'done');

    await page.getByRole('link', { name: 'Ver usuários pendentes' }).click();
    await see(page.getByRole('cell', { name: 'Beatriz Importada' }));
    await see(page.getByRole('cell', { name: 'Caio Importado' }));
  });
});
