/**
 * The import's cells that name something (a country, a document type, a profile, yes or no) read
 * the way people write them in a spreadsheet: any case, with or without accents, in Portuguese,
 * Spanish or English, or as the key the portal stores. Whether the value is then acceptable is
 * the add form's decision, not this file's.
 */
import { countries, documentTypes, isKnownCountry, type DocumentType } from '../contacts/identity';
import { coreCatalogs, LOCALES, type Catalog } from '../i18n';
import type { ProfileId } from '../plugins/contract';
import { matchKey } from './columns';

/** The catalogs' labels under `path` (e.g. "contacts.documentTypes"), every locale, label key → its key. */
function catalogLabels(path: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const locale of LOCALES) {
    let node: Catalog | string | undefined = coreCatalogs[locale];
    for (const part of path.split('.')) node = typeof node === 'object' ? node[part] : undefined;
    if (typeof node !== 'object') continue;
    for (const [key, label] of Object.entries(node)) if (typeof label === 'string') labels.set(matchKey(label), key);
  }
  return labels;
}

let countryNames: Map<string, string> | null = null;

/**
 * The country code of a `pais` cell: empty is Brasil; a code the form offers (`PT`, `pt`); a
 * country's name in pt-BR, es or en (`Alemanha`, `Alemania`, `Germany`, `estados unidos`).
 * Null when none matches.
 */
export function countryOf(cell: string): string | null {
  const value = cell.trim();
  if (value === '') return 'BR';
  if (/^[a-z]{2}$/i.test(value) && isKnownCountry(value.toUpperCase())) return value.toUpperCase();
  if (!countryNames) {
    countryNames = new Map();
    for (const locale of LOCALES) {
      for (const { code, name } of countries(locale)) if (!countryNames.has(matchKey(name))) countryNames.set(matchKey(name), code);
    }
  }
  return countryNames.get(matchKey(value)) ?? null;
}

let documentTypeNames: Map<string, string> | null = null;

/**
 * A `documento` cell of a contact outside Brasil: `<type>: <number>`, the type a key
 * (`passport`) or its label in any locale (`Passaporte`, `Documento de identidad`); a number
 * alone is of type "other". `type` is null when the text before ":" names no type.
 */
export function documentOf(cell: string): { type: DocumentType | null; typeText: string; number: string } {
  const value = cell.trim();
  const colon = value.indexOf(':');
  if (colon < 0) return { type: 'other', typeText: '', number: value };
  if (!documentTypeNames) {
    documentTypeNames = catalogLabels('contacts.documentTypes');
    for (const key of documentTypes) documentTypeNames.set(matchKey(key), key);
  }
  const typeText = value.slice(0, colon).trim();
  const type = (documentTypeNames.get(matchKey(typeText)) as DocumentType | undefined) ?? null;
  return { type, typeText, number: value.slice(colon + 1).trim() };
}

/** Profiles an import may give; "Personalizado" is not one (its permissions are chosen one by one). */
export type ImportProfile = ProfileId;
const IMPORT_PROFILES: readonly ImportProfile[] = ['administrator', 'member', 'observer_download', 'observer'];

let profileNames: Map<string, ImportProfile> | null = null;

/**
 * The profile of a `perfil` cell: empty is Membro; a key or a label in any locale
 * (`Administrador`, `Miembro`, `Observer (may download documents)`). "Observador" alone is the
 * observer who may not download documents: the smaller access, when the file does not say.
 * Undefined when it names no profile.
 */
export function profileOf(cell: string): ImportProfile | undefined {
  const value = cell.trim();
  if (value === '') return 'member';
  if (!profileNames) {
    profileNames = new Map();
    for (const [label, key] of catalogLabels('profiles')) {
      if ((IMPORT_PROFILES as readonly string[]).includes(key)) profileNames.set(label, key as ImportProfile);
    }
    for (const key of IMPORT_PROFILES) profileNames.set(matchKey(key), key);
    for (const short of ['observador', 'observer']) profileNames.set(short, 'observer');
  }
  return profileNames.get(matchKey(value));
}

/**
 * Yes and no as spreadsheets hold them: words in the three languages, initials, 1/0, an "x" in a
 * checked cell, and the booleans Excel and LibreOffice write in Portuguese and Spanish
 * (VERDADEIRO/VERDADERO, FALSO). Empty is no.
 */
const YES = new Set(['sim', 's', 'si', 'yes', 'true', '1', 'x', 'verdadeiro', 'verdadero']);
const NO = new Set(['nao', 'n', 'no', 'false', '0', 'falso']);

/** The consulting flag of a `consultoria` cell; undefined when it is neither yes nor no. */
export function consultingOf(cell: string): boolean | undefined {
  const value = matchKey(cell);
  if (value === '' || NO.has(value)) return false;
  return YES.has(value) ? true : undefined;
}

/**
 * A number a spreadsheet wrote in scientific notation (`1,19876543E+10`, `5.29982E+10`): a CPF,
 * DDD or phone typed in a cell formatted as a number, whose digits are already lost.
 */
export function isScientific(cell: string): boolean {
  return /^[+-]?\d+(?:[.,]\d+)?e[+-]?\d+$/i.test(cell.trim());
}
