import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { seedDemo } from '../../server/cli/seed-demo';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { ageSessions } from '../integration/helpers/security';
import { see, useBrowser, visit } from './support';

/**
 * Every page of the portal (core and the three plugins), seeded with the demo data, at a desktop
 * (1280×800) and a phone (390×844), signed in as Aurora's primary administrator. A page fails when
 *   - it scrolls sideways (the document is wider than the window);
 *   - a table cell breaks a word across two lines ("Permi/ssões", an e-mail cut mid-word): each
 *     word of each cell's text is measured on its own (a Range over the word) and must sit on one
 *     line; a value shortened with an ellipsis keeps its words whole, so it passes;
 *   - a form control is away from its label: the label's text (not its box, which may be as wide
 *     as the form) must be on the control's line within 24 px of it, or right above it starting
 *     at the same left edge; a checkbox or radio must keep its own size (not stretched to the
 *     width of a text field, which draws the tick far from its words).
 * On the contacts list the first row's "Ações" menu is opened first, so its entries are checked too.
 * Each page's screenshot is kept as test-results/pages/<page>-<width>.png (a CI artefact, see README).
 */

const SHOTS = path.resolve(import.meta.dirname, '../../test-results/pages');
const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;

interface Problem { what: string; where: string }

/** Runs in the page: every problem the checks above find, as text. */
function findProblems(): Problem[] {
  const problems: Problem[] = [];
  const visible = (el: Element) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (r.width <= 1 || r.height <= 1 || s.visibility === 'hidden') return false;
    // Inside a box shrunk to a pixel (a header row left to screen readers): not seen either.
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const u = up.getBoundingClientRect();
      if (u.width <= 1 || u.height <= 1) return false;
    }
    return true;
  };
  const name = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 60);
  const de = document.documentElement;
  if (de.scrollWidth > window.innerWidth) problems.push({ what: `scrolls sideways: ${de.scrollWidth}px wide in ${window.innerWidth}px`, where: 'page' });

  // Words split across lines inside table cells.
  for (const cell of document.querySelectorAll('td, th')) {
    if (!visible(cell)) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement!;
      if (!visible(parent) || parent.closest('.visually-hidden')) continue;
      const text = node.textContent ?? '';
      for (const m of text.matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) problems.push({ what: `the word "${m[0]}" breaks across ${tops.size} lines`, where: `cell "${name(cell)}"` });
      }
    }
  }

  // Controls and their labels.
  const controls = document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea');
  for (const control of controls) {
    if (!visible(control) || !control.labels || control.labels.length === 0) continue;
    const c = control.getBoundingClientRect();
    const box = control.type === 'checkbox' || control.type === 'radio';
    if (box && c.width > 2 * c.height + 4) problems.push({ what: `the ${control.type} is stretched to ${Math.round(c.width)}px`, where: `control "${control.name}"` });
    const textRects: DOMRect[] = [];
    for (const label of control.labels) {
      const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!(node.textContent ?? '').trim() || node.parentElement!.closest('.visually-hidden')) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        textRects.push(...[...range.getClientRects()].filter((r) => r.width > 0));
      }
    }
    if (textRects.length === 0) continue; // a label that is only for screen readers
    const near = textRects.some((t) => {
      const sameLine = t.top < c.bottom && c.top < t.bottom && Math.max(t.left - c.right, c.left - t.right) <= 24;
      const above = c.top - t.bottom >= -2 && c.top - t.bottom <= 24 && Math.abs(t.left - c.left) <= 24;
      return sameLine || above;
    });
    if (!near) problems.push({ what: 'the label is not next to its control', where: `control "${control.name}" (label "${name(control.labels[0]!)}")` });
  }
  return problems;
}

async function signIn(page: Page, email: string) {
  await visit(page, '/login');
  await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill(email);
  await page.getByRole('textbox', { name: 'Senha', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await see(page.getByRole('heading', { level: 1 }));
}

async function check(page: Page, label: string, width: number): Promise<string[]> {
  await page.waitForLoadState('load');
  // Sent as source: tsx (esbuild, keepNames) wraps inner functions in a __name() the page lacks.
  const problems = (await page.evaluate(`(() => { const __name = (f) => f; return (${findProblems.toString()})(); })()`)) as Problem[];
  mkdirSync(SHOTS, { recursive: true });
  // The whole page, up to two screens high (a long list's first rows say enough and stay readable).
  const height = Math.min(await page.evaluate(() => document.documentElement.scrollHeight), 1700);
  await page.screenshot({ path: path.join(SHOTS, `${label}-${width}.png`), fullPage: true, clip: { x: 0, y: 0, width, height } });
  return problems.map((p) => `${label} at ${width}px: ${p.what} — ${p.where}`);
}

describe('browser: every page at 1280 and 390 pixels', () => {
  const b = useBrowser();
  let aurora: number;
  const owner = 'admin@demo.portal';
  const pages: [string, string][] = [];

  before(async function () {
    this.timeout(120_000);
    const seeded = await seedDemo(b.portal.db, { password: PASSWORD, registry: b.portal.registry });
    aurora = seeded.accounts.aurora;
    const a = `/accounts/${aurora}`;
    const ownerId = (await b.portal.db('accounts').where({ id: aurora }).first('owner_contact_id')).owner_contact_id as number;
    const other = await b.portal.db('contacts').where({ account_id: aurora, status: 'active' }).whereNot({ id: ownerId }).orderBy('id').first('id');
    const group = await b.portal.db('groups').where({ account_id: aurora }).first('id');
    const ticket = await b.portal.db('support_tickets').where({ account_id: aurora }).first('id', 'owner_contact_id');
    // A previewed import with an error and a warning (the job page as the administrator meets it before confirming).
    const now = new Date();
    const [job] = await b.portal.db('import_jobs').insert({
      account_id: aurora, created_by_contact_id: ownerId, created_by_name: 'Aurora Administradora', file_name: 'usuarios-filial-campinas.csv', stored_name: 'missing.csv',
      file_bytes: 2048, encoding: 'windows-1252', separator: ';', unknown_columns: JSON.stringify(['Observação']), profiles: JSON.stringify(['member']),
      locale: 'pt-BR', state: 'previewed', total_rows: 12, error_rows: 1, warning_rows: 1, to_invite: 10, unchanged_rows: 1, progress_rows: 12, created_at: now, updated_at: now,
    });
    await b.portal.db('import_job_issues').insert([
      { job_id: job, phase: 'preview', line: 4, column_name: 'cpf', message_key: 'imports.cell.cpfPadded', params: JSON.stringify({ cpf: '012.345.678-90' }), severity: 'warning' },
      { job_id: job, phase: 'preview', line: 9, column_name: 'email', message_key: 'validation.email', params: null, severity: 'error' },
    ]);
    pages.push(
      ['imports', `${a}/imports`],
      ['import-preview', `${a}/imports/${job}`],
      ['accounts', '/accounts'],
      ['home', a],
      ['contacts-active', `${a}/contacts`],
      ['contacts-pending', `${a}/contacts?status=pending`],
      ['contacts-deactivated', `${a}/contacts?status=deactivated`],
      ['contact', `${a}/contacts/${other.id}`],
      ['contact-new', `${a}/contacts/new`],
      ['contact-edit', `${a}/contacts/${other.id}/edit`],
      ['contact-permissions', `${a}/contacts/${other.id}/permissions`],
      ['contact-deactivate', `${a}/contacts/${other.id}/deactivate`],
      ['contact-delete', `${a}/contacts/${other.id}/delete`],
      ['groups', `${a}/groups`],
      ['group-new', `${a}/groups/new`],
      ['group', `${a}/groups/${group.id}`],
      ['invitations', `${a}/invitations`],
      ['owner-transfer', `${a}/owner`],
      ['privacy', `${a}/privacy`],
      ['audit', `${a}/audit`],
      ['audit-person', `${a}/audit?person=${other.id}`],
      ['me', '/me'],
      ['support', `${a}/p/support`],
      ['support-new', `${a}/p/support/new`],
      ['support-ticket', `${a}/p/support/${ticket.id}`],
      ['support-transfer', `${a}/p/support/transfer?from=${ticket.owner_contact_id}`],
      ['education', `${a}/p/education`],
      ['education-franchises', `${a}/p/education/franchises`],
      ['cloud', `${a}/p/cloud`],
    );
  });

  for (const size of SIZES) {
    it(`signed out, at ${size.width}px: login and forgotten password`, async function () {
      this.timeout(60_000);
      const page = await b.newPage({ viewport: size });
      const problems: string[] = [];
      for (const [label, url] of [['login', '/login'], ['password-forgot', '/password/forgot']] as const) {
        await visit(page, url);
        problems.push(...(await check(page, label, size.width)));
      }
      expect(problems, problems.join('\n')).to.deep.equal([]);
    });

    it(`signed in as the primary administrator, at ${size.width}px: every page`, async function () {
      this.timeout(300_000);
      const page = await b.newPage({ viewport: size });
      await signIn(page, owner);
      const problems: string[] = [];
      for (const [label, url] of pages) {
        const response = await visit(page, url);
        if (response?.status() !== 200) problems.push(`${label} (${url}) answered ${response?.status()}`);
        const menu = page.locator('details.row-menu').first();
        if (label.startsWith('contacts-') && (await menu.count())) await menu.locator('summary').click();
        problems.push(...(await check(page, label, size.width)));
      }
      // The authenticator set-up page: reached by "Configurar" on Meu perfil (a POST starts it).
      await visit(page, '/me');
      await page.getByRole('button', { name: 'Configurar' }).click();
      await page.waitForURL('**/me/two-factor');
      problems.push(...(await check(page, 'two-factor', size.width)));
      // The confirmation asked before a sensitive change, once the sign-in is older than 15 minutes.
      const userId = (await b.portal.db('users').where({ email: owner }).first('id')).id as number;
      await ageSessions(b.portal.db, userId, 16);
      const member = await b.portal.db('contacts').where({ account_id: aurora, status: 'active', profile: 'member' }).first('id');
      await visit(page, `/accounts/${aurora}/contacts/${member.id}/permissions`);
      await page.getByRole('button', { name: 'Salvar alterações' }).click();
      await see(page.getByRole('heading', { level: 1, name: 'Confirme que é você' }));
      problems.push(...(await check(page, 'step-up', size.width)));
      expect(problems, problems.join('\n')).to.deep.equal([]);
    });
  }

  it('on a phone the menu folds behind a "Menu" button, opened from the keyboard; on a desktop it is always shown', async function () {
    this.timeout(60_000);
    const phone = await b.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(phone, owner);
    const nav = phone.getByRole('navigation', { name: 'Menu principal' });
    const contacts = nav.getByRole('link', { name: 'Usuários do Sistema' });
    expect(await contacts.isVisible(), 'the menu entries are folded away').to.equal(false);
    const toggle = nav.locator('summary', { hasText: 'Menu' });
    const top = (await toggle.boundingBox())!;
    expect(top.y + top.height, 'the button is on the first screen, near the top').to.be.below(200);
    await toggle.focus();
    await phone.keyboard.press('Enter');
    await see(contacts);
    await contacts.click();
    await see(phone.getByRole('heading', { level: 1, name: 'Usuários do Sistema' }));

    const desk = await b.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(desk, owner);
    const deskNav = desk.getByRole('navigation', { name: 'Menu principal' });
    await see(deskNav.getByRole('link', { name: 'Usuários do Sistema' }));
    expect(await deskNav.locator('summary', { hasText: 'Menu' }).isVisible()).to.equal(false);
  });

  it('"Trocar de empresa" only for a person in more than one company', async function () {
    this.timeout(60_000);
    const single = await createAccount(b.portal.db);
    const page = await b.newPage();
    await signIn(page, single.admin.email);
    await visit(page, `/accounts/${single.accountId}`);
    const menu = page.getByRole('navigation', { name: 'Menu principal' });
    await see(menu.getByRole('link', { name: 'Início' }));
    expect(await menu.getByRole('link', { name: 'Trocar de empresa' }).count()).to.equal(0);

    const second = await createAccount(b.portal.db);
    await addMember(b.portal.db, second.accountId, { email: single.admin.email, name: single.admin.name });
    await visit(page, `/accounts/${single.accountId}`);
    await see(menu.getByRole('link', { name: 'Trocar de empresa' }));
  });
});
