import { CONTACT_CSV_HEADER } from '../contacts/contact-csv';
import { fold } from '../contacts/search-text';

/** The import file's columns, named as the template's header names them: the export's, so an export imports back. */
export type ImportColumn = (typeof CONTACT_CSV_HEADER)[number];

/** The template's header, in its order. */
export const TEMPLATE_COLUMNS: readonly ImportColumn[] = CONTACT_CSV_HEADER;

/** Required in the header; besides these, at least one of cpf / documento (Brazilians need cpf, others documento). */
export const REQUIRED_COLUMNS: readonly ImportColumn[] = Object.freeze(['nome', 'email', 'telefone'] as const);
export const DOCUMENT_COLUMNS: readonly ImportColumn[] = Object.freeze(['cpf', 'documento'] as const);

/**
 * Header names besides the template's, kept small on purpose: the spellings people write by hand
 * ("Nome completo", "Celular") and the add form's labels ("Autorizado para utilizar consultoria?").
 * Case, accents, spaces and punctuation never matter ("E-mail", "EMAIL" and "País" need no entry).
 */
const ALIASES: ReadonlyMap<string, ImportColumn> = new Map([
  ['nomecompleto', 'nome'],
  ['celular', 'telefone'],
  ['autorizadoparautilizarconsultoria', 'consultoria'],
]);

/** How a header cell or a named value is compared: folded, only letters and digits ("  E-Mail " → "email", "País" → "pais"). */
export function matchKey(name: string): string {
  return fold(name).replace(/[^a-z0-9]/g, '');
}

/** The column a header cell names, or null for a column the import does not know. */
export function columnOf(name: string): ImportColumn | null {
  const key = matchKey(name);
  if ((TEMPLATE_COLUMNS as readonly string[]).includes(key)) return key as ImportColumn;
  return ALIASES.get(key) ?? null;
}
