import { expect } from 'chai';
import supertest from 'supertest';
import { createAccount, PASSWORD } from '../support/fixtures';
import { agent, csrfFrom, loggedIn, sharedPortal, startPortal, type TestPortal } from '../support/portal';

const SERVER_ERROR = 'Ocorreu um erro inesperado. Tente novamente em instantes.';

/** Anything that gives away the code or the database: a stack frame, an error name, the SQL. */
function expectNoInternals(text: string) {
  expect(text).not.to.contain('class="stack"');
  expect(text).not.to.match(/\bat .+:\d+:\d+/);
  expect(text).not.to.match(/\b\w*Error\b/);
  expect(text).not.to.match(/accounts_gone|no such table|doesn't exist|select /i);
  expect(text).not.to.contain('node_modules');
}

/** A portal whose `accounts` table is gone: the front door (/login) fails with a real 500. */
async function brokenPortal(env: Record<string, string>): Promise<TestPortal> {
  const portal = await startPortal(env);
  await createAccount(portal.db);
  await portal.db.schema.renameTable('accounts', 'accounts_gone');
  return portal;
}

describe('error pages', () => {
  it('an unknown address gives the pt-BR 404 page', async () => {
    const portal = await sharedPortal();
    const res = await supertest(portal.app).get('/nao-existe').set('Accept', 'text/html');
    expect(res.status).to.equal(404);
    expect(res.headers['content-type']).to.match(/^text\/html/);
    expect(res.text).to.contain('Página não encontrada');
    expect(res.text).to.contain('A página ou o registro que você procura não existe.');
    expect(res.text).to.match(/<a\s[^>]*href="\/"[^>]*>Voltar ao início<\/a>/);
  });

  it('the 404 page follows Accept-Language', async () => {
    const portal = await sharedPortal();
    const res = await supertest(portal.app).get('/nao-existe').set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(res.status).to.equal(404);
    expect(res.text).to.contain('Page not found');
  });

  it('a client that does not take HTML gets the 404 as JSON', async () => {
    const portal = await sharedPortal();
    const res = await supertest(portal.app).get('/nao-existe').set('Accept', 'application/json');
    expect(res.status).to.equal(404);
    expect(res.body).to.deep.equal({ error: 'A página ou o registro que você procura não existe.' });
  });

  for (const env of ['production', 'test']) {
    it(`a 500 in ${env} shows the pt-BR error page without a stack trace`, async () => {
      const portal = await brokenPortal({ NODE_ENV: env });
      const res = await supertest(portal.app).get('/login').set('Accept', 'text/html');
      expect(res.status).to.equal(500);
      expect(res.text).to.contain('Erro interno');
      expect(res.text).to.contain(SERVER_ERROR);
      expectNoInternals(res.text);

      const htmx = await supertest(portal.app).get('/login').set('HX-Request', 'true');
      expect(htmx.status).to.equal(500);
      expect(htmx.text).to.equal(SERVER_ERROR);
    });
  }

  it('in development, the same 500 shows the stack trace', async () => {
    const portal = await brokenPortal({ NODE_ENV: 'development' });
    const res = await supertest(portal.app).get('/login').set('Accept', 'text/html');
    expect(res.status).to.equal(500);
    expect(res.text).to.contain(SERVER_ERROR);
    expect(res.text).to.contain('class="stack"');
    expect(res.text).to.match(/\bat .+:\d+:\d+/);
  });

  it('a database failure while signing in is the error page, never "E-mail ou senha inválidos."', async () => {
    const portal = await startPortal();
    const { admin } = await createAccount(portal.db);
    const a = agent(portal);
    const csrf = await csrfFrom(a, '/login');
    // The attempt counters fail (as a conflict past its reruns would); the session store still works.
    await portal.db.schema.renameTable('rate_limits', 'rate_limits_gone');
    const res = await a.post('/login').type('form').send({ _csrf: csrf, email: admin.email, password: PASSWORD });
    expect(res.status).to.equal(500);
    expect(res.text).to.contain(SERVER_ERROR).and.not.contain('E-mail ou senha inválidos.');
    expectNoInternals(res.text);
  });

  it('when the database goes away under a logged-in user, the answer is a 503 page in pt-BR, not a stack or a crash', async () => {
    const portal = await startPortal();
    const { admin } = await createAccount(portal.db);
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    await portal.db.destroy(); // every query fails from here on, the session store's too

    // An unhandled rejection ends a Node process in production; mocha would only swallow it.
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const res = await a.get('/accounts').set('Accept', 'text/html');
      expect(res.status).to.equal(503);
      expect(res.text).to.contain('<h1>Serviço indisponível</h1>').and.contain('O portal não consegue acessar seus dados neste momento.');
      expectNoInternals(res.text);
      expect((await supertest(portal.app).get('/healthz')).status).to.equal(503);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', record);
    }
    expect(unhandled.map(String), 'unhandled rejections').to.deep.equal([]);
  });
});
