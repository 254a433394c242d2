import { expect } from 'chai';
import supertest from 'supertest';
import { createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, startPortal } from '../support/portal';

describe('GET /healthz', () => {
  it('answers ok when the database answers', async () => {
    const portal = await sharedPortal();
    const res = await supertest(portal.app).get('/healthz');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok', db: 'ok' });
  });

  it('answers 503 with db down when the database is unreachable', async () => {
    const portal = await startPortal();
    await portal.db.destroy(); // the pool is gone: every query fails
    const res = await supertest(portal.app).get('/healthz');
    expect(res.status).to.equal(503);
    expect(res.body.db).to.equal('down');
  });
});

describe('the database away and back', () => {
  it('pages answer 503 in words and /healthz 503 while it is away; both recover by themselves', async () => {
    const portal = await startPortal();
    const { accountId, admin } = await createAccount(portal.db);
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    expect((await a.get(`/accounts/${accountId}/contacts`)).status).to.equal(200);

    await portal.db.destroy(); // every query now fails as with a stopped server
    const page = await a.get(`/accounts/${accountId}/contacts`).set('Accept', 'text/html');
    expect(page.status).to.equal(503);
    expect(page.headers['retry-after']).to.equal('10');
    expect(page.text).to.contain('Serviço indisponível').and.contain('O portal não consegue acessar seus dados neste momento.');
    expect((await a.get('/healthz')).status).to.equal(503);

    portal.db.initialize(); // the database is back: a new pool, nothing restarted
    expect((await a.get('/healthz')).status).to.equal(200);
    const back = await a.get(`/accounts/${accountId}/contacts`);
    expect(back.status).to.equal(200);
    expect(back.text).to.contain(admin.name);
  });
});
