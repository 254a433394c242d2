import { expect } from 'chai';
import { describeAction, summariseBrowser } from '../../server/auth/step-up-details';

describe('what the approving phone is shown about a step-up', () => {
  it('names the browser and system of common User-Agents, Edge and Chrome on iOS included', () => {
    const cases: [string, string | null][] = [
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome 131 · Windows'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86', 'Edge 131 · Windows'],
      ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox 133 · Linux'],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', 'Safari 18 · macOS'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', 'Safari 18 · iOS'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1', 'Chrome 131 · iOS'],
      ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome 131 · Android'],
      ['curl/8.5.0', null],
      ['', null],
    ];
    for (const [ua, expected] of cases) expect(summariseBrowser(ua), ua).to.equal(expected);
    expect(summariseBrowser(null)).to.equal(null);
  });

  it('describes each guarded form by its path, anything else as a protected action', () => {
    expect(describeAction('/accounts/7/owner')).to.equal('ownerTransfer');
    expect(describeAction('/accounts/7/contacts/12/delete')).to.equal('contactDelete');
    expect(describeAction('/accounts/7/contacts')).to.equal('contactAdd');
    expect(describeAction('/accounts/7/contacts/12/permissions')).to.equal('contactPermissions');
    expect(describeAction('/accounts/7/groups/3/delete')).to.equal('groupDelete');
    expect(describeAction('/accounts/7/invitations/contacts/12/resend?x=1')).to.equal('inviteResend');
    expect(describeAction('/me/security/accounts/7')).to.equal('companySecurity');
    expect(describeAction('/accounts/7/p/support/tickets/1/close')).to.equal('other');
  });
});
