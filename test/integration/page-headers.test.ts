/**
 * What a browser or a shared cache may keep: pages with personal data (CPFs, e-mails) are not
 * stored, and a URL that answers either a fragment or a whole page says it varies on HX-Request,
 * so a cache never hands the fragment to a page load. The favicon every browser asks for answers.
 */
import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { agent, loggedIn, sharedPortal, type TestPortal } from '../support/portal';

describe('page headers', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  it('pages that show CPFs are sent with Cache-Control: no-store', async () => {
    const { accountId, admin } = await createAccount(portal.db);
    const member = await addMember(portal.db, accountId);
    await portal.db('contacts').where({ id: member.contactId }).update({ document_type: 'cpf', document_number: '52998224725' });
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    const base = `/accounts/${accountId}/contacts`;
    for (const url of [base, `${base}/${member.contactId}`, `${base}/${member.contactId}/edit`]) {
      const res = await a.get(url);
      expect(res.status, url).to.equal(200);
      expect(res.text, url).to.contain('529.982.247-25');
      expect(res.headers['cache-control'], url).to.equal('no-store');
    }
    const fragment = await a.get(base).set('HX-Request', 'true').set('HX-Target', 'contacts-results');
    expect(fragment.text).to.contain('529.982.247-25');
    expect(fragment.headers['cache-control']).to.equal('no-store');
  });

  it('the contacts list, which answers a fragment or the whole page at one URL, sends Vary: HX-Request', async () => {
    const { accountId, admin } = await createAccount(portal.db);
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    const url = `/accounts/${accountId}/contacts`;
    const page = await a.get(url);
    const fragment = await a.get(url).set('HX-Request', 'true').set('HX-Target', 'contacts-results');
    expect(page.text).to.contain('</html>');
    expect(fragment.text).not.to.contain('</html>');
    for (const res of [page, fragment]) expect(String(res.headers.vary).split(/,\s*/)).to.include('HX-Request');
  });

  it('/favicon.ico answers an icon, without opening a session', async () => {
    const res = await agent(portal).get('/favicon.ico');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^image\/(x-icon|vnd\.microsoft\.icon)/);
    expect((res.body as Buffer).subarray(0, 4)).to.deep.equal(Buffer.from([0, 0, 1, 0]));
    expect(res.headers['set-cookie']).to.equal(undefined);
  });
});
