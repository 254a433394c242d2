import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { maskOpaque } from '../../server/http/route-pattern';

describe('request log: masking where the route is not known', () => {
  it('masks every one-time token (32 random bytes, base64url) wherever it sits in a path or an address', () => {
    for (let i = 0; i < 200; i++) {
      const token = randomBytes(32).toString('base64url');
      for (const shape of [`/invitations/${token}`, `/invitations/confirm/${token}`, `https://portal.example.com/password/reset/${token}?x=`, `/invitations/${token}/accept`]) {
        expect(maskOpaque(shape)).not.to.contain(token.slice(0, 12));
      }
    }
  });

  it('keeps the words, ids and hosts that say which page it was', () => {
    for (const path of ['/accounts/12/contacts/345/permissions', '/me/two-factor/recovery-codes', '/accounts/7/contacts.csv', 'https://portal-acme.example.com.br/step-up/continue', '/accounts/3/notification-preferences']) {
      expect(maskOpaque(path)).to.equal(path);
    }
    expect(maskOpaque('/invitations/AbC123def456GHI789jkl/x')).to.equal('/invitations/:masked/x');
  });
});
