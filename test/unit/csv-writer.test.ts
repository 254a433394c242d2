import { Writable } from 'node:stream';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { csvReadable, writeCsv, type CsvTable } from '../../server/csv/csv-writer';

const BOM = '\uFEFF';

/** What a file download receives: every byte written into the destination. */
async function written(table: CsvTable): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  await writeCsv(table, out);
  return Buffer.concat(chunks).toString('utf8');
}

/** The cells as a spreadsheet (or the import) reads them back. */
const cells = (text: string): string[][] => parse(text, { delimiter: ';', bom: true, relax_column_count: true });

describe('csv writer', () => {
  it('writes UTF-8 with a BOM, the header first, cells separated by ";", lines ended by CRLF', async () => {
    const text = await written({ header: ['nome', 'email'], rows: [['João', 'joao@x.test'], ['Ana', 'ana@x.test']] });
    expect(text).to.equal(`${BOM}nome;email\r\nJoão;joao@x.test\r\nAna;ana@x.test\r\n`);
  });

  it('an empty table is the header line alone', async () => {
    expect(await written({ header: ['nome', 'email'], rows: [] })).to.equal(`${BOM}nome;email\r\n`);
  });

  it('quotes cells holding ";", quotes or line breaks, so each reads back as one cell', async () => {
    const tricky = ['Silva; Souza', 'Ana "Aninha" Reis', 'linha 1\nlinha 2', 'linha 1\r\nlinha 2', 'só\rcarriage', 'sem nada'];
    const text = await written({ header: tricky.map((_, i) => `c${i}`), rows: [tricky] });
    const line = text.split('\r\n')[1]!;
    expect(line.startsWith('"Silva; Souza";"Ana ""Aninha"" Reis";"linha 1\nlinha 2"')).to.equal(true);
    expect(text).to.contain('"só\rcarriage";sem nada\r\n');
    expect(cells(text)).to.deep.equal([tricky.map((_, i) => `c${i}`), tricky]);
  });

  it('neutralises a cell that a spreadsheet would run as a formula, with a leading single quote', async () => {
    const formulas = ['=1+1', '+5511987654321', '-Maria', '@SUM(A1:A2)', '\t=cmd', '\r=cmd', '=HYPERLINK("http://x.test";"clique")'];
    const text = await written({ header: ['nome'], rows: formulas.map((f) => [f]) });
    expect(cells(text).slice(1).map((r) => r[0])).to.deep.equal(formulas.map((f) => `'${f}`));
  });

  it('leaves numbers that begin with a digit, and a dash inside a cell, as written', async () => {
    const plain = ['012.345.678-90', '98765-4321', '11', 'Ana-Maria', 'a=b', 'x@y.test'];
    const text = await written({ header: plain.map((_, i) => `c${i}`), rows: [plain] });
    expect(text.split('\r\n')[1]).to.equal(plain.join(';'));
  });

  it('neutralises the header too: it is a cell like any other', async () => {
    expect(await written({ header: ['=evil', 'ok'], rows: [] })).to.equal(`${BOM}'=evil;ok\r\n`);
  });

  it('reads rows only as the reader takes the bytes: an unread export pulls a few rows, not all', async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield ['Ana Souza', 'ana@x.test'];
      }
    }
    const stream = csvReadable({ header: ['nome', 'email'], rows: endless() });
    await new Promise((r) => setTimeout(r, 50));
    // csv-stringify's readable buffer (16 KB of ~22-byte lines) plus the rows queue: well under 2,000.
    expect(pulled).to.be.greaterThan(0).and.lessThan(2000);
    const before = pulled;
    await new Promise((r) => setTimeout(r, 50));
    expect(pulled, 'nobody reads: no more rows are pulled').to.equal(before);
    stream.destroy();
  });

  it('when the destination closes early, stops reading rows and lets the rows clean up', async () => {
    let pulled = 0;
    let cleanedUp = false;
    async function* rows() {
      try {
        for (;;) {
          pulled++;
          yield ['Ana Souza', 'ana@x.test'];
        }
      } finally {
        cleanedUp = true;
      }
    }
    let received = 0;
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        received += chunk.length;
        if (received > 50_000) return out.destroy();
        done();
      },
    });
    const error = await writeCsv({ header: ['nome', 'email'], rows: rows() }, out).then(() => null, (err: unknown) => err);
    expect((error as { code?: string })?.code).to.equal('ERR_STREAM_PREMATURE_CLOSE');
    await new Promise((r) => setTimeout(r, 10));
    expect(cleanedUp).to.equal(true);
    const atClose = pulled;
    await new Promise((r) => setTimeout(r, 20));
    expect(pulled).to.equal(atClose);
    expect(pulled).to.be.lessThan(10_000);
  });

  it('a failure in the rows fails the write (no file that silently ends early)', async () => {
    async function* failing() {
      yield ['Ana', 'ana@x.test'];
      throw new Error('database gone');
    }
    const error = await written({ header: ['nome', 'email'], rows: failing() }).then(() => null, (err: unknown) => err);
    expect((error as Error)?.message).to.equal('database gone');
  });
});
