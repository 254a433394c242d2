/**
 * Pages as EJS renders them through express: what users typed is shown as text, never as markup,
 * and a plugin's view (outside views/) sits in the layout and uses core's partials.
 */
import path from 'node:path';
import { expect } from 'chai';
import { addMember, createAccount, PASSWORD, type AccountFixture } from '../support/fixtures';
import { loggedIn, startPortal, type Agent, type TestPortal } from '../support/portal';
import { PARTNER_ID } from '../fixtures/partner-plugin/index';
import { postForm } from './helpers/permissions';

const PARTNER_DIR = path.resolve(import.meta.dirname, '../fixtures/partner-plugin');
const TYPED = `<script>alert("oi")</script> D'Ávila & Cia`;
const AS_TEXT = '&lt;script&gt;alert(&#34;oi&#34;)&lt;/script&gt; D&#39;Ávila &amp; Cia';

describe('rendered pages', () => {
  let portal: TestPortal;
  let account: AccountFixture;
  let admin: { agent: Agent; csrf: string };
  let a: string;

  before(async () => {
    portal = await startPortal({ PORTAL_PLUGINS: PARTNER_DIR });
    account = await createAccount(portal.db);
    admin = await loggedIn(portal, account.admin.email, PASSWORD);
    a = `/accounts/${account.accountId}`;
  });

  it('shows a contact named like markup as text, in the list and on its page', async () => {
    const contact = await addMember(portal.db, account.accountId, { name: TYPED });
    for (const url of [`${a}/contacts`, `${a}/contacts/${contact.contactId}`]) {
      const res = await admin.agent.get(url);
      expect(res.status, url).to.equal(200);
      expect(res.text, url).to.contain(AS_TEXT);
      expect(res.text, url).not.to.contain('<script>alert');
    }
  });

  it("renders a plugin's page inside the layout, with core's field partial, escaping what was typed", async () => {
    const page = `${a}/p/${PARTNER_ID}`;
    const add = await postForm(admin.agent, `${page}/items`, admin.csrf, { title: TYPED });
    expect(add.status).to.equal(303);
    const res = await admin.agent.get(add.headers.location!);
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/<title>Relatórios do Parceiro · [^<]+<\/title>/);
    expect(res.text).to.contain(`<a href="${page}">Relatórios do Parceiro</a>`);
    expect(res.text).to.match(/<label for="f-title">Título <span aria-hidden="true">\*<\/span><\/label>/);
    expect(res.text).to.match(/<input id="f-title" name="title" type="text"[^>]*required[^>]*maxlength="200">/);
    expect(res.text).to.contain(`<li>${AS_TEXT}</li>`);
    expect(res.text).not.to.contain('<script>alert');
  });
});
