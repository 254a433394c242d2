import type { Translate } from '../i18n';
import type { ExportedContact } from './contacts.repository';
import { formatCpf, formatLocalNumber } from './identity';

/**
 * The columns of the contacts CSV: the import's template and the export share them, so a file
 * exported and imported again gives back the same contacts.
 */
export const CONTACT_CSV_HEADER = ['nome', 'email', 'cpf', 'pais', 'documento', 'ddd', 'telefone', 'perfil', 'consultoria'] as const;

/**
 * One contact as a CSV row. Spreadsheets turn digit-only cells into numbers and drop leading
 * zeros, so numbers keep a mask that makes them text: the CPF as `012.345.678-90`, the phone as
 * `98765-4321` (every country: a foreign `0791…` would lose its zero too). Another country's
 * document is `<type>: <number>` with the type's key (`passport: AB123456`), read back by the import.
 */
export function contactCsvRow(c: ExportedContact, t: Translate): string[] {
  const brazilian = c.country === 'BR';
  return [
    c.name,
    c.email,
    brazilian && c.document_type === 'cpf' && c.document_number ? formatCpf(c.document_number) : '',
    c.country,
    !brazilian && c.document_type && c.document_number ? `${c.document_type}: ${c.document_number}` : '',
    c.area_code ?? '',
    c.phone ? formatLocalNumber(c.phone) : '',
    // A plugin's profile without a label in the catalogs is written by its key.
    t(`profiles.${c.profile}`, { defaultValue: c.profile }),
    // SQLite answers 0/1, MySQL a TINYINT: both numbers.
    t(Number(c.consulting_authorized) ? 'contacts.export.yes' : 'contacts.export.no'),
  ];
}
