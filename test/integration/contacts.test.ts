import { expect } from 'chai';
import { cpf } from 'cpf-cnpj-validator';
import { maskCpf } from '../../server/audit/event-format';
import { activatePending, addMember, PASSWORD, uniqueEmail } from '../support/fixtures';
import { agent, loggedIn, login, sharedPortal, type TestPortal } from '../support/portal';
import {
  auditEventsOf,
  contactsOf,
  countersOf,
  cpfStartingWith,
  decode,
  distinctCpf,
  expectCountersExact,
  fieldError,
  fieldsWithErrors,
  flashes,
  inputValue,
  listedNames,
  selectedOption,
  validContact,
  newAdmin,
  postForm,
  type Admin,
} from './helpers/contacts';

const SAVED = 'Registro salvo com sucesso!';
const REMOVED = 'Registro removido com sucesso!';
const FIX_FIELDS = 'Corrija os campos destacados.';
const REQUIRED = 'Campo obrigatório.';
const CPF_INVALID = 'CPF inválido: confira os dígitos.';
const DOCUMENT_INVALID = 'Documento inválido: use de 3 a 30 letras, números, ".", "-" ou "/".';
const DDD_INVALID = 'Informe um DDD válido do Brasil.';
const AREA_CODE_OTHER = 'Código de área inválido: use de 1 a 5 dígitos.';
const PHONE_BR = 'Informe um telefone com 8 ou 9 dígitos (celular começa com 9).';
const PHONE_OTHER = 'Informe um telefone com 4 a 15 dígitos.';
const EMAIL_INVALID = 'Informe um e-mail válido.';
const EMAIL_MISMATCH = 'A confirmação não confere com o e-mail.';
const EMAIL_TAKEN = 'Já existe um usuário com este e-mail nesta empresa.';
const CPF_TAKEN = 'Já existe um usuário com este CPF nesta empresa.';
const DOCUMENT_TAKEN = 'Já existe um usuário com este documento nesta empresa.';
const FORBIDDEN = 'Você não tem permissão para acessar esta página.';
const NOT_FOUND = 'A página ou o registro que você procura não existe.';
const CSRF_MESSAGE = 'Sua sessão expirou ou o formulário é antigo. Recarregue a página e tente novamente.';
const EDIT_OWNER = 'Somente o administrador principal pode alterar os próprios dados.';
const NO_ACCESS = 'Seu usuário não tem acesso ativo a nenhuma empresa.';

/** A contact outside Brasil: passport, no area code, phone of 9 digits. */
const FOREIGN = { country: 'PT', documentType: 'passport', document: 'ab 123456', areaCode: '', phone: '912 345 678' };

type Method = 'get' | 'post';

describe('contact administration', () => {
  let portal: TestPortal;
  const accountIds: number[] = [];

  before(async () => {
    portal = await sharedPortal();
  });

  // The account row's counters must equal the real counts after everything this file did.
  after(async () => {
    await expectCountersExact(portal.db, accountIds);
  });

  const newAccount = (options: { seatLimit?: number } = {}) => newAdmin(portal, accountIds, options);
  const add = (s: Admin, form: Record<string, string>) => postForm(s, '', form);
  const edit = (s: Admin, id: number, form: Record<string, string>) => postForm(s, `/${id}/edit`, form);
  const post = postForm;
  const contactRow = async (id: number) => portal.db('contacts').where({ id }).first();
  const countContacts = async (accountId: number) => (await contactsOf(portal.db, accountId)).length;

  /** Adds a contact through the form and returns its id (from the redirect): pending, invited. */
  async function addPending(s: Admin, overrides: Record<string, string> = {}): Promise<number> {
    const res = await add(s, validContact(overrides));
    expect(res.status, decode(res.text)).to.equal(303);
    const id = Number(/\?saved=(\d+)$/.exec(res.headers.location!)?.[1]);
    expect(id).to.be.greaterThan(0);
    return id;
  }

  /** Adds a contact through the form, then the person accepts: an active contact. */
  async function addOk(s: Admin, overrides: Record<string, string> = {}): Promise<number> {
    const id = await addPending(s, overrides);
    await activatePending(portal.db, s.accountId, id);
    return id;
  }

  // -------------------------------------------------------------------------------------------
  describe('list', () => {
    it('shows the tabs Ativos / Pendentes / Desativados with their counts and the seat gauge', async () => {
      const s = await newAccount({ seatLimit: 10 });
      await addMember(portal.db, s.accountId, { name: 'Ativo Um' });
      await addMember(portal.db, s.accountId, { name: 'Pendente Um', status: 'pending' });
      await addMember(portal.db, s.accountId, { name: 'Pendente Dois', status: 'pending' });
      await addMember(portal.db, s.accountId, { name: 'Desativado Um', status: 'deactivated' });
      const res = await s.agent.get(s.base);
      expect(res.status).to.equal(200);
      const text = decode(res.text);
      expect(text).to.contain('<h1>Usuários do Sistema</h1>');
      // The two buttons say in one line each what they are for.
      expect(text).to.contain('<strong>Convidar usuários:</strong> Várias pessoas de uma vez, só pelo e-mail');
      expect(text).to.contain('<strong>Adicionar usuário:</strong> Uma pessoa, com os dados preenchidos por você');
      expect(text).to.match(/Ativos <span class="count">\(2\)<\/span>/);
      expect(text).to.match(/Pendentes <span class="count">\(2\)<\/span>/);
      expect(text).to.match(/Desativados <span class="count">\(1\)<\/span>/);
      // Pending and active use seats; deactivated ones do not.
      expect(text).to.contain('4 de 10 licenças em uso');
      expect(listedNames(res.text)).to.deep.equal(['Ana Administradora', 'Ativo Um']);
    });

    it('each tab lists only the contacts in that status', async () => {
      const s = await newAccount();
      await addMember(portal.db, s.accountId, { name: 'Ativo Um' });
      await addMember(portal.db, s.accountId, { name: 'Pendente Um', status: 'pending' });
      await addMember(portal.db, s.accountId, { name: 'Desativado Um', status: 'deactivated' });
      expect(listedNames((await s.agent.get(`${s.base}?status=active`)).text)).to.deep.equal(['Ana Administradora', 'Ativo Um']);
      expect(listedNames((await s.agent.get(`${s.base}?status=pending`)).text)).to.deep.equal(['Pendente Um']);
      expect(listedNames((await s.agent.get(`${s.base}?status=deactivated`)).text)).to.deep.equal(['Desativado Um']);
      // An unknown status shows the active tab.
      expect(listedNames((await s.agent.get(`${s.base}?status=whatever`)).text)).to.deep.equal(['Ana Administradora', 'Ativo Um']);
    });

    it('an empty tab says so', async () => {
      const s = await newAccount();
      const res = await s.agent.get(`${s.base}?status=pending`);
      expect(res.status).to.equal(200);
      expect(res.text).to.contain('Nenhum usuário nesta situação.');
    });

    it('shows CPF and phone the way Brazilians read them, and marks the primary administrator', async () => {
      const s = await newAccount();
      await addOk(s, { name: 'Zeca Zeros', document: '01234567890', areaCode: '11', phone: '987654321' });
      const res = await s.agent.get(s.base);
      expect(res.text).to.contain('012.345.678-90');
      expect(res.text).to.contain('(11) 98765-4321');
      expect(res.text).to.match(/Ana Administradora<\/a> <span class="badge">Administrador principal<\/span>/);
    });

    describe('search', () => {
      let s: Admin;
      let cpfJoao: string;
      before(async () => {
        s = await newAccount();
        cpfJoao = cpfStartingWith('123456');
        await addOk(s, { name: 'João da Silva', document: cpfJoao, email: 'joao.silva@exemplo.test', emailConfirmation: 'joao.silva@exemplo.test' });
        await addOk(s, { name: 'Maria Souza', email: 'maria@outra.test', emailConfirmation: 'maria@outra.test' });
        await addOk(s, { name: 'Joana Prado', email: 'jprado@exemplo.test', emailConfirmation: 'jprado@exemplo.test' });
      });
      const search = async (q: string, extra = '') => {
        const res = await s.agent.get(`${s.base}?q=${encodeURIComponent(q)}${extra}`);
        expect(res.status).to.equal(200);
        return listedNames(res.text);
      };

      it('by name, ignoring accents and case: "joao" finds "João"', async () => {
        expect(await search('joao')).to.deep.equal(['João da Silva']);
        expect(await search('JOÃO')).to.deep.equal(['João da Silva']);
        expect(await search('silva')).to.deep.equal(['João da Silva']);
      });

      it('by the beginning of a word, every word typed must match', async () => {
        expect(await search('jo')).to.deep.equal(['Joana Prado', 'João da Silva']);
        expect(await search('jo pra')).to.deep.equal(['Joana Prado']);
        expect(await search('maria silva')).to.deep.equal([]);
      });

      it('by e-mail', async () => {
        expect(await search('maria@outra.test')).to.deep.equal(['Maria Souza']);
        expect(await search('JPRADO@')).to.deep.equal(['Joana Prado']);
      });

      it("by the e-mail's domain: the company's people by their address", async () => {
        expect(await search('exemplo')).to.deep.equal(['Joana Prado', 'João da Silva']);
        expect(await search('exemplo.test')).to.deep.equal(['Joana Prado', 'João da Silva']);
        expect(await search('outra.test')).to.deep.equal(['Maria Souza']);
        expect(await search('joana exemplo')).to.deep.equal(['Joana Prado']);
      });

      it('by CPF, typed with or without mask: "123.456" and "123456" both match', async () => {
        expect(await search('123.456')).to.deep.equal(['João da Silva']);
        expect(await search('123456')).to.deep.equal(['João da Silva']);
        expect(await search(cpf.format(cpfJoao))).to.deep.equal(['João da Silva']);
        expect(await search(cpfJoao)).to.deep.equal(['João da Silva']);
      });

      it('says when nothing matches, naming what was typed', async () => {
        const res = await s.agent.get(`${s.base}?q=ninguem`);
        expect(listedNames(res.text)).to.deep.equal([]);
        expect(decode(res.text)).to.contain('Nenhum usuário encontrado para "ninguem".');
      });

      it('keeps the typed search in the search box', async () => {
        const res = await s.agent.get(`${s.base}?q=${encodeURIComponent('joão')}`);
        expect(inputValue(res.text, 'q')).to.equal('joão');
      });

      it('searches only within the account and the status tab', async () => {
        const other = await newAccount();
        await addOk(other, { name: 'João de Outra Empresa' });
        expect(await search('joao')).to.deep.equal(['João da Silva']);
        expect(await search('joao', '&status=deactivated')).to.deep.equal([]);
      });
    });

    it('sorts by name, or by creation (newest first)', async () => {
      const s = await newAccount();
      await addOk(s, { name: 'Carlos Terceiro' });
      await addOk(s, { name: 'Bruna Segunda' });
      await addOk(s, { name: 'Zilda Quarta' });
      expect(listedNames((await s.agent.get(s.base)).text)).to.deep.equal(['Ana Administradora', 'Bruna Segunda', 'Carlos Terceiro', 'Zilda Quarta']);
      expect(listedNames((await s.agent.get(`${s.base}?sort=name`)).text)).to.deep.equal(['Ana Administradora', 'Bruna Segunda', 'Carlos Terceiro', 'Zilda Quarta']);
      const created = await s.agent.get(`${s.base}?sort=created`);
      expect(listedNames(created.text)).to.deep.equal(['Zilda Quarta', 'Bruna Segunda', 'Carlos Terceiro', 'Ana Administradora']);
      expect(selectedOption(created.text, 'sort')).to.equal('created');
    });

    it('pages of 25 with next and previous links that keep the search and the sort', async () => {
      const s = await newAccount();
      const names = Array.from({ length: 27 }, (_, i) => `Pessoa ${String(i + 1).padStart(2, '0')}`);
      for (const name of names) await addMember(portal.db, s.accountId, { name });

      const first = await s.agent.get(s.base);
      const page1 = listedNames(first.text);
      expect(page1).to.have.length(25);
      expect(page1[0]).to.equal('Ana Administradora');
      expect(first.text).to.contain('Página 1');
      expect(first.text).not.to.contain('rel="prev"');
      // The next link carries where this page ended (the 25th contact's id and name).
      const last = await portal.db('contacts').where({ account_id: s.accountId, name: 'Pessoa 24' }).first('id');
      expect(first.text).to.match(new RegExp(`href="${s.base}\\?page=2&(amp;)?after=${last.id}.Pessoa\\+24"[^>]*rel="next">Próxima<`));

      const second = await s.agent.get(`${s.base}?page=2`);
      const page2 = listedNames(second.text);
      expect(page2).to.deep.equal(['Pessoa 25', 'Pessoa 26', 'Pessoa 27']);
      expect(second.text).to.contain('Página 2');
      expect(second.text).not.to.contain('rel="next"');
      expect(second.text).to.match(new RegExp(`href="${s.base}"[^>]*rel="prev">Anterior<`));
      expect(new Set([...page1, ...page2]).size).to.equal(28);

      // With a search and a sort, the links carry them along.
      const searched = await s.agent.get(`${s.base}?q=pessoa&sort=created`);
      expect(listedNames(searched.text)).to.have.length(25);
      expect(listedNames(searched.text)[0]).to.equal('Pessoa 27');
      const newest25th = await portal.db('contacts').where({ account_id: s.accountId, name: 'Pessoa 03' }).first('id');
      expect(searched.text).to.match(new RegExp(`href="${s.base}\\?q=pessoa&(amp;)?sort=created&(amp;)?page=2&(amp;)?after=${newest25th.id}"[^>]*rel="next"`));
      const searched2 = await s.agent.get(`${s.base}?q=pessoa&sort=created&page=2`);
      expect(listedNames(searched2.text)).to.deep.equal(['Pessoa 02', 'Pessoa 01']);
    });

    it('an HTMX request targeting contacts-results answers only that fragment, without the layout', async () => {
      const s = await newAccount({ seatLimit: 7 });
      await addMember(portal.db, s.accountId, { name: 'Ativo Um' });
      const res = await s.agent.get(`${s.base}?q=ativo`).set('HX-Request', 'true').set('HX-Target', 'contacts-results');
      expect(res.status).to.equal(200);
      expect(res.text.trim()).to.match(/^<div id="contacts-results">[\s\S]*<\/div>$/);
      expect(res.text).not.to.contain('<html');
      expect(res.text).not.to.contain('<header');
      expect(res.text).not.to.contain('licenças em uso');
      expect(listedNames(res.text)).to.deep.equal(['Ativo Um']);
      expect(res.text).to.match(/Ativos <span class="count">\(2\)<\/span>/);

      // Another target, or no HTMX at all: the whole page.
      for (const req of [s.agent.get(s.base).set('HX-Request', 'true').set('HX-Target', 'main'), s.agent.get(s.base)]) {
        const page = await req;
        expect(page.text).to.contain('<html');
        expect(page.text).to.contain('2 de 7 licenças em uso');
        expect(page.text).to.contain('<div id="contacts-results">');
      }
    });

    it('asks an anonymous visitor to log in', async () => {
      const s = await newAccount();
      const res = await agent(portal).get(s.base);
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/login');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('add', () => {
    it('shows the form: País, Nome, CPF, DDD, Telefone, E-mail, Confirmação, consultoria', async () => {
      const s = await newAccount();
      const res = await s.agent.get(`${s.base}/new`);
      expect(res.status).to.equal(200);
      const text = decode(res.text);
      expect(text).to.contain('<h1>Adicionar usuário</h1>');
      for (const label of ['País', 'Nome', 'CPF', 'DDD', 'Telefone', 'E-mail', 'Confirmação de e-mail', 'Autorizado para utilizar consultoria?']) {
        expect(text).to.match(new RegExp(`<label for="f-\\w+">${label.replace('?', '\\?')}`), label);
      }
      expect(selectedOption(res.text, 'country')).to.equal('BR');
      expect(res.text).to.contain('<option value="BR" selected>Brasil</option>');
    });

    it('saves a Brazilian contact as pending and invites it: 303 to the form with "Convite enviado…" and the two links', async () => {
      const s = await newAccount();
      const document = distinctCpf();
      const email = uniqueEmail('Nova.Pessoa').toUpperCase();
      const res = await add(s, { ...validContact({ name: 'Nova Pessoa', document: cpf.format(document), areaCode: '(21)', phone: '3456-7890', email, emailConfirmation: email.toLowerCase() }), consultingAuthorized: 'on' });
      expect(res.status).to.equal(303);
      const id = Number(/^\/accounts\/\d+\/contacts\/new\?saved=(\d+)$/.exec(res.headers.location!)?.[1]);
      expect(res.headers.location).to.equal(`${s.base}/new?saved=${id}`);

      const page = await s.agent.get(res.headers.location!);
      expect(page.status).to.equal(200);
      // The end page names the person and leads to "Pendentes", where the person now is.
      expect(decode(page.text)).to.contain(`Convite enviado para Nova Pessoa (${email.toLowerCase()}).`);
      expect(page.text).to.match(new RegExp(`<a class="button primary" href="${s.base}/new">Adicionar novo usuário</a>`));
      expect(page.text).to.match(new RegExp(`<a class="button" href="${s.base}\\?status=pending">Ver pendentes</a>`));

      const row = await contactRow(id);
      expect(row).to.deep.include({
        account_id: s.accountId, name: 'Nova Pessoa', email: email.toLowerCase(), country: 'BR', document_type: 'cpf',
        document_number: document, area_code: '21', phone: '34567890', status: 'pending', user_id: null, profile: 'member', created_by_contact_id: s.admin.contactId,
      });
      expect(Boolean(row.consulting_authorized)).to.equal(true);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 1, deactivated: 0 });
      await expectCountersExact(portal.db, s.accountId);
      expect(listedNames((await s.agent.get(`${s.base}?status=pending`)).text)).to.include('Nova Pessoa');
    });

    it('stores the CPF as 11 digits with its leading zeros, typed with or without mask', async () => {
      const s = await newAccount();
      const masked = await addOk(s, { document: '012.345.678-90' });
      const plain = await addOk(s, { document: '00123456797' });
      const spaced = await addOk(s, { document: cpf.format(distinctCpf()).replace(/[.-]/g, ' ') });
      expect((await contactRow(masked)).document_number).to.equal('01234567890');
      expect((await contactRow(plain)).document_number).to.equal('00123456797');
      expect((await contactRow(spaced)).document_number).to.match(/^\d{11}$/);
      const show = await s.agent.get(`${s.base}/${plain}`);
      expect(show.text).to.contain('001.234.567-97');
    });

    it('accepts a DDD typed as "011" or "(11)", a fixed line of 8 digits and a mobile of 9', async () => {
      const s = await newAccount();
      const a = await addOk(s, { areaCode: '011', phone: '3456 7890' });
      const b = await addOk(s, { areaCode: '(11)', phone: '(9) 8765-4321' });
      expect(await contactRow(a)).to.deep.include({ area_code: '11', phone: '34567890' });
      expect(await contactRow(b)).to.deep.include({ area_code: '11', phone: '987654321' });
    });

    it('the consulting checkbox left unticked is stored as not authorized', async () => {
      const s = await newAccount();
      const id = await addOk(s);
      expect(Boolean((await contactRow(id)).consulting_authorized)).to.equal(false);
      expect((await s.agent.get(`${s.base}/${id}`)).text).to.match(/Autorizado para utilizar consultoria\?<\/dt><dd>Não</);
    });

    it('saves a contact outside Brasil with a document type and number and a phone of 4-15 digits', async () => {
      const s = await newAccount();
      const id = await addOk(s, { ...FOREIGN, name: 'Pedro Português' });
      expect(await contactRow(id)).to.deep.include({ country: 'PT', document_type: 'passport', document_number: 'AB123456', area_code: null, phone: '912345678' });
      const withArea = await addOk(s, { ...FOREIGN, document: 'X-1234/5', areaCode: '351', phone: '1234' });
      expect(await contactRow(withArea)).to.deep.include({ document_number: 'X-1234/5', area_code: '351', phone: '1234' });
      const show = await s.agent.get(`${s.base}/${id}`);
      expect(show.text).to.contain('Portugal');
      expect(show.text).to.contain('AB123456');
    });

    it('saves names whose words a MySQL collation holds equal (Straus/Strauss/Strauß, Soren/Søren, Aesir/Æsir) and finds them', async () => {
      const s = await newAccount();
      const a = await addOk(s, { name: 'Hans Straus Strauss Strauß' });
      const b = await addOk(s, { name: 'Soren Søren Æsir Aesir' });
      expect((await contactRow(a)).name).to.equal('Hans Straus Strauss Strauß');
      expect((await contactRow(b)).name).to.equal('Soren Søren Æsir Aesir');
      expect(listedNames((await s.agent.get(`${s.base}?q=hans`)).text)).to.deep.equal(['Hans Straus Strauss Strauß']);
      expect(listedNames((await s.agent.get(`${s.base}?q=soren`)).text)).to.deep.equal(['Soren Søren Æsir Aesir']);
      const row = await contactRow(b);
      const res = await edit(s, b, { country: 'BR', name: 'Søren Soren Straße Strasse', document: row.document_number, areaCode: row.area_code, phone: row.phone, email: row.email });
      expect(res.status).to.equal(303);
      expect(listedNames((await s.agent.get(`${s.base}?q=straße`)).text)).to.deep.equal(['Søren Soren Straße Strasse']);
    });

    it('writes a contact.created audit event signed by the administrator', async () => {
      const s = await newAccount();
      const document = distinctCpf();
      const id = await addPending(s, { name: 'Auditada', document });
      const events = await auditEventsOf(portal.db, s.accountId, id);
      expect(events).to.have.length(1);
      expect(events[0]).to.deep.include({ action: 'contact.created', actor_contact_id: s.admin.contactId, actor_name: s.admin.name, target_id: String(id) });
      // The trail keeps the CPF masked, never in clear.
      expect(events[0]!.details!.after).to.deep.include({ name: 'Auditada', document_number: maskCpf(document), status: 'pending' });
      expect(JSON.stringify(await portal.db('audit_events').where({ account_id: s.accountId }))).not.to.contain(document);
    });

    describe('each validation error: 422, the message next to its field, typed values kept, nothing written', () => {
      const cases: { title: string; form: Record<string, string>; field: string; message: string }[] = [
        { title: 'Nome empty', form: { name: '' }, field: 'name', message: REQUIRED },
        { title: 'Nome only spaces', form: { name: '   ' }, field: 'name', message: REQUIRED },
        { title: 'Nome longer than 150 characters', form: { name: 'A'.repeat(151) }, field: 'name', message: 'Use no máximo 150 caracteres.' },
        { title: 'País not a country', form: { ...FOREIGN, country: 'ZZ' }, field: 'country', message: 'Selecione um país.' },
        { title: 'País malformed', form: { ...FOREIGN, country: 'pt' }, field: 'country', message: 'Selecione um país.' },
        { title: 'CPF empty', form: { document: '' }, field: 'document', message: REQUIRED },
        { title: 'CPF with a wrong check digit', form: { document: '529.982.247-24' }, field: 'document', message: CPF_INVALID },
        { title: 'CPF with 10 digits (leading zero missing)', form: { document: '1234567890' }, field: 'document', message: CPF_INVALID },
        { title: 'CPF with 12 digits', form: { document: '529982247250' }, field: 'document', message: CPF_INVALID },
        { title: 'CPF of repeated digits', form: { document: '111.111.111-11' }, field: 'document', message: CPF_INVALID },
        { title: 'CPF with letters', form: { document: '529.982.247-2A' }, field: 'document', message: CPF_INVALID },
        { title: 'DDD empty', form: { areaCode: '' }, field: 'areaCode', message: REQUIRED },
        { title: 'DDD not a real area code (20)', form: { areaCode: '20' }, field: 'areaCode', message: DDD_INVALID },
        { title: 'DDD of one digit', form: { areaCode: '1' }, field: 'areaCode', message: DDD_INVALID },
        { title: 'Telefone empty', form: { phone: '' }, field: 'phone', message: REQUIRED },
        { title: 'Telefone of 7 digits', form: { phone: '987-6543' }, field: 'phone', message: PHONE_BR },
        { title: 'Telefone of 10 digits', form: { phone: '98765-43210' }, field: 'phone', message: PHONE_BR },
        { title: 'Telefone of 9 digits not starting with 9', form: { phone: '88765-4321' }, field: 'phone', message: PHONE_BR },
        { title: 'Telefone with letters', form: { phone: '9876-ABCD' }, field: 'phone', message: PHONE_BR },
        { title: 'E-mail empty', form: { email: '', emailConfirmation: '' }, field: 'email', message: REQUIRED },
        { title: 'E-mail malformed', form: { email: 'nao-e-email', emailConfirmation: 'nao-e-email' }, field: 'email', message: EMAIL_INVALID },
        { title: 'E-mail longer than 254 characters', form: { email: `${'a'.repeat(250)}@x.test`, emailConfirmation: `${'a'.repeat(250)}@x.test` }, field: 'email', message: 'Use no máximo 254 caracteres.' },
        { title: 'Confirmação different from the e-mail', form: { emailConfirmation: 'outra.pessoa@example.test' }, field: 'emailConfirmation', message: EMAIL_MISMATCH },
        { title: 'Confirmação empty', form: { emailConfirmation: '' }, field: 'emailConfirmation', message: EMAIL_MISMATCH },
        { title: 'Tipo de documento missing (outside Brasil)', form: { ...FOREIGN, documentType: '' }, field: 'documentType', message: 'Selecione o tipo de documento.' },
        { title: 'Tipo de documento unknown (outside Brasil)', form: { ...FOREIGN, documentType: 'cpf' }, field: 'documentType', message: 'Selecione o tipo de documento.' },
        { title: 'Documento empty (outside Brasil)', form: { ...FOREIGN, document: '' }, field: 'document', message: REQUIRED },
        { title: 'Documento with forbidden characters (outside Brasil)', form: { ...FOREIGN, document: 'AB#123' }, field: 'document', message: DOCUMENT_INVALID },
        { title: 'Documento of 2 characters (outside Brasil)', form: { ...FOREIGN, document: 'A1' }, field: 'document', message: DOCUMENT_INVALID },
        { title: 'Código de área of 6 digits (outside Brasil)', form: { ...FOREIGN, areaCode: '123456' }, field: 'areaCode', message: AREA_CODE_OTHER },
        { title: 'Telefone of 3 digits (outside Brasil)', form: { ...FOREIGN, phone: '123' }, field: 'phone', message: PHONE_OTHER },
        { title: 'Telefone of 16 digits (outside Brasil)', form: { ...FOREIGN, phone: '1234567890123456' }, field: 'phone', message: PHONE_OTHER },
      ];

      let s: Admin;
      before(async () => {
        s = await newAccount();
      });

      for (const c of cases) {
        it(c.title, async () => {
          const form = validContact(c.form);
          const before = await countContacts(s.accountId);
          const eventsBefore = (await auditEventsOf(portal.db, s.accountId)).length;
          const res = await add(s, form);
          expect(res.status).to.equal(422);
          expect(fieldError(res.text, c.field)).to.equal(c.message);
          expect(fieldsWithErrors(res.text)).to.deep.equal([c.field]);
          expect(res.text).to.contain(FIX_FIELDS);
          // What the user typed stays in the fields.
          for (const name of ['name', 'document', 'areaCode', 'phone', 'email', 'emailConfirmation']) {
            expect(inputValue(res.text, name), name).to.equal(form[name]);
          }
          if (form.country === 'PT') expect(selectedOption(res.text, 'country')).to.equal('PT');
          expect(await countContacts(s.accountId)).to.equal(before);
          expect((await auditEventsOf(portal.db, s.accountId)).length).to.equal(eventsBefore);
          expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 0, deactivated: 0 });
        });
      }

      it('an empty form shows every required field at once, each next to its field', async () => {
        const res = await add(s, {});
        expect(res.status).to.equal(422);
        expect(fieldsWithErrors(res.text).sort()).to.deep.equal(['areaCode', 'document', 'email', 'name', 'phone']);
        for (const field of ['areaCode', 'document', 'email', 'name', 'phone']) expect(fieldError(res.text, field)).to.equal(REQUIRED);
        expect(await countContacts(s.accountId)).to.equal(1);
      });

      it('the error is tied to its field for screen readers (aria-invalid, aria-describedby)', async () => {
        const res = await add(s, validContact({ document: '529.982.247-24' }));
        expect(res.text).to.match(/<input id="f-document" name="document"[^>]*aria-invalid="true" aria-describedby="f-document-error"/);
      });

      it('the consulting checkbox stays ticked after an error', async () => {
        const res = await add(s, { ...validContact({ name: '' }), consultingAuthorized: 'on' });
        expect(res.status).to.equal(422);
        expect(res.text).to.match(/<input type="checkbox" id="f-consultingAuthorized"[^>]*checked/);
      });
    });

    describe('uniqueness within the account', () => {
      it('the same e-mail, in any case, is refused with the message next to E-mail', async () => {
        const s = await newAccount();
        const email = uniqueEmail('dup');
        await addOk(s, { email, emailConfirmation: email });
        const res = await add(s, validContact({ email: email.toUpperCase(), emailConfirmation: email.toUpperCase() }));
        expect(res.status).to.equal(422);
        expect(fieldError(res.text, 'email')).to.equal(EMAIL_TAKEN);
        expect(await countContacts(s.accountId)).to.equal(2);
      });

      it("the administrator's own e-mail is taken too", async () => {
        const s = await newAccount();
        const res = await add(s, validContact({ email: s.admin.email, emailConfirmation: s.admin.email }));
        expect(res.status).to.equal(422);
        expect(fieldError(res.text, 'email')).to.equal(EMAIL_TAKEN);
      });

      it('the same CPF, typed with or without mask, is refused with the message next to CPF', async () => {
        const s = await newAccount();
        const document = distinctCpf();
        await addOk(s, { document });
        const res = await add(s, validContact({ document: cpf.format(document) }));
        expect(res.status).to.equal(422);
        expect(fieldError(res.text, 'document')).to.equal(CPF_TAKEN);
        expect(await countContacts(s.accountId)).to.equal(2);
      });

      it('the same foreign document is refused, however it is typed', async () => {
        const s = await newAccount();
        await addOk(s, { ...FOREIGN });
        const res = await add(s, validContact({ ...FOREIGN, document: 'AB123456' }));
        expect(res.status).to.equal(422);
        expect(fieldError(res.text, 'document')).to.equal(DOCUMENT_TAKEN);
      });

      it('10 concurrent adds of the same e-mail (distinct CPFs) create exactly one contact', async () => {
        const s = await newAccount();
        const email = uniqueEmail('corrida');
        const responses = await Promise.all(Array.from({ length: 10 }, () => add(s, validContact({ email, emailConfirmation: email }))));
        expect(responses.filter((r) => r.status === 303)).to.have.length(1);
        const refused = responses.filter((r) => r.status === 422);
        expect(refused).to.have.length(9);
        for (const r of refused) expect(fieldError(r.text, 'email')).to.be.oneOf([EMAIL_TAKEN, 'Já existe um usuário com este e-mail ou documento nesta empresa.']);
        expect((await contactsOf(portal.db, s.accountId)).filter((c) => c.email === email)).to.have.length(1);
        expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 1, deactivated: 0 });
      });

      it('the same e-mail and CPF in ANOTHER account are fine', async () => {
        const first = await newAccount();
        const second = await newAccount();
        const email = uniqueEmail('shared');
        const document = distinctCpf();
        await addOk(first, { email, emailConfirmation: email, document });
        const id = await addOk(second, { email, emailConfirmation: email, document });
        expect(await contactRow(id)).to.deep.include({ account_id: second.accountId, email, document_number: document });
      });
    });

    describe('inline validation (POST …/contacts/validate with HX-Trigger-Name)', () => {
      let s: Admin;
      before(async () => {
        s = await newAccount();
      });
      const validate = (field: string, form: Record<string, string>) =>
        s.agent.post(`${s.base}/validate`).set('HX-Request', 'true').set('HX-Trigger-Name', field).type('form').send({ _csrf: s.csrf, mode: 'add', ...form });

      it("answers that field's markup with its error, without the layout", async () => {
        const res = await validate('document', validContact({ document: '529.982.247-24' }));
        expect(res.status).to.equal(200);
        expect(res.text).not.to.contain('<html');
        expect(res.text.trim()).to.match(/^<div class="field-group" id="field-document">/);
        expect(fieldError(res.text, 'document')).to.equal(CPF_INVALID);
        expect(inputValue(res.text, 'document')).to.equal('529.982.247-24');
        expect(res.text).not.to.contain('id="field-name"');
      });

      it("answers the field without an error when it is valid, even if other fields are not", async () => {
        const res = await validate('name', validContact({ name: 'Nome Bom', document: 'errado', phone: '' }));
        expect(res.status).to.equal(200);
        expect(res.text.trim()).to.match(/^<div class="field" id="field-name">/);
        expect(fieldsWithErrors(res.text)).to.deep.equal([]);
        expect(inputValue(res.text, 'name')).to.equal('Nome Bom');
      });

      const fieldCases: [string, Record<string, string>, string][] = [
        ['name', { name: '' }, REQUIRED],
        ['areaCode', { areaCode: '20' }, DDD_INVALID],
        ['phone', { phone: '123' }, PHONE_BR],
        ['email', { email: 'nao-e-email' }, EMAIL_INVALID],
        ['emailConfirmation', { emailConfirmation: 'outro@example.test' }, EMAIL_MISMATCH],
      ];
      for (const [field, form, message] of fieldCases) {
        it(`${field}: shows "${message}"`, async () => {
          const res = await validate(field, validContact(form));
          expect(res.status).to.equal(200);
          expect(res.text).to.contain(`id="field-${field}"`);
          expect(fieldError(res.text, field)).to.equal(message);
        });
      }

      it('tells at once that the e-mail or CPF is already used in this account', async () => {
        const email = uniqueEmail('taken');
        const document = distinctCpf();
        await addOk(s, { email, emailConfirmation: email, document });
        expect(fieldError((await validate('email', validContact({ email, emailConfirmation: email }))).text, 'email')).to.equal(EMAIL_TAKEN);
        expect(fieldError((await validate('document', validContact({ document }))).text, 'document')).to.equal(CPF_TAKEN);
      });

      it('when editing, the contact\'s own e-mail and CPF are not "taken"', async () => {
        const email = uniqueEmail('own');
        const document = distinctCpf();
        const id = await addOk(s, { email, emailConfirmation: email, document });
        const own = await validate('email', { ...validContact({ email, document }), mode: 'edit', contactId: String(id), emailConfirmation: '' });
        expect(fieldsWithErrors(own.text)).to.deep.equal([]);
        const ownCpf = await validate('document', { ...validContact({ email, document }), mode: 'edit', contactId: String(id) });
        expect(fieldsWithErrors(ownCpf.text)).to.deep.equal([]);
      });

      it('outside Brasil, the document group shows the type select with its error', async () => {
        const res = await validate('document', validContact({ ...FOREIGN, documentType: '' }));
        expect(res.status).to.equal(200);
        expect(res.text).to.contain('<select id="f-documentType" name="documentType"');
        expect(fieldError(res.text, 'documentType')).to.equal('Selecione o tipo de documento.');
      });

      it('documentType answers its group (the markup that holds that select)', async () => {
        const res = await validate('documentType', validContact({ ...FOREIGN, documentType: '' }));
        expect(res.status).to.equal(200);
        expect(res.text.trim()).to.match(/^<div class="field-group" id="field-document">/);
        expect(fieldError(res.text, 'documentType')).to.equal('Selecione o tipo de documento.');
      });

      it('an unknown field answers 404', async () => {
        const res = await validate('password', validContact());
        expect(res.status).to.equal(404);
      });

      it('writes nothing', async () => {
        const before = await countContacts(s.accountId);
        const res = await validate('email', validContact());
        expect(res.status).to.equal(200);
        expect(await countContacts(s.accountId)).to.equal(before);
      });
    });

    it('changing the country re-renders the form: CPF for Brasil, document type and number elsewhere', async () => {
      const s = await newAccount();
      const form = (country: string) =>
        s.agent.post(`${s.base}/form`).set('HX-Request', 'true').type('form').send({ _csrf: s.csrf, mode: 'add', ...validContact({ country, name: 'Mantido' }) });
      const pt = await form('PT');
      expect(pt.status).to.equal(200);
      expect(pt.text).not.to.contain('<html');
      expect(pt.text).to.contain('<form id="contact-form"');
      expect(pt.text).to.contain('Tipo de documento');
      expect(pt.text).to.contain('Número do documento');
      expect(pt.text).to.contain('Código de área');
      expect(inputValue(pt.text, 'name')).to.equal('Mantido');
      const br = await form('BR');
      expect(br.text).to.contain('<input type="hidden" name="documentType" value="cpf">');
      // Required, and says so like the other required fields.
      expect(br.text).to.match(/<label for="f-document">CPF <span aria-hidden="true">\*<\/span><\/label>/);
      expect(br.text).to.match(/<label for="f-areaCode">DDD/);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('edit profile', () => {
    it('shows the form filled with the stored values, CPF with its leading zeros, without Confirmação', async () => {
      const s = await newAccount();
      const email = uniqueEmail('editar');
      const id = await addOk(s, { name: 'Edna Editável', document: '012.345.678-90', areaCode: '31', phone: '98765-4321', email, emailConfirmation: email });
      const res = await s.agent.get(`${s.base}/${id}/edit`);
      expect(res.status).to.equal(200);
      expect(res.text).to.contain('<h1>Editar perfil</h1>');
      expect(inputValue(res.text, 'name')).to.equal('Edna Editável');
      expect(cpf.strip(inputValue(res.text, 'document')!)).to.equal('01234567890');
      expect(inputValue(res.text, 'areaCode')).to.equal('31');
      expect(inputValue(res.text, 'phone')).to.equal('987654321');
      expect(inputValue(res.text, 'email')).to.equal(email);
      expect(inputValue(res.text, 'emailConfirmation')).to.equal(undefined);
      expect(selectedOption(res.text, 'country')).to.equal('BR');
    });

    it('saves the changes: 303 to the edit page showing "Registro salvo com sucesso!"', async () => {
      const s = await newAccount();
      const id = await addOk(s, { name: 'Antes Nome' });
      const document = distinctCpf();
      const email = uniqueEmail('depois');
      const res = await edit(s, id, { country: 'BR', name: 'Depois Nome', document: cpf.format(document), areaCode: '21', phone: '3456-7890', email, consultingAuthorized: 'on' });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`${s.base}/${id}/edit?saved=1`);
      const page = await s.agent.get(res.headers.location!);
      expect(page.text).to.contain(SAVED);
      expect(inputValue(page.text, 'name')).to.equal('Depois Nome');
      const row = await contactRow(id);
      expect(row).to.deep.include({ name: 'Depois Nome', document_number: document, area_code: '21', phone: '34567890', email, status: 'active' });
      expect(Boolean(row.consulting_authorized)).to.equal(true);
      await expectCountersExact(portal.db, s.accountId);
    });

    it('writes a contact.updated audit event with only what changed, before and after', async () => {
      const s = await newAccount();
      const id = await addOk(s, { name: 'Roberto Antigo', areaCode: '11', phone: '987654321' });
      const row = await contactRow(id);
      const res = await edit(s, id, { country: 'BR', name: 'Roberto Novo', document: row.document_number, areaCode: '11', phone: '912345678', email: row.email });
      expect(res.status).to.equal(303);
      const events = await auditEventsOf(portal.db, s.accountId, id);
      expect(events.map((e) => e.action)).to.deep.equal(['contact.created', 'contact.updated']);
      expect(events[1]).to.deep.include({ actor_contact_id: s.admin.contactId });
      expect(events[1]!.details).to.deep.equal({ before: { name: 'Roberto Antigo', phone: '987654321' }, after: { name: 'Roberto Novo', phone: '912345678' } });
    });

    it('saving without changes writes no audit event', async () => {
      const s = await newAccount();
      const id = await addOk(s);
      const row = await contactRow(id);
      const res = await edit(s, id, { country: 'BR', name: row.name, document: cpf.format(row.document_number), areaCode: row.area_code, phone: row.phone, email: row.email.toUpperCase() });
      expect(res.status).to.equal(303);
      expect((await auditEventsOf(portal.db, s.accountId, id)).map((e) => e.action)).to.deep.equal(['contact.created']);
    });

    it('the new name is found by the search, the old one no longer', async () => {
      const s = await newAccount();
      const id = await addOk(s, { name: 'Velho Sobrenome' });
      const row = await contactRow(id);
      await edit(s, id, { country: 'BR', name: 'Úrsula Nova', document: row.document_number, areaCode: row.area_code, phone: row.phone, email: row.email });
      expect(listedNames((await s.agent.get(`${s.base}?q=ursula`)).text)).to.deep.equal(['Úrsula Nova']);
      expect(listedNames((await s.agent.get(`${s.base}?q=velho`)).text)).to.deep.equal([]);
    });

    it('can move a contact outside Brasil (document type and number)', async () => {
      const s = await newAccount();
      const id = await addOk(s);
      const row = await contactRow(id);
      const res = await edit(s, id, { ...FOREIGN, name: row.name, email: row.email });
      expect(res.status).to.equal(303);
      expect(await contactRow(id)).to.deep.include({ country: 'PT', document_type: 'passport', document_number: 'AB123456', area_code: null });
    });

    const editErrors: { title: string; form: Record<string, string>; field: string; message: string }[] = [
      { title: 'Nome empty', form: { name: '' }, field: 'name', message: REQUIRED },
      { title: 'CPF with a wrong check digit', form: { document: '529.982.247-24' }, field: 'document', message: CPF_INVALID },
      { title: 'DDD not real', form: { areaCode: '23' }, field: 'areaCode', message: DDD_INVALID },
      { title: 'Telefone of 7 digits', form: { phone: '9876543' }, field: 'phone', message: PHONE_BR },
      { title: 'E-mail malformed', form: { email: 'a@' }, field: 'email', message: EMAIL_INVALID },
      { title: 'País not a country', form: { ...FOREIGN, country: 'ZZ' }, field: 'country', message: 'Selecione um país.' },
      { title: 'Tipo de documento missing outside Brasil', form: { ...FOREIGN, documentType: '' }, field: 'documentType', message: 'Selecione o tipo de documento.' },
      { title: 'Telefone of 3 digits outside Brasil', form: { ...FOREIGN, phone: '123' }, field: 'phone', message: PHONE_OTHER },
    ];
    for (const c of editErrors) {
      it(`refuses ${c.title}: 422, message next to the field, values kept, nothing changed`, async () => {
        const s = await newAccount();
        const id = await addOk(s, { name: 'Inalterado' });
        const before = await contactRow(id);
        const form: Record<string, string> = { country: 'BR', name: 'Tentativa', document: before.document_number, areaCode: '11', phone: '987654321', email: before.email, ...c.form };
        const res = await edit(s, id, form);
        expect(res.status).to.equal(422);
        expect(fieldError(res.text, c.field)).to.equal(c.message);
        expect(fieldsWithErrors(res.text)).to.deep.equal([c.field]);
        expect(inputValue(res.text, 'name')).to.equal(form.name);
        for (const name of ['document', 'areaCode', 'phone', 'email']) expect(inputValue(res.text, name), name).to.equal(form[name]);
        expect(await contactRow(id)).to.deep.equal(before);
        expect((await auditEventsOf(portal.db, s.accountId, id)).map((e) => e.action)).to.deep.equal(['contact.created']);
      });
    }

    it("refuses another contact's e-mail (any case) and CPF; keeps its own", async () => {
      const s = await newAccount();
      const otherEmail = uniqueEmail('outro');
      const otherCpf = distinctCpf();
      await addOk(s, { email: otherEmail, emailConfirmation: otherEmail, document: otherCpf });
      const id = await addOk(s, { name: 'Conflitante' });
      const before = await contactRow(id);
      const base = { country: 'BR', name: 'Conflitante', document: before.document_number, areaCode: '11', phone: '987654321', email: before.email };

      const email = await edit(s, id, { ...base, email: otherEmail.toUpperCase() });
      expect(email.status).to.equal(422);
      expect(fieldError(email.text, 'email')).to.equal(EMAIL_TAKEN);

      const document = await edit(s, id, { ...base, document: cpf.format(otherCpf) });
      expect(document.status).to.equal(422);
      expect(fieldError(document.text, 'document')).to.equal(CPF_TAKEN);
      expect(await contactRow(id)).to.deep.equal(before);

      const own = await edit(s, id, { ...base, email: before.email.toUpperCase(), document: cpf.format(before.document_number) });
      expect(own.status).to.equal(303);
    });

    it("only the primary administrator edits the primary administrator's data", async () => {
      const s = await newAccount();
      const other = await addMember(portal.db, s.accountId, { profile: 'administrator', name: 'Otávio Outro Admin' });
      const session = await loggedIn(portal, other.email, PASSWORD);
      const asOther: Admin = { ...s, agent: session.agent, csrf: session.csrf };
      const ownerId = s.admin.contactId;
      const before = await contactRow(ownerId);

      const form = await asOther.agent.get(`${s.base}/${ownerId}/edit`);
      expect(form.status).to.equal(403);
      expect(decode(form.text)).to.contain(EDIT_OWNER);
      const forged = await edit(asOther, ownerId, { country: 'BR', name: 'Nome Forjado', document: distinctCpf(), areaCode: '11', phone: '987654321', email: uniqueEmail('forjado') });
      expect(forged.status).to.equal(403);
      expect(await contactRow(ownerId)).to.deep.equal(before);
      // Neither the list nor the owner's page offers the link to the other administrator.
      const list = await asOther.agent.get(s.base);
      expect(list.text).not.to.contain(`${s.base}/${ownerId}/edit`);
      expect(list.text).to.contain(`${s.base}/${other.contactId}/edit`);
      expect((await asOther.agent.get(`${s.base}/${ownerId}`)).text).not.to.contain(`${s.base}/${ownerId}/edit`);

      // The owner still edits their own data.
      expect((await s.agent.get(`${s.base}/${ownerId}/edit`)).status).to.equal(200);
      const own = await edit(s, ownerId, { country: 'BR', name: 'Ana Renomeada', document: distinctCpf(), areaCode: '11', phone: '987654321', email: s.admin.email });
      expect(own.status, decode(own.text)).to.equal(303);
      expect((await contactRow(ownerId)).name).to.equal('Ana Renomeada');
    });

    it('an id that does not exist answers 404', async () => {
      const s = await newAccount();
      expect((await s.agent.get(`${s.base}/999999999/edit`)).status).to.equal(404);
      expect((await s.agent.get(`${s.base}/abc/edit`)).status).to.equal(404);
      expect((await edit(s, 999999999, validContact())).status).to.equal(404);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('contact page', () => {
    it('shows data, status, profile, who created it and when, and the recent history', async () => {
      const s = await newAccount();
      const document = distinctCpf();
      const email = uniqueEmail('pagina');
      const id = await addOk(s, { name: 'Paula Página', document, areaCode: '11', phone: '987654321', email, emailConfirmation: email, consultingAuthorized: 'on' });
      const row = await contactRow(id);
      await edit(s, id, { country: 'BR', name: 'Paula Página', document, areaCode: '11', phone: '912345678', email, consultingAuthorized: 'on' });
      await post(s, `/${id}/deactivate`);

      const res = await s.agent.get(`${s.base}/${id}`);
      expect(res.status).to.equal(200);
      const text = decode(res.text);
      expect(text).to.contain('<h1>Paula Página</h1>');
      expect(text).to.contain(email);
      expect(text).to.contain(cpf.format(document));
      expect(text).to.contain('(11) 91234-5678');
      expect(text).to.contain('Brasil');
      expect(text).to.match(/Situação<\/dt><dd><span class="status status-deactivated">Desativado/);
      expect(text).to.match(/Perfil<\/dt><dd>Membro/);
      expect(text).to.match(/Autorizado para utilizar consultoria\?<\/dt><dd>Sim</);
      expect(text).to.match(/Cadastro<\/dt><dd>\d{2}\/\d{2}\/\d{4},? \d{2}:\d{2} por Ana Administradora</);
      expect(text).to.contain('Desativado em');
      const history = [...text.matchAll(/<li><time>[^<]*<\/time> — ([^<]*)<\/li>/g)].map((m) => m[1]);
      expect(history).to.deep.equal(['Usuário desativado · Ana Administradora', 'Perfil alterado · Ana Administradora', 'Usuário cadastrado · Ana Administradora']);
      expect(row.created_by_contact_id).to.equal(s.admin.contactId);
    });

    it('the primary administrator is marked as such and offers no deactivate or delete', async () => {
      const s = await newAccount();
      const res = await s.agent.get(`${s.base}/${s.admin.contactId}`);
      expect(res.status).to.equal(200);
      expect(res.text).to.contain('Administrador · Administrador principal');
      expect(res.text).to.contain('Sistema'); // created by no one (the fixture, as setup does)
      expect(res.text).not.to.contain(`/${s.admin.contactId}/deactivate`);
      expect(res.text).not.to.contain(`/${s.admin.contactId}/delete`);
    });

    it('an id that does not exist answers 404 with the not-found page', async () => {
      const s = await newAccount();
      const res = await s.agent.get(`${s.base}/999999999`);
      expect(res.status).to.equal(404);
      expect(res.text).to.contain(NOT_FOUND);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('delete', () => {
    it('asks "Tem certeza que deseja remover este usuário?" naming the contact', async () => {
      const s = await newAccount();
      const id = await addOk(s, { name: 'Removível' });
      const res = await s.agent.get(`${s.base}/${id}/delete`);
      expect(res.status).to.equal(200);
      expect(res.text).to.contain('Tem certeza que deseja remover este usuário?');
      expect(res.text).to.contain('<strong>Removível</strong>');
      expect(res.text).to.match(new RegExp(`<form method="post" action="${s.base}/${id}/delete">`));
      expect(await contactRow(id)).to.not.equal(undefined);
    });

    it('removes the contact: redirect to the list with "Registro removido com sucesso!", audit event, counters', async () => {
      const s = await newAccount();
      const id = await addOk(s, { name: 'Some Daqui' });
      const row = await contactRow(id);
      const res = await post(s, `/${id}/delete`);
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(s.base);
      const list = await s.agent.get(res.headers.location!);
      expect(flashes(list.text)).to.include(REMOVED);
      expect(listedNames(list.text)).not.to.include('Some Daqui');
      expect(await contactRow(id)).to.equal(undefined);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 0, deactivated: 0 });
      await expectCountersExact(portal.db, s.accountId);
      const events = await auditEventsOf(portal.db, s.accountId, id);
      expect(events.map((e) => e.action)).to.deep.equal(['contact.created', 'contact.deleted']);
      expect(events[1]!.actor_contact_id).to.equal(s.admin.contactId);
      expect(events[1]!.details!.before).to.deep.include({ id, name: 'Some Daqui', email: row.email, document_number: maskCpf(row.document_number), status: 'active' });
      expect(events[1]!.details!.before).not.to.have.any.keys('search', 'sort_name');
      // The search no longer finds it.
      expect(listedNames((await s.agent.get(`${s.base}?q=some`)).text)).to.deep.equal([]);
    });

    it('removing a pending or a deactivated contact keeps the counters exact', async () => {
      const s = await newAccount();
      const pending = await addMember(portal.db, s.accountId, { status: 'pending' });
      const deactivated = await addMember(portal.db, s.accountId, { status: 'deactivated' });
      expect((await post(s, `/${pending.contactId}/delete`)).status).to.equal(303);
      expect((await post(s, `/${deactivated.contactId}/delete`)).status).to.equal(303);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 0, deactivated: 0 });
      await expectCountersExact(portal.db, s.accountId);
    });

    it("ends the contact's access: its open session gets 404 on the next request", async () => {
      const s = await newAccount();
      const member = await addMember(portal.db, s.accountId, { name: 'Sessão Aberta' });
      const { agent: memberAgent } = await loggedIn(portal, member.email, PASSWORD);
      expect((await memberAgent.get(`/accounts/${s.accountId}`)).status).to.equal(200);
      expect((await post(s, `/${member.contactId}/delete`)).status).to.equal(303);
      const after = await memberAgent.get(`/accounts/${s.accountId}`);
      expect(after.status).to.equal(404);
      expect(after.text).to.contain(NOT_FOUND);
    });

    it('refuses to remove yourself, with a clear message, and removes nothing', async () => {
      const s = await newAccount();
      const second = await addMember(portal.db, s.accountId, { profile: 'administrator', name: 'Segunda Admin' });
      const session = await loggedIn(portal, second.email, PASSWORD);
      const me: Admin = { ...s, ...session };
      const res = await post(me, `/${second.contactId}/delete`);
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`${s.base}/${second.contactId}`);
      const page = await me.agent.get(res.headers.location!);
      expect(flashes(page.text)).to.include('Você não pode remover o seu próprio usuário.');
      expect(await contactRow(second.contactId)).to.not.equal(undefined);
      expect(await auditEventsOf(portal.db, s.accountId, second.contactId)).to.deep.equal([]);
      // The primary administrator, too, cannot remove their own user.
      const own = await post(s, `/${s.admin.contactId}/delete`);
      expect((await s.agent.get(own.headers.location!)).text).to.contain('Você não pode remover o seu próprio usuário.');
      expect(await contactRow(s.admin.contactId)).to.not.equal(undefined);
    });

    it('refuses to remove the primary administrator, with a clear message', async () => {
      const s = await newAccount();
      const second = await addMember(portal.db, s.accountId, { profile: 'administrator' });
      const session = await loggedIn(portal, second.email, PASSWORD);
      const other: Admin = { ...s, ...session };
      const res = await post(other, `/${s.admin.contactId}/delete`);
      expect(res.status).to.equal(303);
      const page = await other.agent.get(res.headers.location!);
      expect(flashes(page.text)).to.include('O administrador principal não pode ser removido. Transfira a administração primeiro.');
      expect(await contactRow(s.admin.contactId)).to.not.equal(undefined);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 2, pending: 0, deactivated: 0 });
    });

    it('an id that does not exist answers 404', async () => {
      const s = await newAccount();
      expect((await s.agent.get(`${s.base}/999999999/delete`)).status).to.equal(404);
      expect((await post(s, '/999999999/delete')).status).to.equal(404);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('deactivate and reactivate', () => {
    it('deactivates: back to the contact page with a message, status, counters, audit event', async () => {
      const s = await newAccount({ seatLimit: 5 });
      const id = await addOk(s, { name: 'Dora Desativa' });
      const res = await post(s, `/${id}/deactivate`);
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`${s.base}/${id}`);
      const page = await s.agent.get(res.headers.location!);
      expect(flashes(page.text)).to.include('Usuário desativado.');
      expect(page.text).to.contain(`action="${s.base}/${id}/reactivate"`);
      expect((await contactRow(id)).status).to.equal('deactivated');
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 0, deactivated: 1 });
      await expectCountersExact(portal.db, s.accountId);
      const list = await s.agent.get(s.base);
      expect(list.text).to.contain('1 de 5 licenças em uso');
      expect(listedNames(list.text)).not.to.include('Dora Desativa');
      expect(listedNames((await s.agent.get(`${s.base}?status=deactivated`)).text)).to.deep.equal(['Dora Desativa']);
      const events = await auditEventsOf(portal.db, s.accountId, id);
      expect(events[events.length - 1]).to.deep.include({ action: 'contact.deactivated', actor_contact_id: s.admin.contactId, details: { before: { status: 'active' }, after: { status: 'deactivated' } } });
    });

    it('from the list (returnTo=list) goes back to the list', async () => {
      const s = await newAccount();
      const id = await addOk(s);
      const res = await post(s, `/${id}/deactivate`, { returnTo: 'list' });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(s.base);
      expect(flashes((await s.agent.get(s.base)).text)).to.include('Usuário desativado.');
    });

    it('a deactivated contact cannot log in to this account, and an open session loses access on its next request', async () => {
      const s = await newAccount();
      const member = await addMember(portal.db, s.accountId, { name: 'Mauro Membro' });
      const { agent: memberAgent } = await loggedIn(portal, member.email, PASSWORD);
      expect((await memberAgent.get(`/accounts/${s.accountId}`)).status).to.equal(200);
      expect((await post(s, `/${member.contactId}/deactivate`)).status).to.equal(303);

      expect((await memberAgent.get(`/accounts/${s.accountId}`)).status).to.equal(404);
      const fresh = agent(portal);
      const res = await login(fresh, member.email, PASSWORD);
      expect(res.status).to.equal(401);
      expect(res.text).to.contain(NO_ACCESS);
      expect((await fresh.get(`/accounts/${s.accountId}`)).status).to.equal(302);
    });

    it('a person in two accounts, deactivated in one, still reaches the other but not this one', async () => {
      const s = await newAccount();
      const other = await newAccount();
      const member = await addMember(portal.db, s.accountId);
      await addMember(portal.db, other.accountId, { email: member.email });
      expect((await post(s, `/${member.contactId}/deactivate`)).status).to.equal(303);
      const { agent: memberAgent } = await loggedIn(portal, member.email, PASSWORD);
      expect((await memberAgent.get(`/accounts/${s.accountId}`)).status).to.equal(404);
      expect((await memberAgent.get(`/accounts/${other.accountId}`)).status).to.equal(200);
    });

    it('reactivates: active again, counters, audit event, and the contact can log in again', async () => {
      const s = await newAccount();
      const member = await addMember(portal.db, s.accountId, { name: 'Rita Reativa' });
      await post(s, `/${member.contactId}/deactivate`);
      const res = await post(s, `/${member.contactId}/reactivate`);
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`${s.base}/${member.contactId}`);
      expect(flashes((await s.agent.get(res.headers.location!)).text)).to.include('Usuário reativado.');
      expect((await contactRow(member.contactId)).status).to.equal('active');
      expect((await contactRow(member.contactId)).deactivated_at).to.equal(null);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 2, pending: 0, deactivated: 0 });
      await expectCountersExact(portal.db, s.accountId);
      expect((await auditEventsOf(portal.db, s.accountId, member.contactId)).map((e) => [e.action, e.actor_contact_id])).to.deep.equal([
        ['contact.deactivated', s.admin.contactId],
        ['contact.reactivated', s.admin.contactId],
      ]);
      const { agent: memberAgent } = await loggedIn(portal, member.email, PASSWORD);
      expect((await memberAgent.get(`/accounts/${s.accountId}`)).status).to.equal(200);
    });

    it('a pending contact cannot be deactivated: only resent or deleted', async () => {
      const s = await newAccount();
      const pending = await addMember(portal.db, s.accountId, { status: 'pending' });
      const res = await post(s, `/${pending.contactId}/deactivate`);
      expect(flashes((await s.agent.get(res.headers.location!)).text)[0]).to.contain('Enquanto o convite estiver pendente, só é possível reenviá-lo ou excluir o usuário.');
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 1, deactivated: 0 });
      await expectCountersExact(portal.db, s.accountId);
    });

    it('refuses to deactivate yourself or the primary administrator, with a clear message', async () => {
      const s = await newAccount();
      const second = await addMember(portal.db, s.accountId, { profile: 'administrator' });
      const other: Admin = { ...s, ...(await loggedIn(portal, second.email, PASSWORD)) };

      const self = await post(other, `/${second.contactId}/deactivate`);
      expect(flashes((await other.agent.get(self.headers.location!)).text)).to.include('Você não pode desativar o seu próprio usuário.');
      const owner = await post(other, `/${s.admin.contactId}/deactivate`);
      expect(flashes((await other.agent.get(owner.headers.location!)).text)).to.include('O administrador principal não pode ser desativado. Transfira a administração primeiro.');
      const ownerSelf = await post(s, `/${s.admin.contactId}/deactivate`);
      expect(flashes((await s.agent.get(ownerSelf.headers.location!)).text)).to.include('Você não pode desativar o seu próprio usuário.');

      expect((await contactRow(second.contactId)).status).to.equal('active');
      expect((await contactRow(s.admin.contactId)).status).to.equal('active');
      expect(await auditEventsOf(portal.db, s.accountId)).to.deep.equal([]);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 2, pending: 0, deactivated: 0 });
    });

    it('deactivating twice, or reactivating an active contact, is refused with a message and changes nothing', async () => {
      const s = await newAccount();
      const id = await addOk(s);
      await post(s, `/${id}/deactivate`);
      const twice = await post(s, `/${id}/deactivate`);
      expect(flashes((await s.agent.get(twice.headers.location!)).text)).to.include('Este usuário já está desativado.');
      await post(s, `/${id}/reactivate`);
      const again = await post(s, `/${id}/reactivate`);
      expect(flashes((await s.agent.get(again.headers.location!)).text)).to.include('Este usuário não está desativado.');
      expect((await auditEventsOf(portal.db, s.accountId, id)).map((e) => e.action)).to.deep.equal(['contact.created', 'contact.deactivated', 'contact.reactivated']);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 2, pending: 0, deactivated: 0 });
    });

    it('an id that does not exist answers 404', async () => {
      const s = await newAccount();
      expect((await post(s, '/999999999/deactivate')).status).to.equal(404);
      expect((await post(s, '/999999999/reactivate')).status).to.equal(404);
    });
  });

  // -------------------------------------------------------------------------------------------
  const contactIdRoutes = (id: number): [Method, string][] => [
    ['get', `/${id}`],
    ['get', `/${id}/edit`],
    ['post', `/${id}/edit`],
    ['post', `/${id}/deactivate`],
    ['post', `/${id}/reactivate`],
    ['get', `/${id}/delete`],
    ['post', `/${id}/delete`],
  ];

  describe("another account's contact id answers 404 on every :contactId route", () => {
    it('and nothing of the other account changes', async () => {
      const mine = await newAccount();
      const theirs = await newAccount();
      const target = await addOk(theirs, { name: 'Alheio' });
      const deactivatedTarget = await addMember(portal.db, theirs.accountId, { status: 'deactivated' });
      const before = await contactsOf(portal.db, theirs.accountId);
      const eventsBefore = await auditEventsOf(portal.db, theirs.accountId);

      for (const id of [target, deactivatedTarget.contactId]) {
        for (const [method, path] of contactIdRoutes(id)) {
          const res = method === 'get' ? await mine.agent.get(`${mine.base}${path}`) : await post(mine, path, validContact());
          expect(res.status, `${method.toUpperCase()} ${path}`).to.equal(404);
          expect(res.text, `${method.toUpperCase()} ${path}`).to.contain(NOT_FOUND);
          expect(res.text).not.to.contain('Alheio');
        }
      }
      expect(await contactsOf(portal.db, theirs.accountId)).to.deep.equal(before);
      expect(await auditEventsOf(portal.db, theirs.accountId)).to.deep.equal(eventsBefore);
      expect(await auditEventsOf(portal.db, mine.accountId)).to.deep.equal([]);
      expect(await countContacts(mine.accountId)).to.equal(1);
    });

    it("the other account's own URLs answer 404 to a non-member", async () => {
      const mine = await newAccount();
      const theirs = await newAccount();
      const target = await addOk(theirs);
      expect((await mine.agent.get(theirs.base)).status).to.equal(404);
      expect((await mine.agent.get(`${theirs.base}/${target}`)).status).to.equal(404);
      const res = await mine.agent.post(`${theirs.base}/${target}/delete`).type('form').send({ _csrf: mine.csrf });
      expect(res.status).to.equal(404);
      expect(await contactRow(target)).to.not.equal(undefined);
    });
  });

  describe('a non-administrator gets 403 on every route', () => {
    for (const profile of ['member', 'observer', 'observer_download']) {
      it(`profile ${profile}: every GET and POST answers 403 and nothing is written`, async () => {
        const s = await newAccount();
        const target = await addOk(s, { name: 'Alvo' });
        const deactivated = await addMember(portal.db, s.accountId, { status: 'deactivated' });
        const person = await addMember(portal.db, s.accountId, { profile });
        const { agent: a, csrf } = await loggedIn(portal, person.email, PASSWORD);
        const before = await contactsOf(portal.db, s.accountId);
        const eventsBefore = await auditEventsOf(portal.db, s.accountId);

        const routes: [Method, string][] = [
          ['get', ''], ['get', '?status=deactivated&q=alvo'], ['get', '/new'], ['post', ''], ['post', '/validate'], ['post', '/form'],
          ...contactIdRoutes(target), ...contactIdRoutes(deactivated.contactId), ...contactIdRoutes(person.contactId),
        ];
        for (const [method, path] of routes) {
          const url = `${s.base}${path}`;
          const res = method === 'get' ? await a.get(url) : await a.post(url).set('HX-Trigger-Name', 'email').type('form').send({ _csrf: csrf, ...validContact() });
          expect(res.status, `${method.toUpperCase()} ${url}`).to.equal(403);
          expect(res.text, `${method.toUpperCase()} ${url}`).to.contain(FORBIDDEN);
        }
        // The fragment asked by HTMX is refused too.
        const fragment = await a.get(s.base).set('HX-Request', 'true').set('HX-Target', 'contacts-results');
        expect(fragment.status).to.equal(403);
        expect(fragment.text).not.to.contain('Alvo');

        expect(await contactsOf(portal.db, s.accountId)).to.deep.equal(before);
        expect(await auditEventsOf(portal.db, s.accountId)).to.deep.equal(eventsBefore);
        // The menu offers no "Usuários do Sistema" either.
        const home = await a.get(`/accounts/${s.accountId}`);
        expect(home.status).to.equal(200);
        expect(home.text).not.to.contain(`href="${s.base}"`);
      });
    }
  });

  describe('CSRF', () => {
    it('every POST without the token answers 403 and writes nothing', async () => {
      const s = await newAccount();
      const target = await addOk(s, { name: 'Protegido' });
      const deactivated = await addMember(portal.db, s.accountId, { status: 'deactivated' });
      const before = await contactsOf(portal.db, s.accountId);
      const eventsBefore = await auditEventsOf(portal.db, s.accountId);
      const paths = ['', '/validate', '/form', `/${target}/edit`, `/${target}/deactivate`, `/${deactivated.contactId}/reactivate`, `/${target}/delete`];
      for (const path of paths) {
        for (const token of [undefined, 'not-the-token']) {
          const body = { ...validContact({ name: 'Forjado' }), ...(token ? { _csrf: token } : {}) };
          const res = await s.agent.post(`${s.base}${path}`).set('HX-Trigger-Name', 'name').type('form').send(body);
          expect(res.status, `POST ${path} ${token ?? 'without token'}`).to.equal(403);
          expect(res.text).to.contain(CSRF_MESSAGE);
        }
      }
      expect(await contactsOf(portal.db, s.accountId)).to.deep.equal(before);
      expect(await auditEventsOf(portal.db, s.accountId)).to.deep.equal(eventsBefore);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 2, pending: 0, deactivated: 1 });
    });

    it('the token sent in the x-csrf-token header, as HTMX does, is accepted', async () => {
      const s = await newAccount();
      const res = await s.agent.post(s.base).set('x-csrf-token', s.csrf).type('form').send(validContact({ name: 'Pelo Cabeçalho' }));
      expect(res.status).to.equal(303);
      expect(listedNames((await s.agent.get(`${s.base}?status=pending`)).text)).to.include('Pelo Cabeçalho');
    });
  });

  describe('counters and the audit trail over a sequence of operations', () => {
    it('every operation writes its event and the counters equal the real counts after each', async () => {
      const s = await newAccount();
      const a = await addOk(s, { name: 'Sequência A' });
      await expectCountersExact(portal.db, s.accountId);
      const b = await addOk(s, { name: 'Sequência B' });
      await expectCountersExact(portal.db, s.accountId);
      const rowA = await contactRow(a);
      await edit(s, a, { country: 'BR', name: 'Sequência A2', document: rowA.document_number, areaCode: '11', phone: '987654321', email: rowA.email });
      await expectCountersExact(portal.db, s.accountId);
      await post(s, `/${a}/deactivate`);
      await expectCountersExact(portal.db, s.accountId);
      await post(s, `/${b}/deactivate`);
      await expectCountersExact(portal.db, s.accountId);
      await post(s, `/${a}/reactivate`);
      await expectCountersExact(portal.db, s.accountId);
      await post(s, `/${b}/delete`);
      await expectCountersExact(portal.db, s.accountId);
      await post(s, `/${a}/delete`);
      await expectCountersExact(portal.db, s.accountId);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 0, deactivated: 0 });

      const events = await auditEventsOf(portal.db, s.accountId);
      expect(events.map((e) => [e.action, e.target_id])).to.deep.equal([
        ['contact.created', String(a)],
        ['contact.created', String(b)],
        ['contact.updated', String(a)],
        ['contact.deactivated', String(a)],
        ['contact.deactivated', String(b)],
        ['contact.reactivated', String(a)],
        ['contact.deleted', String(b)],
        ['contact.deleted', String(a)],
      ]);
      for (const e of events) {
        expect(e.actor_contact_id).to.equal(s.admin.contactId);
        expect(e.details).to.satisfy((d: Record<string, unknown>) => 'before' in d || 'after' in d);
      }
    });
  });
});
