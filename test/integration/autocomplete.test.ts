/**
 * The W3C checker refuses an autofill field name on a control of the wrong kind (`tel-national`
 * on `<input type="tel">`): every `autocomplete` the portal writes must pass it. The rule is the
 * HTML standard's autofill table (html.spec.whatwg.org, "Autofill"): each field name belongs to a
 * control group, and each group is allowed on some input types only.
 */
import { expect } from 'chai';
import { createAccount, PASSWORD } from '../support/fixtures';
import { agent, loggedIn, sharedPortal, type TestPortal } from '../support/portal';

/** Field name → its control group, for the names a portal form may use. */
const CONTROL_GROUP: Record<string, string> = {
  name: 'text', 'given-name': 'text', 'family-name': 'text', nickname: 'text', organization: 'text', 'organization-title': 'text',
  country: 'text', 'country-name': 'text', 'postal-code': 'text', 'address-level1': 'text', 'address-level2': 'text',
  'tel-country-code': 'text', 'tel-national': 'text', 'tel-area-code': 'text', 'tel-local': 'text', 'tel-extension': 'text',
  username: 'username', 'new-password': 'password', 'current-password': 'password', 'one-time-code': 'password',
  email: 'email', tel: 'tel', url: 'url', 'street-address': 'multiline',
};

/** Input types each control group may be used on. */
const INPUT_TYPES: Record<string, string[]> = {
  text: ['hidden', 'text', 'search'],
  username: ['hidden', 'text', 'search', 'email'],
  password: ['hidden', 'text', 'search', 'password'],
  email: ['hidden', 'text', 'search', 'email'],
  tel: ['hidden', 'text', 'search', 'tel'],
  url: ['hidden', 'text', 'search', 'url'],
  multiline: ['hidden'],
};

/** One line per input whose autocomplete the checker would refuse. */
function refusedAutocomplete(html: string): string[] {
  const refused: string[] = [];
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    const value = /\sautocomplete="([^"]*)"/.exec(tag)?.[1];
    if (value === undefined) continue;
    const type = /\stype="([^"]*)"/.exec(tag)?.[1] ?? 'text';
    const tokens = value.trim().split(/\s+/);
    const field = tokens[tokens.length - 1]!;
    if ((field === 'on' || field === 'off') && tokens.length === 1 && type !== 'hidden') continue;
    const group = CONTROL_GROUP[field];
    if (!group || !INPUT_TYPES[group]!.includes(type)) refused.push(`${field} on type=${type}: ${tag}`);
  }
  return refused;
}

describe('autocomplete values are valid HTML', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  it('on the contact forms (Brasil and abroad), the login and the profile page', async () => {
    const { accountId, admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const base = `/accounts/${accountId}/contacts`;
    const pages = {
      add: (await a.get(`${base}/new`)).text,
      abroad: (await a.post(`${base}/form`).type('form').send({ _csrf: csrf, mode: 'add', country: 'PT' })).text,
      edit: (await a.get(`${base}/${admin.contactId}/edit`)).text,
      me: (await a.get('/me')).text,
      login: (await agent(portal).get('/login')).text,
    };
    expect(pages.add).to.match(/name="phone"[^>]*autocomplete=/);
    for (const [page, html] of Object.entries(pages)) expect(refusedAutocomplete(html), page).to.deep.equal([]);
  });
});
