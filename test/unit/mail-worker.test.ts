import { expect } from 'chai';
import { describeSmtpError, linksIn } from '../../server/mail/mail.worker';

describe('mail worker: what it records and prints', () => {
  it('records an SMTP failure by its code and the server answer', () => {
    const err = Object.assign(new Error('Mail command failed: 451 Service temporarily unavailable'), {
      code: 'EENVELOPE', responseCode: 451, response: '451 Service temporarily unavailable',
    });
    expect(describeSmtpError(err)).to.equal('EENVELOPE 451 451 Service temporarily unavailable');
  });

  it('never records the credentials of a URL quoted in an error', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED smtp://mailer:s3cr3t@mail.example.com:587'), { code: 'ESOCKET' });
    const recorded = describeSmtpError(err);
    expect(recorded).not.to.contain('s3cr3t');
    expect(recorded).not.to.contain('mailer');
    expect(recorded).to.contain('ESOCKET').and.contain('mail.example.com:587');
  });

  it('finds each link of a message once, for the development console', () => {
    const text = 'Aceite: https://portal.test/invitations/abc.\nOu https://portal.test/invitations/abc (mesmo) e http://localhost:3000/login';
    expect(linksIn(text)).to.deep.equal(['https://portal.test/invitations/abc', 'http://localhost:3000/login']);
  });
});
