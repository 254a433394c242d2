import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { formValues, parseContactForm } from '../../server/contacts/contact-form';
import { createI18n } from '../../server/i18n';
import { contactFromRecord, type ContactFromRow } from '../../server/imports/contact-row';
import { openContactsCsv, templateCsv, TEMPLATE_COLUMNS, type CsvRecord, type ImportColumn } from '../../server/imports/csv-reader';

const VALID: Record<ImportColumn, string> = {
  nome: 'Ana Souza', email: 'ana@example.com', cpf: '529.982.247-25', pais: '', documento: '',
  ddd: '11', telefone: '98765-4321', perfil: '', consultoria: '',
};

let t: (key: string, params?: Record<string, unknown>) => string;

/** The row as the preview shows it: each issue as "column: message" in pt-BR. */
const row = (cells: Partial<Record<ImportColumn, string>>, line = 7): ContactFromRow => contactFromRecord({ line, cells: { ...VALID, ...cells } });
const shown = (r: ContactFromRow) => r.issues.map((i) => `${i.severity} ${i.column ?? '-'}: ${t(i.key, i.params)}`);

describe('import: one record → a contact, by the add form\'s rules', () => {
  before(async () => {
    t = (await createI18n()).getFixedT('pt-BR');
  });

  describe('the template', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(path.join(tmpdir(), 'contact-row-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('is UTF-8 with a BOM, `;`, CRLF, and its example row reads back as a valid contact', async () => {
      const bytes = templateCsv();
      expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const text = bytes.subarray(3).toString('utf8');
      expect(text.split('\r\n')[0]).to.equal(TEMPLATE_COLUMNS.join(';'));
      expect(text.endsWith('\r\n')).to.equal(true);

      const p = path.join(dir, 'modelo.csv');
      writeFileSync(p, bytes);
      const { info, records } = await openContactsCsv(p);
      expect(info).to.deep.equal({ encoding: 'utf-8', bom: true, separator: ';', columns: [...TEMPLATE_COLUMNS], unknownColumns: [] });
      const all: CsvRecord[] = [];
      for await (const r of records) all.push(r);
      expect(all).to.have.length(1);
      const contact = contactFromRecord(all[0]!);
      expect(contact.issues).to.deep.equal([]);
      expect(contact.line).to.equal(2);
      expect(contact.profile).to.equal('member');
      expect(contact.fields).to.deep.include({ country: 'BR', document_type: 'cpf', document_number: '52998224725', area_code: '11', phone: '987654321', consulting_authorized: false });
    });
  });

  it('a valid row gives the fields the add form stores, trimmed, and Membro by default', () => {
    const r = row({ nome: '  Ana Souza ', email: ' Ana@Example.COM ' });
    expect(r.issues).to.deep.equal([]);
    expect(r.profile).to.equal('member');
    expect(r.fields).to.deep.equal({
      name: 'Ana Souza', email: 'ana@example.com', country: 'BR', document_type: 'cpf', document_number: '52998224725',
      area_code: '11', phone: '987654321', consulting_authorized: false,
    });
  });

  describe('the form\'s messages, on the file\'s columns', () => {
    const cases: [string, Partial<Record<ImportColumn, string>>, string[]][] = [
      ['an e-mail with a space inside', { email: 'ana souza@example.com' }, ['error email: Informe um e-mail válido.']],
      ['a CPF with letters', { cpf: '529.982.247-2X' }, ['error cpf: CPF inválido: confira os dígitos.']],
      ['a CPF with wrong check digits', { cpf: '529.982.247-26' }, ['error cpf: CPF inválido: confira os dígitos.']],
      ['no CPF for a Brazilian', { cpf: '' }, ['error cpf: Campo obrigatório.']],
      ['no name', { nome: '  ' }, ['error nome: Campo obrigatório.']],
      ['a name too long', { nome: 'A'.repeat(151) }, ['error nome: Use no máximo 150 caracteres.']],
      ['a DDD that does not exist', { ddd: '10' }, ['error ddd: Informe um DDD válido do Brasil.']],
      ['a short phone', { telefone: '1234' }, ['error telefone: Informe um telefone com 8 ou 9 dígitos (celular começa com 9).']],
      ['a foreign document too short', { pais: 'PT', cpf: '', documento: 'Passaporte: A1', ddd: '' }, ['error documento: Documento inválido: use de 3 a 30 letras, números, ".", "-" ou "/".']],
      ['no document for a foreigner: one message, not two', { pais: 'PT', cpf: '', documento: '', ddd: '', telefone: '912345678' }, ['error documento: Campo obrigatório.']],
      ['several at once, in the file\'s column order', { telefone: '', nome: '', email: 'x' }, ['error nome: Campo obrigatório.', 'error email: Informe um e-mail válido.', 'error telefone: Campo obrigatório.']],
    ];
    for (const [title, cells, expected] of cases) {
      it(title, () => {
        const r = row(cells);
        expect(shown(r)).to.deep.equal(expected);
        expect(r.fields).to.equal(null);
        expect(r.issues.every((i) => i.line === 7)).to.equal(true);
      });
    }
  });

  describe('what spreadsheets do to numbers', () => {
    it('a CPF that lost its leading zero is completed, with a warning naming it', () => {
      const r = row({ cpf: '1234567890' });
      expect(shown(r)).to.deep.equal(['warning cpf: CPF completado com zeros à esquerda: 012.345.678-90. Confira.']);
      expect(r.fields).to.deep.include({ document_number: '01234567890' });
    });

    it('a CPF that lost two leading zeros too', () => {
      const r = row({ cpf: '123456797' });
      expect(r.issues.map((i) => [i.severity, i.params])).to.deep.equal([['warning', { cpf: '001.234.567-97' }]]);
      expect(r.fields).to.deep.include({ document_number: '00123456797' });
    });

    it('a short CPF whose completed number fails the check digits is an error, not a warning', () => {
      const r = row({ cpf: '1234567891' });
      expect(shown(r)).to.deep.equal(['error cpf: CPF inválido: confira os dígitos.']);
      expect(r.fields).to.equal(null);
    });

    for (const [column, value] of [['cpf', '1,19876543E+10'], ['cpf', '5.29982E+10'], ['cpf', '5,29982E+10'], ['telefone', '9,87654321E+08'], ['ddd', '1E+1']] as const) {
      it(`${column} in scientific notation (${value}) is an error with the hint to format the column as text`, () => {
        const r = row({ [column]: value });
        expect(r.issues).to.have.length(1);
        expect(r.issues[0]).to.deep.include({ column, key: 'imports.cell.scientific', severity: 'error' });
        expect(shown(r)[0]).to.contain(value).and.contain('Formate a coluna como Texto');
        expect(r.fields).to.equal(null);
      });
    }
  });

  describe('a formula in the name', () => {
    // A name a spreadsheet would run as a formula is refused by the add form's rule, so the import refuses it too.
    for (const name of ['=HYPERLINK("http://example.com/x";"clique")', '+cmd|\' /C calc\'!A0', '@SUM(A1:A9)', '-2+3']) {
      it(`is refused with the add form's message: ${name}`, () => {
        expect(() => parseContactForm({ ...formValues({ name, email: 'ana@example.com', document: VALID.cpf, areaCode: '11', phone: VALID.telefone }) }, { confirmEmail: false })).to.throw();
        const r = row({ nome: name });
        expect(r.issues).to.have.length(1);
        expect(r.issues[0]).to.deep.include({ column: 'nome', key: 'contacts.validation.nameFormula', severity: 'error' });
        expect(r.fields).to.equal(null);
      });
    }
  });

  describe('pais', () => {
    const countries: [string, string][] = [
      ['', 'BR'], ['BR', 'BR'], ['br', 'BR'], ['Brasil', 'BR'], ['BRAZIL', 'BR'], ['pt', 'PT'], ['Portugal', 'PT'],
      ['Alemanha', 'DE'], ['alemania', 'DE'], ['Germany', 'DE'], ['  Estados Unidos ', 'US'], ['México', 'MX'], ['mexico', 'MX'], ['Japão', 'JP'],
    ];
    for (const [cell, code] of countries) {
      it(`"${cell}" is ${code}`, () => {
        const foreign = code === 'BR' ? {} : { cpf: '', documento: 'AB123456', ddd: '', telefone: '5551234' };
        const r = row({ pais: cell, ...foreign });
        expect(r.issues).to.deep.equal([]);
        expect(r.fields!.country).to.equal(code);
      });
    }

    it('an unknown country is an error on pais, and the rules that depend on it are not guessed', () => {
      const r = row({ pais: 'Narnia', cpf: '', telefone: '1', email: 'x' });
      expect(shown(r)).to.deep.equal(['error email: Informe um e-mail válido.', 'error pais: País não reconhecido: "Narnia". Use o código (BR, PT, US) ou o nome do país.']);
    });
  });

  describe('documento (outside Brasil)', () => {
    const foreign = { pais: 'PT', cpf: '', ddd: '', telefone: '912345678' };
    const documents: [string, string, string][] = [
      ['Passaporte: AB 123 456', 'passport', 'AB123456'],
      ['passport:X1234567', 'passport', 'X1234567'],
      ['Documento de identidade: 12345678', 'national_id', '12345678'],
      ['Documento de identidad: 12345678', 'national_id', '12345678'],
      ['NATIONAL ID: 987-65', 'national_id', '987-65'],
      ['national_id: 987-65', 'national_id', '987-65'],
      ['Outro: ZZ-1', 'other', 'ZZ-1'],
      ['Otro: ZZ-1', 'other', 'ZZ-1'],
      ['ZZ-1', 'other', 'ZZ-1'],
    ];
    for (const [cell, type, number] of documents) {
      it(`"${cell}" is ${type} ${number}`, () => {
        const r = row({ ...foreign, documento: cell });
        expect(r.issues).to.deep.equal([]);
        expect(r.fields).to.deep.include({ document_type: type, document_number: number });
      });
    }

    it('an unknown type is an error on documento, once', () => {
      const r = row({ ...foreign, documento: 'RG: 12.345.678-9' });
      expect(shown(r)).to.deep.equal(['error documento: Tipo de documento não reconhecido: "RG". Use Passaporte, Documento de identidade ou Outro, como em "Passaporte: AB123456".']);
    });

    it('a Brazilian row reads the cpf column, not documento', () => {
      const r = row({ documento: 'Passaporte: AB123456' });
      expect(r.fields).to.deep.include({ document_type: 'cpf', document_number: '52998224725' });
    });
  });

  describe('perfil', () => {
    const profiles: [string, string][] = [
      ['', 'member'], ['Membro', 'member'], ['MEMBRO', 'member'], ['Miembro', 'member'], ['member', 'member'],
      ['Administrador', 'administrator'], ['administrator', 'administrator'], ['Administrator', 'administrator'],
      ['Observador', 'observer'], ['observer', 'observer'], ['Observador (não pode baixar documentos)', 'observer'],
      ['Observador (pode baixar documentos)', 'observer_download'], ['Observer (may download documents)', 'observer_download'], ['observer_download', 'observer_download'],
    ];
    for (const [cell, profile] of profiles) {
      it(`"${cell}" is ${profile}`, () => {
        const r = row({ perfil: cell });
        expect(r.issues).to.deep.equal([]);
        expect(r.profile).to.equal(profile);
      });
    }

    for (const cell of ['Personalizado', 'chefe']) {
      it(`"${cell}" is an error on perfil`, () => {
        const r = row({ perfil: cell });
        expect(shown(r)).to.deep.equal([`error perfil: Perfil não reconhecido: "${cell}". Use Administrador, Membro ou Observador.`]);
        expect(r.profile).to.equal(null);
        expect(r.fields).to.equal(null);
      });
    }
  });

  describe('consultoria', () => {
    for (const cell of ['sim', 'SIM', 's', 'yes', 'sí', 'si', 'true', 'TRUE', '1', 'x', 'X', 'VERDADEIRO', 'verdadero']) {
      it(`"${cell}" is yes`, () => expect(row({ consultoria: cell }).fields).to.deep.include({ consulting_authorized: true }));
    }
    for (const cell of ['', 'não', 'NAO', 'n', 'no', 'false', '0', 'FALSO']) {
      it(`"${cell}" is no`, () => expect(row({ consultoria: cell }).fields).to.deep.include({ consulting_authorized: false }));
    }
    it('anything else is an error on consultoria', () => {
      expect(shown(row({ consultoria: 'talvez' }))).to.deep.equal(['error consultoria: Valor não reconhecido: "talvez". Use sim ou não.']);
    });
  });

  it('a record the reader could not split is one error for the whole row', () => {
    const r = contactFromRecord({ line: 12, cells: { nome: 'Ana,ana@example.com' }, problem: { key: 'imports.row.fieldCountMixed', params: { expected: 9, found: 1, other: ',', separator: ';' } } });
    expect(r).to.deep.equal({
      line: 12, fields: null, profile: null,
      issues: [{ line: 12, column: null, key: 'imports.row.fieldCountMixed', params: { expected: 9, found: 1, other: ',', separator: ';' }, severity: 'error' }],
    });
  });
});
