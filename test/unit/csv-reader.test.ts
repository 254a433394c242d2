import { expect } from 'chai';
import iconv from 'iconv-lite';
import { openContactsCsv, TEMPLATE_COLUMNS, type CsvRecord } from '../../server/imports/csv-reader';
import { BOM, csvFiles, HEADER, readAll, refusal, ROW } from '../support/csv-files';

describe('import: CSV reader, the file', () => {
  const files = csvFiles();
  const { file } = files;

  describe('encodings', () => {
    it('reads UTF-8 with a BOM (Excel\'s "CSV UTF-8") and says so', async () => {
      const { info, records } = await readAll(file(Buffer.concat([BOM, Buffer.from(`${HEADER}\r\n${ROW('João Conceição')}\r\n`)])));
      expect(info).to.deep.include({ encoding: 'utf-8', bom: true, separator: ';' });
      expect(info.columns).to.deep.equal([...TEMPLATE_COLUMNS]);
      expect(records).to.have.length(1);
      expect(records[0]!.cells.nome).to.equal('João Conceição');
      expect(records[0]!.cells.consultoria).to.equal('não');
    });

    it('reads UTF-8 without a BOM (LibreOffice\'s default)', async () => {
      const { info, records } = await readAll(file(`${HEADER}\n${ROW('Ângela Müller')}\n`));
      expect(info).to.deep.include({ encoding: 'utf-8', bom: false });
      expect(records[0]!.cells.nome).to.equal('Ângela Müller');
    });

    it('reads Windows-1252 (Excel\'s "CSV" in Brazil): "João" comes out right', async () => {
      const header = HEADER.replace('pais', 'País');
      const { info, records } = await readAll(file(iconv.encode(`${header}\r\n${ROW('João Conceição')}\r\n${ROW('Açaí “Ltda”')}\r\n`, 'win1252')));
      expect(info).to.deep.include({ encoding: 'windows-1252', bom: false });
      expect(info.columns).to.deep.equal([...TEMPLATE_COLUMNS]);
      expect(records.map((r) => r.cells.nome)).to.deep.equal(['João Conceição', 'Açaí “Ltda”']);
      expect(records[0]!.cells.consultoria).to.equal('não');
    });

    it('a Windows-1252 file whose first accent comes after 64 KB of plain rows is still Windows-1252', async () => {
      const plain = Array.from({ length: 1500 }, (_, i) => ROW('Ana Souza', i).replace('não', 'nao'));
      const { info, records } = await readAll(file(iconv.encode(`${HEADER}\r\n${plain.join('\r\n')}\r\n${ROW('João', 9999)}\r\n`, 'win1252')));
      expect(info.encoding).to.equal('windows-1252');
      expect(records).to.have.length(1501);
      expect(records.at(-1)!.cells.nome).to.equal('João');
      expect(records.at(-1)!.line).to.equal(1502);
    });

    it('refuses UTF-8 broken in its first bytes (valid accents, then an invalid byte), naming the line', async () => {
      const bytes = Buffer.concat([Buffer.from(`${HEADER}\n${ROW('João')}\n${ROW('Maria')}\n`), Buffer.from('Jos'), Buffer.from([0xe9]), Buffer.from(';x@example.com;;;;;;;\n')]);
      const err = await refusal(files, file(bytes));
      expect(err.messageKey).to.equal('imports.refused.invalidUtf8');
      expect(err.params).to.deep.equal({ line: 4 });
      expect(err.text).to.match(/^Linha 4: o arquivo não é UTF-8 válido/);
      expect(err.readBefore).to.equal(0);
    });

    it('refuses UTF-8 broken far past its first 64 KB while the rows are read, naming the line', async () => {
      const rows = Array.from({ length: 2000 }, (_, i) => ROW('João', i));
      const bytes = Buffer.concat([Buffer.from(`${HEADER}\n${rows.join('\n')}\n`), Buffer.from([0x4a, 0x6f, 0x73, 0xe9, 0x0a]), Buffer.from(`${ROW('Ana')}\n`)]);
      const err = await refusal(files, file(bytes));
      expect(err.messageKey).to.equal('imports.refused.invalidUtf8');
      expect(err.params).to.deep.equal({ line: 2002 });
      expect(err.readBefore, 'rows before the broken one were read').to.be.greaterThan(1000);
    });

    it('refuses a UTF-8 file that ends in the middle of a character', async () => {
      const err = await refusal(files, file(Buffer.concat([Buffer.from(`${HEADER}\n${ROW('Ana')}\nJo`), Buffer.from([0xc3])])));
      expect(err.messageKey).to.equal('imports.refused.invalidUtf8');
      expect(err.params).to.deep.equal({ line: 3 });
    });
  });

  describe('files that are not CSV text', () => {
    const cases: [string, Buffer, string][] = [
      ['a PNG image renamed .csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]), 'imports.refused.notText'],
      ['a JPEG photo', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]), 'imports.refused.notText'],
      ['a PDF', Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n'), 'imports.refused.notText'],
      ['text with NUL bytes', Buffer.concat([Buffer.from(`${HEADER}\n`), Buffer.from([0x41, 0, 0x42])]), 'imports.refused.notText'],
      ['the .xlsx itself (a ZIP)', Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x06\x00', 'latin1'), Buffer.from('[Content_Types].xml')]), 'imports.refused.spreadsheet'],
      ['an old .xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'imports.refused.spreadsheet'],
      ['Excel\'s "Unicode text" (UTF-16)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('nome\temail\r\n', 'utf16le')]), 'imports.refused.utf16'],
    ];
    for (const [title, bytes, key] of cases) {
      it(`refuses ${title} before any row`, async () => {
        const err = await refusal(files, file(bytes));
        expect(err.messageKey).to.equal(key);
        expect(err.readBefore).to.equal(0);
      });
    }

    it('tells to save an .xlsx as CSV', async () => {
      const err = await refusal(files, file(Buffer.from('PK\x03\x04rest', 'latin1')));
      expect(err.text).to.contain('"Salvar como" → "CSV"');
    });
  });

  describe('empty and header-only files', () => {
    for (const [title, content] of [['0 bytes', ''], ['only a BOM and blank lines', Buffer.concat([BOM, Buffer.from('\r\n\r\n  \r\n')])]] as const) {
      it(`refuses an empty file (${title})`, async () => {
        const err = await refusal(files, file(content));
        expect(err.messageKey).to.equal('imports.refused.empty');
        expect(err.text).to.equal('O arquivo está vazio.');
      });
    }

    for (const [title, content] of [
      ['with a line break', `${HEADER}\r\n`],
      ['without one', HEADER],
      ['followed by blank lines and empty cells', `${HEADER}\r\n\r\n;;;;;;;;\r\n \r\n`],
    ] as const) {
      it(`refuses a file with only the header (${title})`, async () => {
        const err = await refusal(files, file(content));
        expect(err.messageKey).to.equal('imports.refused.headerOnly');
        expect(err.text).to.contain('só o cabeçalho');
      });
    }
  });

  describe('size', () => {
    it('refuses a single 5 MB line quickly, naming the line, without reading it whole', async () => {
      const long = `${HEADER}\r\n${ROW('Ana')}\r\n${'x'.repeat(5 * 1024 * 1024)}\r\n${ROW('Bia')}\r\n`;
      const started = Date.now();
      const err = await refusal(files, file(long));
      expect(err.messageKey).to.equal('imports.refused.recordTooLong');
      expect(err.params).to.deep.equal({ line: 3, maxKb: 64 });
      expect(err.text).to.equal('Linha 3: a linha passa de 64 KB. Confira se este é o arquivo certo.');
      expect(Date.now() - started).to.be.below(5000);
    });

    it('refuses a 5 MB header line', async () => {
      const err = await refusal(files, file(`nome;email;cpf;telefone;${'y'.repeat(5 * 1024 * 1024)}\n${ROW('Ana')}\n`));
      expect(err.messageKey).to.equal('imports.refused.recordTooLong');
      expect(err.params).to.deep.include({ line: 1 });
    });

    it('maxRecordBytes sets the limit', async () => {
      const p = file(`${HEADER}\n${ROW('A'.repeat(3000))}\n`);
      expect((await refusal(files, p, { maxRecordBytes: 2048 })).params).to.deep.equal({ line: 2, maxKb: 2 });
      expect((await readAll(p)).records).to.have.length(1);
    });

    it('reads 100,000 rows one at a time, every one of them, with the right last line', async function () {
      this.timeout(60_000);
      const rows = Array.from({ length: 100_000 }, (_, i) => ROW(`Pessoa ${i}`, i));
      const { records } = await openContactsCsv(file(`${HEADER}\r\n${rows.join('\r\n')}\r\n`));
      let count = 0;
      let last: CsvRecord | null = null;
      for await (const r of records) {
        count++;
        last = r;
      }
      expect(count).to.equal(100_000);
      expect(last).to.deep.include({ line: 100_001 });
      expect(last!.cells.email).to.equal('pessoa99999@example.com');
    });

    it('stopping early closes the reading', async () => {
      const rows = Array.from({ length: 20_000 }, (_, i) => ROW('Ana', i));
      const { records } = await openContactsCsv(file(`${HEADER}\n${rows.join('\n')}\n`));
      const seen: number[] = [];
      for await (const r of records) {
        seen.push(r.line);
        if (seen.length === 3) break;
      }
      expect(seen).to.deep.equal([2, 3, 4]);
    });
  });
});
