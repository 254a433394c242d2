import { expect } from 'chai';
import { agent, csrfFrom, login, startPortal, type Agent, type TestPortal } from '../support/portal';

const PASSWORD = 'senha do administrador';

const valid = (extra: Record<string, string> = {}) => ({
  companyName: 'Acme Indústria Ltda',
  cnpj: '',
  name: 'Carla Fundadora',
  email: 'carla.fundadora@example.test',
  password: PASSWORD,
  passwordConfirmation: PASSWORD,
  ...extra,
});

/** Sends the setup form with the code the portal printed at start-up (unless the body has its own). */
async function post(portal: TestPortal, a: Agent, body: Record<string, string>) {
  const _csrf = await csrfFrom(a, '/setup');
  return a.post('/setup').type('form').send({ _csrf, setupCode: portal.setupCode ?? '', ...body });
}

const count = async (portal: TestPortal, table: string) => Number((await portal.db(table).count({ n: '*' }).first())!.n);

/** The value attribute of the input named `name`. */
function fieldValue(html: string, name: string): string | undefined {
  const input = new RegExp(`<input[^>]*\\bname="${name}"[^>]*>`).exec(html)?.[0];
  return input ? /\bvalue="([^"]*)"/.exec(input)?.[1] : undefined;
}

/** The inline error shown under the field named `name`. */
const fieldError = (html: string, name: string) => new RegExp(`id="f-${name}-error">([^<]*)<`).exec(html)?.[1];

describe('first-run setup', () => {
  it('on an empty database, / and /login lead to /setup, which shows the form', async () => {
    const portal = await startPortal();
    const a = agent(portal);
    for (const path of ['/', '/login']) {
      const res = await a.get(path);
      expect(res.status, path).to.equal(302);
      expect(res.headers.location, path).to.equal('/setup');
    }
    const res = await a.get('/setup');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Configuração inicial');
    for (const name of ['setupCode', 'companyName', 'cnpj', 'name', 'email', 'password', 'passwordConfirmation']) {
      expect(fieldValue(res.text, name), name).to.equal('');
    }
  });

  it('refuses a missing or wrong one-time code with 422 and writes nothing; the printed code is accepted', async () => {
    const portal = await startPortal();
    expect(portal.setupCode).to.match(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const a = agent(portal);
    for (const setupCode of ['', 'AAAA-BBBB-CCCC']) {
      const res = await post(portal, a, valid({ setupCode }));
      expect(res.status, setupCode).to.equal(422);
      expect(fieldError(res.text, 'setupCode'), setupCode).to.equal('Código incorreto. Use o código mostrado no console onde o portal foi iniciado.');
      expect(fieldValue(res.text, 'password')).to.equal('');
      expect(await count(portal, 'accounts')).to.equal(0);
      expect(await count(portal, 'users')).to.equal(0);
    }
    // Typed as people copy it: lower case, spaces around.
    const res = await post(portal, a, valid({ setupCode: ` ${portal.setupCode!.toLowerCase()} ` }));
    expect(res.status).to.equal(303);
    expect(await count(portal, 'accounts')).to.equal(1);
  });

  it('each start on an empty database makes its own code, and none once an account exists', async () => {
    const first = await startPortal();
    const second = await startPortal();
    expect(first.setupCode).to.be.a('string');
    expect(second.setupCode).to.be.a('string').and.not.equal(first.setupCode);
    // The first portal's code does not open the second one.
    const res = await post(second, agent(second), valid({ setupCode: first.setupCode! }));
    expect(res.status).to.equal(422);
    expect(await count(second, 'accounts')).to.equal(0);

    expect((await post(first, agent(first), valid())).status).to.equal(303);
    const db = first.config.database;
    const restarted = await startPortal({ DATABASE_URL: db.client === 'sqlite' ? `sqlite:${db.filename}` : db.url });
    expect(restarted.setupCode).to.equal(null);
  });

  it('shows validation errors inline in pt-BR with 422, keeps typed values, and writes nothing', async () => {
    const portal = await startPortal();
    const a = agent(portal);
    const res = await post(portal, a, valid({ companyName: '  ', email: 'nao-e-email', password: 'curta', passwordConfirmation: 'curta' }));
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Corrija os campos destacados.');
    expect(fieldError(res.text, 'companyName')).to.equal('Campo obrigatório.');
    expect(fieldError(res.text, 'email')).to.equal('Informe um e-mail válido.');
    expect(fieldError(res.text, 'password')).to.equal('A senha precisa ter pelo menos 10 caracteres.');
    expect(fieldError(res.text, 'name')).to.equal(undefined);
    expect(fieldValue(res.text, 'name')).to.equal('Carla Fundadora');
    expect(fieldValue(res.text, 'email')).to.equal('nao-e-email');
    // Passwords are never sent back.
    expect(fieldValue(res.text, 'password')).to.equal('');
    expect(res.text).not.to.contain('curta');
    expect(await count(portal, 'accounts')).to.equal(0);
    expect(await count(portal, 'users')).to.equal(0);
    expect((await a.get('/setup')).status).to.equal(200);
  });

  describe('the registration rules apply to the first administrator\'s password: 422 next to the field, nothing written', () => {
    const cases: [string, string, string][] = [
      ['a common password', 'password123', 'Esta senha é muito comum ou fácil de adivinhar. Escolha outra.'],
      ['a keyboard row', 'qwertyuiop', 'Esta senha é muito comum ou fácil de adivinhar. Escolha outra.'],
      ['the e-mail', 'carla.fundadora@example.test', 'A senha não pode conter o seu e-mail.'],
      ['the e-mail\'s name part with a suffix', 'Carla.Fundadora2026', 'A senha não pode conter o seu e-mail.'],
    ];
    for (const [title, password, message] of cases) {
      it(title, async () => {
        const portal = await startPortal();
        const a = agent(portal);
        const res = await post(portal, a, valid({ password, passwordConfirmation: password }));
        expect(res.status).to.equal(422);
        expect(fieldError(res.text, 'password')).to.equal(message);
        expect(fieldValue(res.text, 'companyName')).to.equal('Acme Indústria Ltda');
        expect(await count(portal, 'accounts')).to.equal(0);
        expect(await count(portal, 'users')).to.equal(0);
        expect(await count(portal, 'audit_events')).to.equal(0);
        expect((await a.get('/setup')).status).to.equal(200);
      });
    }

    it('a blank e-mail is only "required": a strong password is not said to contain it', async () => {
      const portal = await startPortal();
      const res = await post(portal, agent(portal), valid({ email: '' }));
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'email')).to.equal('Campo obrigatório.');
      expect(fieldError(res.text, 'password')).to.equal(undefined);
    });

    it('in the language the browser asks for, with the other fields\' errors at once', async () => {
      const portal = await startPortal();
      const a = agent(portal).set('Accept-Language', 'es');
      const _csrf = await csrfFrom(a, '/setup');
      const res = await a.post('/setup').set('Accept-Language', 'es').type('form')
        .send({ _csrf, setupCode: portal.setupCode ?? '', ...valid({ companyName: ' ', password: 'qwertyuiop', passwordConfirmation: 'qwertyuiop' }) });
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'password')).to.equal('Esta contraseña es muy común o fácil de adivinar. Elija otra.');
      expect(fieldError(res.text, 'companyName')).to.not.equal(undefined);
      expect(await count(portal, 'users')).to.equal(0);
    });
  });

  it('refuses a password confirmation that does not match', async () => {
    const portal = await startPortal();
    const res = await post(portal, agent(portal), valid({ passwordConfirmation: 'outra senha qualquer' }));
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'passwordConfirmation')).to.equal('As senhas não conferem.');
    expect(fieldValue(res.text, 'companyName')).to.equal('Acme Indústria Ltda');
    expect(await count(portal, 'accounts')).to.equal(0);
  });

  it('creates the account and its administrator, then disappears; the administrator logs in', async () => {
    const portal = await startPortal();
    const a = agent(portal);
    const res = await post(portal, a, valid({ email: 'Carla.Fundadora@Example.test' }));
    expect(res.status).to.equal(303);
    // The login form comes with the administrator's e-mail filled in: only the password is left.
    expect(res.headers.location).to.equal('/login?email=carla.fundadora%40example.test');
    const loginPage = await a.get(res.headers.location!);
    expect(loginPage.status).to.equal(200);
    expect(loginPage.text).to.contain('Empresa criada. Entre com o e-mail e a senha do administrador.');
    expect(loginPage.text).to.match(/<input[^>]*name="email"[^>]*value="carla.fundadora@example.test"/);

    const account = await portal.db('accounts').first('id', 'name', 'document', 'owner_contact_id');
    expect(account).to.include({ name: 'Acme Indústria Ltda', document: null });
    const contact = await portal.db('contacts').where({ id: account.owner_contact_id }).first('status', 'profile', 'email', 'user_id');
    expect(contact).to.include({ status: 'active', profile: 'administrator', email: 'carla.fundadora@example.test' });
    const audit = await portal.db('audit_events').where({ account_id: account.id }).select('action', 'actor_user_id');
    expect(audit).to.deep.equal([{ action: 'account.created', actor_user_id: contact.user_id }]);

    // Gone once an account exists, for GET and POST alike.
    const again = await a.get('/setup');
    expect(again.status).to.equal(404);
    expect(again.text).to.contain('Página não encontrada');
    const token = await csrfFrom(a, '/login');
    const second = await a.post('/setup').type('form').send({ _csrf: token, setupCode: portal.setupCode, ...valid({ companyName: 'Segunda', email: 'outra@example.test' }) });
    expect(second.status).to.equal(404);
    expect(await count(portal, 'accounts')).to.equal(1);
    const root = await a.get('/');
    expect(root.headers.location).to.equal('/login');

    const loggedIn = await login(a, 'carla.fundadora@example.test', PASSWORD);
    expect(loggedIn.status).to.equal(303);
    const home = await a.get(`/accounts/${account.id}`);
    expect(home.status).to.equal(200);
    expect(home.text).to.contain('Acme Indústria Ltda');
    expect(home.text).to.contain('Usuários do Sistema');
  });

  it('refuses an invalid CNPJ', async () => {
    const portal = await startPortal();
    const res = await post(portal, agent(portal), valid({ cnpj: '12.345.678/0001-00' }));
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'cnpj')).to.equal('CNPJ inválido.');
    expect(fieldValue(res.text, 'cnpj')).to.equal('12.345.678/0001-00');
    expect(await count(portal, 'accounts')).to.equal(0);
  });

  it('accepts a valid numeric CNPJ and stores it without the mask', async () => {
    const portal = await startPortal();
    const res = await post(portal, agent(portal), valid({ cnpj: '11.222.333/0001-81' }));
    expect(res.status).to.equal(303);
    expect(await portal.db('accounts').first('document')).to.deep.equal({ document: '11222333000181' });
  });

  it('accepts the alphanumeric CNPJ 12.ABC.345/01DE-35', async () => {
    const portal = await startPortal();
    const res = await post(portal, agent(portal), valid({ cnpj: '12.ABC.345/01DE-35' }));
    expect(res.status).to.equal(303);
    expect(await portal.db('accounts').first('document')).to.deep.equal({ document: '12ABC34501DE35' });
  });

  it('creates exactly one company when several setups are sent at the same moment', async () => {
    const portal = await startPortal();
    const agents = Array.from({ length: 5 }, () => agent(portal));
    const tokens = await Promise.all(agents.map((a) => csrfFrom(a, '/setup')));
    const answers = await Promise.all(
      agents.map((a, i) => a.post('/setup').type('form').send({ _csrf: tokens[i], setupCode: portal.setupCode, ...valid({ email: `fundador${i}@example.test`, companyName: `Empresa ${i}` }) })),
    );
    expect(answers.map((r) => r.status).sort()).to.deep.equal([303, 404, 404, 404, 404]);
    expect(await count(portal, 'accounts')).to.equal(1);
    expect(await count(portal, 'contacts')).to.equal(1);
  });
});
