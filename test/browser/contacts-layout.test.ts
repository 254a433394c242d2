import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, createAccount } from '../support/fixtures';
import { see, useBrowser, visit, logIn } from './support';

/**
 * The contacts table on a first visit: at 1280 pixels the "Ações" column is fully visible and
 * nothing scrolls sideways; at 1280 and 1024 pixels every value stays on one line (a long name or
 * e-mail ends in "…", the cell's title gives it whole); the "Ações" menu opens over the table,
 * one entry a line, and Escape closes it; at a phone's width each contact is a stack of labelled lines.
 */

const LONG_NAME = 'Maria Aparecida dos Santos Oliveira de Albuquerque';
const LONG_EMAIL = 'maria.aparecida.santos.oliveira.albuquerque@construtorahorizonteengenharia.com.br';


/** How many lines the text of each non-empty cell of a column takes, by row (column counted from 1). */
const linesOfColumn = (page: Page, column: number) =>
  page.locator(`table.contacts tbody tr td:nth-child(${column})`).evaluateAll((cells) =>
    cells.filter((cell) => cell.textContent!.trim() !== '').map((cell) => {
      const range = document.createRange();
      range.selectNodeContents(cell);
      // Boxes that overlap vertically share a line (a badge sits a little higher than the text beside it).
      const rects = [...range.getClientRects()].filter((r) => r.width > 0).sort((x, y) => x.top - y.top);
      let lines = 0;
      let bottom = -Infinity;
      for (const r of rects) {
        if (r.top >= bottom - 1) lines += 1;
        bottom = Math.max(bottom, r.bottom);
      }
      return lines;
    }),
  );

const sidewaysOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('browser: the contacts table layout', () => {
  const b = useBrowser();
  let accountId: number;
  let ownerEmail: string;

  before(async () => {
    const account = await createAccount(b.portal.db);
    accountId = account.accountId;
    ownerEmail = account.admin.email;
    const people = [
      { name: LONG_NAME, email: LONG_EMAIL, document: '52998224725', areaCode: '11', phone: '987654321' },
      { name: 'José Carlos Pereira Nascimento Filho', email: 'jose.carlos.pereira@exemplo-de-empresa.com.br', document: '01234567890', areaCode: '21', phone: '32104567' },
    ];
    for (const p of people) {
      const m = await addMember(b.portal.db, accountId, { name: p.name, email: p.email });
      await b.portal.db('contacts').where({ id: m.contactId }).update({ document_type: 'cpf', document_number: p.document, area_code: p.areaCode, phone: p.phone });
    }
  });

  it('at 1280 pixels: "Ações" fully visible, nothing scrolls sideways, CPF and phone on one line', async function () {
    this.timeout(60_000);
    const page = await b.newPage({ viewport: { width: 1280, height: 800 } });
    await logIn(page, ownerEmail);
    await visit(page, `/accounts/${accountId}/contacts`);
    await see(page.getByRole('cell', { name: LONG_NAME }));

    expect(await sidewaysOverflow(page), 'the page scrolls sideways').to.be.at.most(0);
    const header = page.getByRole('columnheader', { name: 'Ações' });
    const box = (await header.boundingBox())!;
    expect(box.x + box.width, 'right edge of "Ações"').to.be.at.most(1280);
    for (const summary of await page.locator('table.contacts summary').all()) {
      const s = (await summary.boundingBox())!;
      expect(s.x + s.width).to.be.at.most(1280);
    }
    expect(await linesOfColumn(page, 3), 'CPF lines').to.deep.equal([1, 1]);
    expect(await linesOfColumn(page, 4), 'phone lines').to.deep.equal([1, 1]);
  });

  for (const width of [1280, 1024]) {
    it(`at ${width} pixels every value is on one line, a long one shortened with its whole text in the title`, async function () {
      this.timeout(60_000);
      const page = await b.newPage({ viewport: { width, height: 800 } });
      await logIn(page, ownerEmail);
      await visit(page, `/accounts/${accountId}/contacts`);
      await see(page.getByRole('cell', { name: LONG_NAME }));
      expect(await sidewaysOverflow(page), 'the page scrolls sideways').to.be.at.most(0);
      for (let column = 1; column <= 5; column++) {
        for (const lines of await linesOfColumn(page, column)) expect(lines, `lines in column ${column}`).to.equal(1);
      }
      expect(await page.getByRole('cell', { name: LONG_EMAIL }).getAttribute('title')).to.equal(LONG_EMAIL);
      expect(await page.getByRole('cell', { name: LONG_NAME }).getAttribute('title')).to.equal(LONG_NAME);
    });
  }

  it('the "Ações" menu opens over the table, one entry a line, and Escape closes it', async function () {
    this.timeout(60_000);
    const page = await b.newPage({ viewport: { width: 1280, height: 800 } });
    await logIn(page, ownerEmail);
    await visit(page, `/accounts/${accountId}/contacts`);
    const row = page.locator('table.contacts tbody tr', { hasText: LONG_NAME });
    const button = row.locator('summary');
    await button.focus();
    await page.keyboard.press('Enter');
    const entry = row.getByRole('link', { name: 'Permissões de acesso' });
    await see(entry);
    const column = (await page.getByRole('columnheader', { name: 'Ações' }).boundingBox())!;
    const menu = (await row.locator('.row-menu ul').boundingBox())!;
    expect(menu.width, 'the menu is wider than its column').to.be.greaterThan(column.width);
    expect(menu.x + menu.width).to.be.at.most(1280);
    for (const item of await row.locator('.row-menu li').all()) {
      const box = (await item.boundingBox())!;
      expect(box.height, `"${await item.textContent()}" on one line`).to.be.below(48);
    }
    await page.keyboard.press('Tab');
    await page.keyboard.press('Escape');
    expect(await entry.isVisible()).to.equal(false);
    expect(await button.evaluate((el) => el === document.activeElement), 'the focus is back on "Ações"').to.equal(true);
  });

  it('at a phone width the rows stack: each contact a column of labelled lines, nothing sideways', async function () {
    this.timeout(60_000);
    const page = await b.newPage({ viewport: { width: 390, height: 844 } });
    await logIn(page, ownerEmail);
    await visit(page, `/accounts/${accountId}/contacts`);
    await see(page.getByRole('cell', { name: LONG_NAME }));

    expect(await sidewaysOverflow(page), 'the page scrolls sideways').to.be.at.most(0);
    const row = page.locator('table.contacts tbody tr', { hasText: LONG_NAME });
    const tops = await row.locator('td').evaluateAll((cells) => cells.map((c) => Math.round(c.getBoundingClientRect().top)));
    expect(tops.length).to.equal(6);
    for (let i = 1; i < tops.length; i++) expect(tops[i]!, `cell ${i + 1} below cell ${i}`).to.be.greaterThan(tops[i - 1]!);
    // Each stacked line says what it is, as the hidden header row no longer does.
    const cpfCell = row.locator('td').nth(2);
    expect(await cpfCell.evaluate((c) => getComputedStyle(c, '::before').content)).to.equal('"Documento"');
    expect(await linesOfColumn(page, 3)).to.deep.equal([1, 1]);
  });
});
