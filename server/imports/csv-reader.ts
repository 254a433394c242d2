/**
 * Reads an uploaded contacts CSV as a stream: file → encoding check or decoding → csv-parse →
 * one record at a time, with the line it starts on. Never the whole file in memory: a record is
 * capped (`maxRecordBytes`), so one endless line is refused after its first 64 KB.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { parse, type CsvError, type Parser } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';
import { ImportFileRefused, isDomainError } from '../errors';
import { columnOf, DOCUMENT_COLUMNS, REQUIRED_COLUMNS, TEMPLATE_COLUMNS, type ImportColumn } from './columns';
import { HEAD_BYTES, sniffFile, Utf8Check, type FileEncoding, type FileHead } from './file-encoding';

export { TEMPLATE_COLUMNS, type ImportColumn } from './columns';

export type Separator = ';' | ',' | '\t';

export interface CsvFileInfo {
  encoding: FileEncoding;
  bom: boolean;
  separator: Separator;
  /** The header's columns in file order; null for a column the import does not know (or an empty header cell). */
  columns: (ImportColumn | null)[];
  /** Header cells naming no known column, as written (trimmed); empty header cells are left out. */
  unknownColumns: string[];
}

export interface CsvRecord {
  /** 1-based line of the file where the record starts (the header is line 1). */
  line: number;
  /** The cell of each known column the header has ('' when the record is short of it). */
  cells: Partial<Record<ImportColumn, string>>;
  /** Set when the record cannot be read as a row of this header (e.g. a wrong number of fields). */
  problem?: { key: string; params?: Record<string, unknown> };
}

export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024;

/** `;` first: Excel and LibreOffice in Brazil write it, and on a tie it wins. */
const SEPARATORS: readonly Separator[] = [';', ',', '\t'];
const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Opens an import file: checks it is text, finds its encoding, separator and header, and reads
 * its first record. Refusals (ImportFileRefused) come before any record: empty file, header only,
 * not text, a spreadsheet instead of its CSV, invalid UTF-8 near the start, no recognisable
 * header, a duplicated or missing column. `records` may still throw ImportFileRefused further on
 * (invalid UTF-8, an unclosed quote, a record over `maxRecordBytes`), naming the line.
 * `records` is read once. It holds the file open until read to the end or left early (`break`,
 * or its iterator's `return()` for a caller that reads none of it).
 */
export async function openContactsCsv(
  filePath: string,
  options: { maxRecordBytes?: number } = {},
): Promise<{ info: CsvFileInfo; records: AsyncIterable<CsvRecord> }> {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const file = await sniffFile(filePath);
  const header = readHeader(file);
  const info: CsvFileInfo = { encoding: file.encoding, bom: file.bom, ...header };
  const records = readRecords(filePath, info, maxRecordBytes);
  const first = await records.next();
  if (first.done) throw new ImportFileRefused('imports.refused.headerOnly');
  return { info, records: startingWith(first.value, records) };
}

/** `rest` with `first` handed out before it (a plain iterator: a generator around it cost ~1 µs a record). */
function startingWith(first: CsvRecord, rest: AsyncGenerator<CsvRecord>): AsyncIterable<CsvRecord> {
  let pending: CsvRecord | null = first;
  const iterator: AsyncIterator<CsvRecord> = {
    next() {
      if (!pending) return rest.next();
      const value = pending;
      pending = null;
      return Promise.resolve({ value, done: false });
    },
    return() {
      pending = null;
      return rest.return(undefined);
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/** The template "Baixar modelo" gives: header and one valid example row, `;`, CRLF, UTF-8 with BOM so Excel reads the accents. */
export function templateCsv(): Buffer {
  const example: Record<ImportColumn, string> = {
    nome: 'Maria da Silva', email: 'maria.silva@example.com', cpf: '529.982.247-25', pais: 'BR', documento: '',
    ddd: '11', telefone: '98765-4321', perfil: 'Membro', consultoria: 'não',
  };
  const rows = [[...TEMPLATE_COLUMNS], TEMPLATE_COLUMNS.map((c) => example[c])];
  return Buffer.from(stringify(rows, { delimiter: ';', record_delimiter: 'windows', bom: true }), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------

function headText(file: FileHead): string {
  const text = file.encoding === 'utf-8' ? file.head.toString('utf8') : iconv.decode(file.head, 'win1252');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** The header's cells split by `separator`, quotes understood as csv-parse reads them; [] when unreadable. */
function splitHeader(line: string, separator: Separator): string[] {
  try {
    return (parseSync(line, { delimiter: separator, relax_quotes: true, relax_column_count: true, to_line: 1 }) as string[][])[0] ?? [];
  } catch {
    return [];
  }
}

/**
 * The first non-blank line is the header. The separator is the one that splits it into the most
 * known columns; then every column is checked: none known, a duplicate, a required one missing
 * are each refused before any row.
 */
function readHeader(file: FileHead): Pick<CsvFileInfo, 'separator' | 'columns' | 'unknownColumns'> {
  const text = headText(file);
  const lines = text.split(LINE_BREAK);
  const index = lines.findIndex((l) => l.trim() !== '');
  const whole = file.head.length >= file.size;
  if (index < 0) throw new ImportFileRefused(whole ? 'imports.refused.empty' : 'imports.refused.noHeader', { template: TEMPLATE_COLUMNS.join(';') });
  if (index === lines.length - 1 && !whole) {
    throw new ImportFileRefused('imports.refused.recordTooLong', { line: index + 1, maxKb: HEAD_BYTES / 1024 });
  }

  let best: { separator: Separator; cells: string[]; known: number } | null = null;
  for (const separator of SEPARATORS) {
    const cells = splitHeader(lines[index]!, separator);
    const known = new Set(cells.map(columnOf).filter(Boolean)).size;
    if (!best || known > best.known) best = { separator, cells, known };
  }
  if (!best || best.known === 0) throw new ImportFileRefused('imports.refused.noHeader', { template: TEMPLATE_COLUMNS.join(';') });

  const names = best.cells.map((c) => c.trim());
  const columns = names.map(columnOf);
  for (const column of new Set(columns)) {
    const written = names.filter((_, i) => column && columns[i] === column);
    if (written.length > 1) throw new ImportFileRefused('imports.refused.duplicatedHeader', { column, names: written.map((n) => `"${n}"`).join(', ') });
  }
  const missing: string[] = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (!DOCUMENT_COLUMNS.some((c) => columns.includes(c))) missing.push(DOCUMENT_COLUMNS.join('/'));
  if (missing.length) throw new ImportFileRefused('imports.refused.missingColumns', { columns: missing.join(', ') });

  return { separator: best.separator, columns, unknownColumns: names.filter((n, i) => columns[i] === null && n !== '') };
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

/** Line breaks inside a record's quoted fields (a CRLF is one). */
function breaksIn(fields: string[]): number {
  let breaks = 0;
  for (const f of fields) {
    if (f.indexOf('\n') < 0 && f.indexOf('\r') < 0) continue;
    breaks += f.split(LINE_BREAK).length - 1;
  }
  return breaks;
}

const isBlank = (fields: string[]) => fields.every((f) => f.trim() === '');

/**
 * The file as csv-parse records (arrays of fields), decoded on the way. Blank lines come through
 * as records too (skip_empty_lines off): each physical line is then inside exactly one record, and
 * counting line breaks gives every record's first line. csv-parse's own `lines` is no use here:
 * it counts a CRLF inside quotes twice.
 */
function parseFile(filePath: string, info: CsvFileInfo, maxRecordBytes: number, onRecord?: (fields: string[]) => null): Parser {
  const parser = parse({
    delimiter: info.separator,
    record_delimiter: ['\r\n', '\n', '\r'],
    bom: true,
    // Excel and LibreOffice quote a field holding the separator, a quote or a line break, and
    // double the quotes inside; hand-made files also hold a bare quote inside a field
    // (`João "Jota" Silva`), which is text, not an error.
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: maxRecordBytes,
    on_record: onRecord,
  });
  const decoder = info.encoding === 'utf-8' ? new Utf8Check(filePath) : iconv.decodeStream('win1252');
  pipeline(createReadStream(filePath), decoder, parser, () => {
    // Errors reach the parser (pipeline destroys it with them) and are thrown where it is read.
  });
  return parser;
}

async function* readRecords(filePath: string, info: CsvFileInfo, maxRecordBytes: number): AsyncGenerator<CsvRecord> {
  const { columns, separator } = info;
  const parser = parseFile(filePath, info, maxRecordBytes);
  let lastEnd = 0;
  let headerSeen = false;
  try {
    for await (const fields of parser as AsyncIterable<string[]>) {
      const line = lastEnd + 1;
      lastEnd = line + breaksIn(fields);
      if (isBlank(fields)) continue;
      if (!headerSeen) {
        headerSeen = true;
        continue;
      }
      const cells: Partial<Record<ImportColumn, string>> = {};
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i];
        if (column) cells[column] = fields[i] ?? '';
      }
      const record: CsvRecord = { line, cells };
      if (fields.length !== columns.length) {
        const problem = fieldCountProblem(fields, columns.length, separator);
        if (problem) record.problem = problem;
      }
      yield record;
    }
  } catch (err) {
    throw await refusalOf(err, parser, filePath, info, maxRecordBytes);
  } finally {
    parser.destroy();
  }
}

/**
 * A record of another length than the header. Longer, with only empty cells past the header's
 * last column, is the trailing separators spreadsheets leave, not a problem. Shorter is read with
 * the missing cells empty (Excel leaves out the separators of blank cells at the end of a row in
 * long sheets), unless split by another separator it would have the header's fields: a row
 * written with that one (a "Silva, João" in a short row is not).
 */
function fieldCountProblem(fields: string[], expected: number, separator: Separator): CsvRecord['problem'] {
  const found = fields.length;
  if (found > expected) {
    if (isBlank(fields.slice(expected))) return undefined;
    return { key: 'imports.row.fieldCount', params: { expected, found } };
  }
  const text = fields.join(separator);
  const other = SEPARATORS.find((s) => s !== separator && text.split(s).length >= expected);
  if (!other) return undefined;
  const name = (s: Separator) => (s === '\t' ? 'tab' : s);
  return { key: 'imports.row.fieldCountMixed', params: { expected, found, other: name(other), separator: name(separator) } };
}

/**
 * The line where the record csv-parse failed on begins. Records already parsed may not have
 * reached the reader when the error did, so the file is parsed again up to the error, counting
 * lines as each record is parsed (only when refusing: on every record it halves the speed).
 */
async function failedRecordLine(filePath: string, info: CsvFileInfo, maxRecordBytes: number): Promise<number> {
  let lastEnd = 0;
  const parser = parseFile(filePath, info, maxRecordBytes, (fields) => {
    lastEnd += 1 + breaksIn(fields);
    return null;
  });
  try {
    for await (const _ of parser);
  } catch {
    // The same error again: wanted only for where it stopped.
  }
  return lastEnd + 1;
}

async function refusalOf(err: unknown, parser: Parser, filePath: string, info: CsvFileInfo, maxRecordBytes: number): Promise<unknown> {
  const code = (err as Partial<CsvError>)?.code;
  if (isDomainError(err) || typeof code !== 'string' || !code.startsWith('CSV_')) return err;
  // Still inside quotes: a quote never closed swallows the rest of the file into one field, so
  // that is what a too long record inside quotes almost always is. csv-parse keeps that state on
  // its (untyped) `state`.
  const quoting = (parser as unknown as { state?: { quoting?: boolean } }).state?.quoting === true;
  const line = await failedRecordLine(filePath, info, maxRecordBytes);
  if (code === 'CSV_QUOTE_NOT_CLOSED' || (code === 'CSV_MAX_RECORD_SIZE' && quoting)) return new ImportFileRefused('imports.refused.unclosedQuote', { line });
  if (code === 'CSV_MAX_RECORD_SIZE') return new ImportFileRefused('imports.refused.recordTooLong', { line, maxKb: Math.round(maxRecordBytes / 1024) });
  return new ImportFileRefused('imports.refused.malformed', { line });
}
