/**
 * A line break typed into a name used to write a line of its own into the text part of mails (a
 * phishing link on its own line, sent from the portal's domain). Every text field refuses control
 * characters when the form is checked, with the message next to the field, and writes nothing;
 * multi-line fields (a ticket's description, a comment) keep their line breaks.
 */
import { expect } from 'chai';
import type { Knex } from 'knex';
import { addMember, createAccount, PASSWORD, uniqueEmail } from '../support/fixtures';
import { agent, csrfFrom, loggedIn, sharedPortal, startPortal, type Agent, type TestPortal } from '../support/portal';
import { decode, fieldError, newAdmin, validContact } from './helpers/contacts';
import { invite, mailedLink, registration } from './helpers/invitations';

const SINGLE_LINE = 'Use apenas texto, sem quebras de linha nem caracteres de controle.';
const CONTROL_CHARACTERS = 'Use apenas texto, sem caracteres de controle.';
const EVIL = 'Ana\r\nhttp://evil.example/login';

interface Case {
  form: string;
  field: string;
  /** Posts the form with `value` in `field`; answers the response. */
  post(value: string): Promise<{ status: number; text: string }>;
  /** True when the post wrote nothing the value could have reached. */
  nothingWritten(): Promise<boolean>;
}

const countOf = async (db: Knex, table: string, where: Record<string, unknown> = {}) => Number((await db(table).where(where).count({ n: '*' }).first())!.n);

describe('control characters in text fields', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  /** One form per row: each is set up on its own account, then posted with a line break in one field. */
  const cases: { form: string; field: string; make(): Promise<Case> }[] = [
    {
      form: 'Meu perfil', field: 'name',
      async make() {
        const { admin } = await createAccount(portal.db);
        const me = await loggedIn(portal, admin.email, PASSWORD);
        return {
          form: 'Meu perfil', field: 'name',
          post: (name) => me.agent.post('/me').type('form').send({ _csrf: me.csrf, name, locale: '' }),
          nothingWritten: async () => (await portal.db('users').where({ id: admin.userId }).first('name')).name === admin.name,
        };
      },
    },
    ...(['name', 'email'] as const).map((field) => ({
      form: 'Novo usuário', field,
      async make(): Promise<Case> {
        const { admin, accountId } = await createAccount(portal.db);
        const me = await loggedIn(portal, admin.email, PASSWORD);
        return {
          form: 'Novo usuário', field,
          post: (value) => me.agent.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: me.csrf, ...validContact(field === 'email' ? { email: value, emailConfirmation: value } : { name: value }) }),
          nothingWritten: async () => (await countOf(portal.db, 'contacts', { account_id: accountId })) === 1,
        };
      },
    })),
    {
      form: 'Editar usuário', field: 'name',
      async make() {
        const { admin, accountId } = await createAccount(portal.db);
        const member = await addMember(portal.db, accountId, { name: 'Bruno Membro' });
        const me = await loggedIn(portal, admin.email, PASSWORD);
        return {
          form: 'Editar usuário', field: 'name',
          post: (name) => me.agent.post(`/accounts/${accountId}/contacts/${member.contactId}/edit`).type('form').send({ _csrf: me.csrf, ...validContact({ name, email: member.email }) }),
          nothingWritten: async () => (await portal.db('contacts').where({ id: member.contactId }).first('name')).name === 'Bruno Membro',
        };
      },
    },
    {
      form: 'Aceitar convite (cadastro)', field: 'name',
      async make() {
        const admin = await newAdmin(portal, []);
        const email = uniqueEmail('convidado');
        await invite(admin, { addresses: email }).expect(200);
        const { path } = await mailedLink(portal, email, '/invitations/');
        const person = agent(portal);
        return {
          form: 'Aceitar convite (cadastro)', field: 'name',
          post: async (name) => {
            const csrf = await csrfFrom(person, path);
            return person.post(path).type('form').send({ _csrf: csrf, ...registration({ name }) });
          },
          nothingWritten: async () => !(await portal.db('users').where({ email }).first()) && !(await portal.db('contacts').where({ account_id: admin.accountId, email }).first('user_id')).user_id,
        };
      },
    },
    ...(['name', 'description'] as const).map((field) => ({
      form: 'Grupo de permissões', field,
      async make(): Promise<Case> {
        const { admin, accountId } = await createAccount(portal.db);
        const me = await loggedIn(portal, admin.email, PASSWORD);
        return {
          form: 'Grupo de permissões', field,
          post: (value) => me.agent.post(`/accounts/${accountId}/groups`).type('form').send({ _csrf: me.csrf, name: 'Suporte', description: 'Atende chamados', [field]: value }),
          nothingWritten: async () => (await countOf(portal.db, 'groups', { account_id: accountId })) === 0,
        };
      },
    })),
    {
      form: 'Alterar e-mail', field: 'newEmail',
      async make() {
        const { admin } = await createAccount(portal.db);
        const me = await loggedIn(portal, admin.email, PASSWORD);
        return {
          form: 'Alterar e-mail', field: 'newEmail',
          post: (value) => me.agent.post('/me/email').type('form').send({ _csrf: me.csrf, newEmail: value.replace('Ana', uniqueEmail('novo')), password: PASSWORD }),
          nothingWritten: async () => (await countOf(portal.db, 'user_tokens', { user_id: admin.userId })) === 0,
        };
      },
    },
    {
      form: 'Novo chamado', field: 'subject',
      async make() {
        const { admin, accountId } = await createAccount(portal.db);
        const me = await loggedIn(portal, admin.email, PASSWORD);
        return {
          form: 'Novo chamado', field: 'subject',
          post: (subject) => me.agent.post(`/accounts/${accountId}/p/support`).type('form').send({ _csrf: me.csrf, subject, description: 'Não consigo emitir a nota.', category: 'question', priority: 'low' }),
          nothingWritten: async () => (await countOf(portal.db, 'support_tickets', { account_id: accountId })) === 0,
        };
      },
    },
  ];

  for (const row of cases) {
    it(`${row.form}: "${row.field}" with CR LF and a link is refused next to the field, and nothing is written`, async () => {
      const c = await row.make();
      const value = row.field === 'newEmail' ? `Ana\r\nBcc: victim@example.test` : row.field === 'email' ? `${uniqueEmail('x')}\r\nBcc: victim@example.test` : EVIL;
      const res = await c.post(value);
      expect(res.status, decode(res.text).slice(0, 300)).to.equal(422);
      expect(fieldError(res.text, c.field)).to.equal(SINGLE_LINE);
      expect(await c.nothingWritten()).to.equal(true);
    });
  }

  it('a U+2028 line separator in a name is refused as well', async () => {
    const { admin } = await createAccount(portal.db);
    const me = await loggedIn(portal, admin.email, PASSWORD);
    const res = await me.agent.post('/me').type('form').send({ _csrf: me.csrf, name: 'Ana\u2028http://evil.example', locale: '' });
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'name')).to.equal(SINGLE_LINE);
  });

  it('first-run setup: company and person names with CR LF are refused and nothing is created', async () => {
    const fresh = await startPortal();
    const a = agent(fresh);
    for (const field of ['companyName', 'name']) {
      const body = { companyName: 'Acme Ltda', cnpj: '', name: 'Carla Fundadora', email: 'carla@example.test', password: 'senha do administrador', passwordConfirmation: 'senha do administrador', [field]: EVIL };
      const csrf = await csrfFrom(a, '/setup');
      const res = await a.post('/setup').type('form').send({ _csrf: csrf, setupCode: fresh.setupCode ?? '', ...body });
      expect(res.status, field).to.equal(422);
      expect(fieldError(res.text, field), field).to.equal(SINGLE_LINE);
    }
    expect(await countOf(fresh.db, 'accounts')).to.equal(0);
    expect(await countOf(fresh.db, 'users')).to.equal(0);
  });

  describe('support tickets: description and comments keep their line breaks, not other controls', () => {
    async function ticketForm(a: Agent, csrf: string, base: string, description: string) {
      return a.post(base).type('form').send({ _csrf: csrf, subject: 'Nota fiscal', description, category: 'question', priority: 'low' });
    }

    it('a description with line breaks is accepted and kept as typed; an escape character is refused; the same for comments', async () => {
      const { admin, accountId } = await createAccount(portal.db);
      const me = await loggedIn(portal, admin.email, PASSWORD);
      const base = `/accounts/${accountId}/p/support`;
      const refused = await ticketForm(me.agent, me.csrf, base, 'Erro:\u001b[31m vermelho');
      expect(refused.status).to.equal(422);
      expect(fieldError(refused.text, 'description')).to.equal(CONTROL_CHARACTERS);
      expect(await countOf(portal.db, 'support_tickets', { account_id: accountId })).to.equal(0);

      const description = 'Passos:\r\n1. Abrir a nota\r\n2. Salvar\r\n\r\nErro 500';
      const res = await ticketForm(me.agent, me.csrf, base, description);
      expect(res.status, decode(res.text).slice(0, 300)).to.equal(303);
      const stored = await portal.db('support_tickets').where({ account_id: accountId }).first('id', 'description');
      expect(stored.description.replace(/\r\n/g, '\n')).to.equal(description.replace(/\r\n/g, '\n'));

      const path = `${base}/${stored.id}/comments`;
      const bad = await me.agent.post(path).type('form').send({ _csrf: me.csrf, body: 'Oi\u0000' });
      expect(bad.status).to.equal(422);
      expect(fieldError(bad.text, 'body')).to.equal(CONTROL_CHARACTERS);
      expect((await me.agent.post(path).type('form').send({ _csrf: me.csrf, body: 'Linha 1\nLinha 2' })).status).to.equal(303);
      const comments = await portal.db('support_ticket_entries').where({ ticket_id: stored.id, kind: 'comment' }).select('body');
      expect(comments.map((c) => c.body)).to.deep.equal(['Linha 1\nLinha 2']);
    });
  });
});
