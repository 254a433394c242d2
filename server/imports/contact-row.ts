/**
 * One record of an import file → the values the add form would receive, validated by the add
 * form's own `parseContactForm` (one source of rules). What this file adds is only what a
 * spreadsheet does to a cell: country and profile names, "Passaporte: AB123" documents, yes/no
 * words, CPFs that lost their leading zeros, numbers turned into scientific notation.
 *
 * A formula in the name (`=HYPERLINK(...)`, `+cmd`, `@SUM(...)`) is accepted as text, because
 * the add form accepts it: a second rule here would make the import refuse what the form lets
 * anyone type. It is stored as typed and never evaluated by the portal; the export neutralises
 * cells starting with `=`, `+`, `-`, `@`, tab or CR for whoever opens it in a spreadsheet.
 */
import { parseContactForm, type ContactFormValues } from '../contacts/contact-form';
import type { ContactFields } from '../contacts/contacts.repository';
import { formatCpf, isValidCpf, normalizeCpf } from '../contacts/identity';
import { ValidationFailed } from '../errors';
import { TEMPLATE_COLUMNS, type ImportColumn } from './columns';
import { consultingOf, countryOf, documentOf, isScientific, profileOf, type ImportProfile } from './cell-values';
import type { CsvRecord } from './csv-reader';

export type { ImportProfile } from './cell-values';

export interface RowIssue {
  line: number;
  /** The file's column the message is about; null for the whole row. */
  column: ImportColumn | null;
  key: string;
  params?: Record<string, unknown>;
  severity: 'error' | 'warning';
}

export interface ContactFromRow {
  line: number;
  /** The contact as the add form stores it; null when the row has any error. */
  fields: ContactFields | null;
  /** Null when the perfil cell names no profile (or the row could not be read). */
  profile: ImportProfile | null;
  /** Errors and warnings, in the file's column order (row-wide ones first). */
  issues: RowIssue[];
}

/** The add form's fields and the file's column each is typed in (`document` depends on the country). */
const COLUMN_OF_FIELD: Readonly<Record<string, ImportColumn>> = {
  name: 'nome', email: 'email', country: 'pais', documentType: 'documento', areaCode: 'ddd', phone: 'telefone',
};

/** Form fields whose rules depend on the country: left unchecked when the country is not understood. */
const COUNTRY_RULED = new Set(['country', 'document', 'documentType', 'areaCode', 'phone']);

/**
 * A CPF that a spreadsheet stored as a number lost its leading zeros (012.345.678-90 →
 * 1234567890). Padded back (identity's rule: 9 or 10 digits) only when the padded number passes
 * the check digits; null otherwise, and the form's own CPF message is shown.
 */
function cpfWithZeros(cell: string): string | null {
  const digits = normalizeCpf(cell);
  if (digits === null || digits.length >= 11) return null;
  const padded = normalizeCpf(cell, { padLeadingZeros: true });
  return padded !== null && isValidCpf(padded) ? padded : null;
}

export function contactFromRecord(record: CsvRecord): ContactFromRow {
  const { line } = record;
  const issues: RowIssue[] = [];
  const add = (severity: RowIssue['severity'], column: ImportColumn | null, key: string, params?: Record<string, unknown>) => {
    issues.push(params && Object.keys(params).length ? { line, column, key, params, severity } : { line, column, key, severity });
  };
  if (record.problem) {
    add('error', null, record.problem.key, record.problem.params);
    return { line, fields: null, profile: null, issues };
  }
  const cell = (column: ImportColumn) => (record.cells[column] ?? '').trim();

  const country = countryOf(cell('pais'));
  if (country === null) add('error', 'pais', 'imports.cell.country', { value: cell('pais') });
  const documentColumn: ImportColumn = country === 'BR' ? 'cpf' : 'documento';

  for (const column of ['cpf', 'ddd', 'telefone'] as const) {
    if (isScientific(cell(column))) add('error', column, 'imports.cell.scientific', { value: cell(column) });
  }

  let documentType = '';
  let document = '';
  if (country === 'BR') {
    document = cell('cpf');
    const padded = cpfWithZeros(document);
    if (padded) {
      document = padded;
      add('warning', 'cpf', 'imports.cell.cpfPadded', { cpf: formatCpf(padded) });
    }
  } else if (country !== null) {
    const parsed = documentOf(cell('documento'));
    if (parsed.type === null) add('error', 'documento', 'imports.cell.documentType', { value: parsed.typeText });
    documentType = parsed.type ?? '';
    document = parsed.number;
  }

  const profile = profileOf(cell('perfil'));
  if (profile === undefined) add('error', 'perfil', 'imports.cell.profile', { value: cell('perfil') });
  const consulting = consultingOf(cell('consultoria'));
  if (consulting === undefined) add('error', 'consultoria', 'imports.cell.consulting', { value: cell('consultoria') });

  const values: ContactFormValues = {
    country: country ?? cell('pais'),
    name: cell('nome'),
    documentType,
    document,
    areaCode: cell('ddd'),
    phone: cell('telefone'),
    email: cell('email'),
    emailConfirmation: cell('email'),
    consultingAuthorized: consulting ?? false,
  };
  let fields: ContactFields | null = null;
  try {
    fields = parseContactForm(values, { confirmEmail: false });
  } catch (err) {
    if (!(err instanceof ValidationFailed)) throw err;
    for (const [field, { key, params }] of Object.entries(err.fields)) {
      if (country === null && COUNTRY_RULED.has(field)) continue;
      const column = field === 'document' ? documentColumn : (COLUMN_OF_FIELD[field] ?? null);
      // A column already explained by the import's own message (scientific notation, an unknown
      // document type) would otherwise get the form's vaguer one too.
      if (column && issues.some((i) => i.column === column && i.severity === 'error')) continue;
      add('error', column, key, params);
    }
  }

  const order = (column: ImportColumn | null) => (column === null ? -1 : TEMPLATE_COLUMNS.indexOf(column));
  issues.sort((a, b) => order(a.column) - order(b.column));
  const failed = issues.some((i) => i.severity === 'error');
  return { line, fields: failed ? null : fields, profile: profile ?? null, issues };
}
