import { expect } from 'chai';
import { csvFiles, HEADER, readAll, refusal, ROW } from '../support/csv-files';

describe('import: CSV reader, lines, quotes, separators and headers', () => {
  const files = csvFiles();
  const { file, t } = files;

  describe('line breaks, quotes and line numbers', () => {
    it('reads CRLF and LF files alike', async () => {
      const rows = [HEADER, ROW('Ana', 1), ROW('Bia', 2)];
      const crlf = await readAll(file(rows.join('\r\n') + '\r\n'));
      const lf = await readAll(file(rows.join('\n')));
      expect(crlf.records).to.deep.equal(lf.records);
      expect(crlf.records.map((r) => [r.line, r.cells.nome])).to.deep.equal([[2, 'Ana'], [3, 'Bia']]);
    });

    it('reads quoted fields holding the separator, doubled quotes and line breaks, and numbers each record by the line it starts on', async () => {
      const content = [
        HEADER,
        '"Silva; Ana";ana@example.com;529.982.247-25;BR;;11;98765-4321;Membro;não',
        '"Rua A\r\nBloco B\r\nApto 3";rua@example.com;;BR;;11;98765-4321;;',
        '',
        '"Ana ""Aninha"" Souza";aninha@example.com;;BR;;11;98765-4321;;',
        'João "Jota" Silva;jota@example.com;;BR;;11;98765-4321;;',
        '   ',
        ';;;;;;;;',
        '"Linha\nsó LF";lf@example.com;;BR;;11;98765-4321;;',
        ROW('Última'),
      ].join('\r\n');
      const { records } = await readAll(file(content));
      expect(records.map((r) => [r.line, r.cells.nome])).to.deep.equal([
        [2, 'Silva; Ana'],
        [3, 'Rua A\r\nBloco B\r\nApto 3'],
        [7, 'Ana "Aninha" Souza'],
        [8, 'João "Jota" Silva'],
        [11, 'Linha\nsó LF'],
        [13, 'Última'],
      ]);
      expect(records.every((r) => !r.problem)).to.equal(true);
    });

    it('skips blank lines before the header and still numbers the file\'s lines', async () => {
      const { records } = await readAll(file(`\r\n\r\n${HEADER}\r\n${ROW('Ana')}\r\n`));
      expect(records.map((r) => r.line)).to.deep.equal([4]);
    });

    it('refuses an unclosed quote, naming the line where its record began', async () => {
      const err = await refusal(files, file([HEADER, ROW('Ana'), '"Bia;bia@example.com;;BR;;11;98765-4321;;', ROW('Caio'), ROW('Duda')].join('\r\n')));
      expect(err.messageKey).to.equal('imports.refused.unclosedQuote');
      expect(err.params).to.deep.equal({ line: 3 });
      expect(err.text).to.equal('Linha 3: há aspas (") abertas que não foram fechadas.');
    });

    it('refuses an unclosed quote that swallows more than a record may hold, still naming where it began', async () => {
      const after = Array.from({ length: 3000 }, (_, i) => ROW('Depois', i));
      const lines = [HEADER, ROW('Ana'), '"Quebra\r\nno meio";q@example.com;;;;;;;', ROW('Bia'), 'Caio "sem fim;c@example.com;;;;;;;', '"Bia;bia@example.com;;BR;;11;98765-4321;;', ...after];
      const err = await refusal(files, file(lines.join('\r\n')));
      expect(err.messageKey).to.equal('imports.refused.unclosedQuote');
      expect(err.params).to.deep.equal({ line: 7 });
      expect(err.readBefore).to.equal(4);
    });
  });

  describe('separators and headers', () => {
    it('recognises a file separated by commas, its header quoted, and says so', async () => {
      const { info, records } = await readAll(file('"nome","email","cpf","telefone","ddd"\r\n"Silva, Ana",ana@example.com,529.982.247-25,98765-4321,11\r\n'));
      expect(info.separator).to.equal(',');
      expect(records[0]!.cells).to.deep.equal({ nome: 'Silva, Ana', email: 'ana@example.com', cpf: '529.982.247-25', telefone: '98765-4321', ddd: '11' });
    });

    it('recognises a file separated by tabs', async () => {
      const { info, records } = await readAll(file('nome\temail\tcpf\ttelefone\nAna; Bia\tana@example.com\t52998224725\t987654321\n'));
      expect(info.separator).to.equal('\t');
      expect(records[0]!.cells.nome).to.equal('Ana; Bia');
    });

    it('matches headers without case, accents or surrounding spaces, in any order, with the few aliases', async () => {
      const { info, records } = await readAll(file(' TELEFONE ;E-mail;País;Nome completo;CPF;Documento;Perfil;Consultoria;DDD\r\n98765-4321;ana@example.com;Brasil;Ana;52998224725;;Membro;sim;11\r\n'));
      expect(info.columns).to.deep.equal(['telefone', 'email', 'pais', 'nome', 'cpf', 'documento', 'perfil', 'consultoria', 'ddd']);
      expect(records[0]!.cells).to.deep.include({ nome: 'Ana', email: 'ana@example.com', pais: 'Brasil', telefone: '98765-4321', ddd: '11' });
      const aliases = await readAll(file('NOME;EMAIL;cpf;Celular;Autorizado para utilizar consultoria?\nAna;a@example.com;1;2;sim\n'));
      expect(aliases.info.columns).to.deep.equal(['nome', 'email', 'cpf', 'telefone', 'consultoria']);
    });

    it('reports unknown columns as written, and reads the rest', async () => {
      const { info, records } = await readAll(file('nome;Cargo;email;cpf;telefone;;\nAna;Gerente;ana@example.com;1;2;;\n'));
      expect(info.unknownColumns).to.deep.equal(['Cargo']);
      expect(info.columns).to.deep.equal(['nome', null, 'email', 'cpf', 'telefone', null, null]);
      expect(records[0]!.cells).to.deep.equal({ nome: 'Ana', email: 'ana@example.com', cpf: '1', telefone: '2' });
    });

    it('refuses a missing required column before any row, naming it', async () => {
      let err = await refusal(files, file('nome;email;cpf;ddd\nAna;a@example.com;1;11\n'));
      expect(err.messageKey).to.equal('imports.refused.missingColumns');
      expect(err.text).to.equal('Faltam colunas obrigatórias no cabeçalho: telefone.');
      err = await refusal(files, file('email;telefone;pais\na@example.com;2;BR\n'));
      expect(err.params).to.deep.equal({ columns: 'nome, cpf/documento' });
      expect(err.readBefore).to.equal(0);
    });

    it('accepts documento instead of cpf (a file of foreigners only)', async () => {
      const { info } = await readAll(file('nome;email;documento;telefone;pais\nAna;a@example.com;X123;5551234;US\n'));
      expect(info.columns).to.include('documento').and.not.include('cpf');
    });

    it('refuses a duplicated header, naming it as written', async () => {
      const err = await refusal(files, file('nome;email;cpf;telefone;E-mail\nAna;a@example.com;1;2;b@example.com\n'));
      expect(err.messageKey).to.equal('imports.refused.duplicatedHeader');
      expect(err.params).to.deep.equal({ column: 'email', names: '"email", "E-mail"' });
      expect(err.text).to.equal('A coluna email aparece mais de uma vez no cabeçalho: "email", "E-mail".');
    });

    it('refuses a file whose first line is no header at all', async () => {
      const err = await refusal(files, file(`${ROW('Ana')}\n${ROW('Bia')}\n`));
      expect(err.messageKey).to.equal('imports.refused.noHeader');
      expect(err.text).to.contain(HEADER);
    });
  });

  describe('rows of the wrong length', () => {
    it('a row written with another separator is a row problem hinting at mixed separators; the rest is read', async () => {
      const { records } = await readAll(file([HEADER, ROW('Ana'), ROW('Bia').replaceAll(';', ','), ROW('Caio')].join('\r\n')));
      expect(records.map((r) => r.line)).to.deep.equal([2, 3, 4]);
      expect(records[1]!.problem).to.deep.equal({ key: 'imports.row.fieldCountMixed', params: { expected: 9, found: 1, other: ',', separator: ';' } });
      expect(t(records[1]!.problem!.key, records[1]!.problem!.params)).to.equal('A linha tem 1 campos, mas o cabeçalho tem 9: ela parece separada por ",", e o arquivo usa ";".');
      expect(records[0]!.problem).to.equal(undefined);
      expect(records[2]!.problem).to.equal(undefined);
    });

    it('a row with more fields (a value holding the separator unquoted) is a row problem', async () => {
      const { records } = await readAll(file([HEADER, ROW('Silva; Ana')].join('\n')));
      expect(records[0]!.problem).to.deep.equal({ key: 'imports.row.fieldCount', params: { expected: 9, found: 10 } });
    });

    it('trailing empty fields past the header, and a short row missing its last cells, are read as they are', async () => {
      const { records } = await readAll(file([HEADER, `${ROW('Ana')};;;`, 'Bia, Souza;bia@example.com;529.982.247-25;BR;;11;98765-4321'].join('\n')));
      expect(records.map((r) => r.problem)).to.deep.equal([undefined, undefined]);
      expect(records[1]!.cells).to.deep.include({ nome: 'Bia, Souza', perfil: '', consultoria: '' });
    });
  });
});
