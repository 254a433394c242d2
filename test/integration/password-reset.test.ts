import { expect } from 'chai';
import { createAccount, PASSWORD, uniqueEmail } from '../support/fixtures';
import { sharedSmtp, to } from '../support/mail';
import { mailFor } from './helpers/security';
import { agent, csrfFrom, loggedIn, login, sharedPortal, type TestPortal } from '../support/portal';

const NEW_PASSWORD = 'Ventania-Azul-7382-Tucano';

describe('"Esqueci minha senha" (password reset)', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  async function ask(email: string) {
    const a = agent(portal);
    const csrf = await csrfFrom(a, '/password/forgot');
    return a.post('/password/forgot').type('form').send({ _csrf: csrf, email });
  }

  /** The reset link that arrived at the real SMTP listener for this address. */
  async function resetPathFor(email: string): Promise<string> {
    const mail = await mailFor(portal, email);
    const url = /https?:\/\/\S+\/password\/reset\/[A-Za-z0-9_-]+/.exec(mail.text ?? '')?.[0];
    if (!url) throw new Error(`no reset link in: ${mail.text}`);
    return new URL(url).pathname;
  }

  async function resetWith(path: string, password: string, confirmation = password) {
    const a = agent(portal);
    const csrf = await csrfFrom(a, '/password/forgot');
    return a.post(path).type('form').send({ _csrf: csrf, password, passwordConfirmation: confirmation });
  }

  it('the login page links to it', async () => {
    await createAccount(portal.db);
    const res = await agent(portal).get('/login');
    expect(res.text).to.contain('href="/password/forgot"');
    expect(res.text).to.contain('Esqueci minha senha');
  });

  it('answers the same for a known and an unknown e-mail, and the request writes the same queued row for both: only the mail worker looks the address up, and mails only the known one', async () => {
    const { admin } = await createAccount(portal.db);
    const unknown = uniqueEmail('ninguem');
    const known = await ask(admin.email);
    const other = await ask(unknown);
    const main = (html: string) => /<main[\s\S]*<\/main>/.exec(html)![0].replace(/name="_csrf" value="[^"]*"/g, '');
    expect(known.status).to.equal(200);
    expect(other.status).to.equal(known.status);
    expect(main(other.text)).to.equal(main(known.text));
    expect(known.text).to.contain('Se este e-mail estiver cadastrado');

    // The request did the same thing for both: one queued row, nothing rendered, nothing about the person written.
    const rows = await portal.db('mail_outbox').whereIn('to_address', [admin.email, unknown]).orderBy('id');
    expect(rows.map((r) => r.to_address)).to.deep.equal([admin.email, unknown]);
    const shape = (r: Record<string, unknown>) => ({ template: r.template, status: r.status, subject: r.subject, text: r.text, html: r.html, account: r.account_id, attempts: r.attempts });
    expect(shape(rows[0])).to.deep.equal(shape(rows[1]));
    expect(rows[0]).to.include({ status: 'pending', text: '', html: '' });
    expect(await portal.db('user_tokens').where({ user_id: admin.userId, purpose: 'password_reset' })).to.have.length(0);
    expect(await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.password_reset_requested' })).to.have.length(0);

    // The worker: a link for the known address, which works; nothing for the unknown one, whose row goes.
    const path = await resetPathFor(admin.email);
    expect((await agent(portal).get(path)).status).to.equal(200);
    expect(await portal.db('mail_outbox').where({ to_address: unknown })).to.have.length(0);
    expect((await sharedSmtp()).messages.filter(to(unknown))).to.have.length(0);
    const events = await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.password_reset_requested' });
    expect(events).to.have.length(1);
    expect(events[0].request_id, 'the event names the request that asked').to.equal(known.headers['x-request-id']);
  });

  it('a reset sets the new password, ends the other sessions and is audited without the token', async () => {
    const { admin } = await createAccount(portal.db);
    const elsewhere = await loggedIn(portal, admin.email, PASSWORD);
    await ask(admin.email);
    const path = await resetPathFor(admin.email);
    expect((await agent(portal).get(path)).status).to.equal(200);

    const res = await resetWith(path, NEW_PASSWORD);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login');
    expect((await elsewhere.agent.get('/me')).headers.location).to.equal('/login');
    expect((await login(agent(portal), admin.email, PASSWORD)).status).to.equal(401);
    expect((await login(agent(portal), admin.email, NEW_PASSWORD)).status).to.equal(303);

    const events = await portal.db('audit_events').where({ actor_user_id: admin.userId }).whereIn('action', ['user.password_reset_requested', 'user.password_reset']).select('action', 'details');
    expect(events.map((e) => e.action)).to.have.members(['user.password_reset_requested', 'user.password_reset']);
    const token = path.split('/').pop()!;
    expect(JSON.stringify(events)).not.to.contain(token);
  });

  it('a link works once', async () => {
    const { admin } = await createAccount(portal.db);
    await ask(admin.email);
    const path = await resetPathFor(admin.email);
    expect((await resetWith(path, NEW_PASSWORD)).status).to.equal(303);
    const again = await resetWith(path, 'Outra-Senha-Forte-9911');
    expect(again.status).to.equal(404);
    expect(again.text).to.contain('inválido, expirou ou já foi usado');
    expect((await login(agent(portal), admin.email, NEW_PASSWORD)).status).to.equal(303);
  });

  it('an expired link is refused', async () => {
    const { admin } = await createAccount(portal.db);
    await ask(admin.email);
    const path = await resetPathFor(admin.email);
    await portal.db('user_tokens').where({ user_id: admin.userId, purpose: 'password_reset' }).update({ expires_at: new Date(Date.now() - 1000) });
    expect((await agent(portal).get(path)).status).to.equal(404);
    expect((await resetWith(path, NEW_PASSWORD)).status).to.equal(404);
    expect((await login(agent(portal), admin.email, PASSWORD)).status).to.equal(303);
  });

  it('a forged link is refused', async () => {
    const res = await agent(portal).get('/password/reset/AAAAforgedAAAAtokenAAAAthatAAAAwasAAAAnever');
    expect(res.status).to.equal(404);
    expect(res.text).to.contain('inválido, expirou ou já foi usado');
  });

  it('a newer request voids the older link', async () => {
    const { admin } = await createAccount(portal.db);
    await ask(admin.email);
    const first = await resetPathFor(admin.email);
    const smtp = await sharedSmtp();
    smtp.messages.splice(0, smtp.messages.length, ...smtp.messages.filter((m) => !to(admin.email)(m)));
    await ask(admin.email);
    const second = await resetPathFor(admin.email);
    expect(second).not.to.equal(first);
    expect((await agent(portal).get(first)).status).to.equal(404);
    expect((await agent(portal).get(second)).status).to.equal(200);
  });

  it('two requests at once queue two jobs; the worker sends two links and only the newer one works', async () => {
    const { admin } = await createAccount(portal.db);
    const [a, b] = await Promise.all([ask(admin.email), ask(admin.email)]);
    expect([a.status, b.status]).to.deep.equal([200, 200]);
    expect(await portal.db('mail_outbox').where({ to_address: admin.email, template: 'password-reset', status: 'pending' })).to.have.length(2);
    await portal.deliverMail();
    const smtp = await sharedSmtp();
    await smtp.waitFor((m) => smtp.messages.filter(to(admin.email)).length >= 2 && to(admin.email)(m));
    const paths = smtp.messages.filter(to(admin.email)).map((m) => new URL(/https?:\/\/\S+\/password\/reset\/[\w-]+/.exec(m.text ?? '')![0]).pathname);
    expect(paths).to.have.length(2);
    const statuses = await Promise.all(paths.map(async (p) => (await agent(portal).get(p)).status));
    expect(statuses.sort()).to.deep.equal([200, 404]);
  });

  it('the new password follows the registration rules', async () => {
    const { admin } = await createAccount(portal.db);
    await ask(admin.email);
    const path = await resetPathFor(admin.email);
    const short = await resetWith(path, 'curta');
    expect(short.status).to.equal(422);
    expect(short.text).to.contain('id="f-password-error"');
    expect((await resetWith(path, admin.email)).status).to.equal(422);
    expect((await resetWith(path, '1234567890')).status).to.equal(422);
    expect((await resetWith(path, NEW_PASSWORD, 'outra coisa')).status).to.equal(422);
    expect((await login(agent(portal), admin.email, PASSWORD)).status).to.equal(303);
  });

  it('is rate-limited per e-mail, with the same answer for unknown e-mails', async () => {
    const { admin } = await createAccount(portal.db);
    const unknown = uniqueEmail('ninguem');
    for (let i = 0; i < 5; i++) {
      expect((await ask(admin.email)).status).to.equal(200);
      expect((await ask(unknown)).status).to.equal(200);
    }
    const known = await ask(admin.email);
    const other = await ask(unknown);
    expect(known.status).to.equal(429);
    expect(other.status).to.equal(429);
    expect(known.text).to.contain('Muitas tentativas');
  });
});
