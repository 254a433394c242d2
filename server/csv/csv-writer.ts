/**
 * CSV files people open in a spreadsheet (Excel, LibreOffice) set to Brazilian defaults: `;` between
 * cells (`,` is the decimal separator there), CRLF line ends, UTF-8 with a BOM (without it Excel
 * reads the file as Windows-1252 and "João" comes out as "JoÃ£o"). Every CSV the portal hands out
 * (contact export, the import's rejected rows, the audit export) goes through here.
 *
 * Quoting is csv-stringify's; nothing here builds CSV text by hand. Rows are pulled one at a time
 * from the caller's async iterable, and only as fast as the destination takes the bytes, so an
 * export of any size holds a few rows in memory, not the file.
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify, type Options } from 'csv-stringify';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** A header line and its rows, each row one string per header cell. */
export interface CsvTable {
  header: readonly string[];
  rows: AsyncIterable<readonly string[]> | Iterable<readonly string[]>;
}

const OPTIONS: Options = {
  delimiter: ';',
  record_delimiter: 'windows',
  bom: true,
  // With a record delimiter given, csv-stringify quotes only cells holding that exact "\r\n": a lone
  // "\n" or "\r" inside a name would then end the row in a spreadsheet. Quote all three.
  quote_record_delimiter: true,
  // Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that begins with `=`, `+`,
  // `-` or `@` as a formula (tab and carriage return are stripped first, so they hide one), and a
  // contact named `=HYPERLINK(...)` would run on the administrator's machine. csv-stringify prefixes
  // such cells with a single quote, which the spreadsheet takes as "this cell is text" (it also
  // covers the full-width `＝ ＋ － ＠` that Apple Numbers folds). Cells starting with a digit are
  // left alone, so a CPF `012.345.678-90` or a phone `98765-4321` stays as written.
  escape_formulas: true,
};

/** The CSV bytes of `table` as a stream: rows are read from `table.rows` only as the stream is read. */
export function csvReadable(table: CsvTable): Readable {
  const csv = stringify(OPTIONS);
  // pipeline, not pipe: an error in the rows (a failed query) destroys the CSV stream with it, so the
  // reader sees the error instead of a file that silently ends early.
  pipeline(Readable.from(withHeader(table), { objectMode: true, highWaterMark: 16 }), csv).catch(() => {
    /* handed to whoever reads `csv`: it is destroyed with the same error */
  });
  return csv;
}

async function* withHeader(table: CsvTable): AsyncGenerator<readonly string[]> {
  yield table.header;
  yield* table.rows;
}

/**
 * Writes `table` as CSV into `out` and ends it. Resolves once `out` has every byte; rejects when the
 * rows fail or `out` closes first (a client that goes away): then the rows' iterator is returned
 * (its `finally` blocks run) and nothing more is read from it.
 */
export async function writeCsv(table: CsvTable, out: Writable): Promise<void> {
  await pipeline(csvReadable(table), out);
}
