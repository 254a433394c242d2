/**
 * Identity data of a contact: CPF, other identification documents, Brazilian area codes (DDD),
 * phones and the country list. Pure functions, no I/O, so the form, the CSV import and the list
 * search share one set of rules.
 *
 * The hard parts come from the libraries (DESIGN §3a): CPF check digits from `cpf-cnpj-validator`,
 * phone numbering plans (DDDs, fixed/mobile ranges, calling codes) from `libphonenumber-js`.
 */
import { cpf } from 'cpf-cnpj-validator';
import {
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js/max';

// ---------------------------------------------------------------------------------------------
// CPF
// ---------------------------------------------------------------------------------------------

/** Characters a person may type around CPF digits: the mask (`.` `-`) and spaces. */
const CPF_TYPED = /^[\d.\-\s]*$/;

export interface NormalizeCpfOptions {
  /**
   * Pad 9 or 10 digits to 11 with leading zeros. Only for the CSV import: a spreadsheet turns
   * `012.345.678-90` into the number 1234567890. A person typing in the form sees the field, so
   * there a short CPF stays short and fails validation instead of being silently "fixed".
   */
  padLeadingZeros?: boolean;
}

/**
 * The digits of a CPF as typed, without mask (`012.345.678-90`, `01234567890`, `012 345 678 90`
 * all give `01234567890`). Null when the input holds anything but digits, mask and spaces, or
 * no digit at all. Does not validate: see `isValidCpf`.
 */
export function normalizeCpf(input: string, options: NormalizeCpfOptions = {}): string | null {
  if (typeof input !== 'string' || !CPF_TYPED.test(input)) return null;
  // Library strip in loose mode removes every non-digit; safe here because CPF_TYPED already
  // refused letters and other garbage (loose mode alone would accept "abc529.982.247-25").
  const digits = cpf.strip(input);
  if (digits.length === 0) return null;
  if (options.padLeadingZeros && (digits.length === 9 || digits.length === 10)) return digits.padStart(11, '0');
  return digits;
}

/**
 * True for a CPF with valid check digits, typed with or without mask. Exactly 11 digits after
 * removing the mask (never padded here). Repeated digits (`111.111.111-11`), whose check digits
 * happen to be right, are refused by the library's blacklist, as is the well-known sample
 * `123.456.789-09`.
 */
export function isValidCpf(input: string): boolean {
  const digits = normalizeCpf(input);
  return digits !== null && digits.length === 11 && cpf.isValid(digits);
}

/**
 * `01234567890` → `012.345.678-90`, the way Brazilians read a CPF. Anything that is not 11 digits
 * (legacy data) is returned unchanged rather than half-masked.
 */
export function formatCpf(digits11: string): string {
  // Runs for every row of a list page: a plain mask, no library call.
  if (!/^\d{11}$/.test(digits11)) return digits11;
  return `${digits11.slice(0, 3)}.${digits11.slice(3, 6)}.${digits11.slice(6, 9)}-${digits11.slice(9)}`;
}

/**
 * For the contact list search: a query made only of digits and CPF mask characters with at least
 * 3 digits is (part of) a CPF, so `123.456` and `123456` both search the stored digits `123456`.
 * Null otherwise (search by name or e-mail only). Three digits keep `1` or `12` from matching
 * almost every row.
 */
export function cpfSearchDigits(query: string): string | null {
  if (typeof query !== 'string') return null;
  const digits = normalizeCpf(query.trim());
  return digits !== null && digits.length >= 3 ? digits : null;
}

// ---------------------------------------------------------------------------------------------
// Brazilian area codes (DDD)
// ---------------------------------------------------------------------------------------------

/**
 * The DDDs in use, DERIVED from libphonenumber-js full metadata (not a hand-kept list): a
 * two-digit code is a real DDD when the Brazilian numbering plan gives it both fixed lines
 * (`DDD + [2-5]xxxxxxx`) and mobiles (`DDD + 9xxxxxxxx`). This yields Anatel's 67 codes
 * (11-19, 21, 22, 24, 27, 28, 31-35, 37, 38, 41-49, 51, 53-55, 61-69, 71, 73-75, 77, 79,
 * 81-89, 91-99); test/unit/identity.test.ts pins that list, so a metadata change is noticed.
 * Sample numbers are needed because the metadata exposes DDDs only inside regular expressions;
 * the type check also keeps out non-geographic prefixes such as 30 (`3003 …` shared-cost numbers).
 */
const BRAZILIAN_AREA_CODES: ReadonlySet<string> = (() => {
  const codes = new Set<string>();
  for (let ddd = 11; ddd <= 99; ddd++) {
    const mobile = parsePhoneNumberFromString(`${ddd}987654321`, 'BR');
    const fixed = parsePhoneNumberFromString(`${ddd}34567890`, 'BR');
    if (mobile?.getType() === 'MOBILE' && fixed?.getType() === 'FIXED_LINE') codes.add(String(ddd));
  }
  return codes;
})();

/** True for one of the DDDs in use (`11`, `99`), false for `10`, `20`, `23`, `1`, `011`. */
export function isValidBrazilianAreaCode(ddd: string): boolean {
  return typeof ddd === 'string' && BRAZILIAN_AREA_CODES.has(ddd);
}

// ---------------------------------------------------------------------------------------------
// Phones
// ---------------------------------------------------------------------------------------------

/** Separators people type inside a phone or area code: spaces, `-`, `.`, parentheses. */
const PHONE_TYPED = /^[\d\s.\-()]*$/;

/** Digits of a typed phone part, or null when it holds letters or other garbage. */
function phoneDigits(input: string | undefined | null): string | null {
  if (input == null) return '';
  if (typeof input !== 'string' || !PHONE_TYPED.test(input)) return null;
  return input.replace(/\D/g, '');
}

export type PhoneValidation =
  | { ok: true; areaCode: string | null; number: string }
  | { ok: false; field: 'areaCode' | 'phone'; key: string };

/**
 * Validates the area code and phone of a contact of `country` (ISO code) and returns their stored
 * forms (digits only; area code null when none).
 *
 * Brasil: the DDD must be real (`(11)` and the old trunk-prefixed `011` are accepted as `11`);
 * the number has 8 digits (fixed line) or 9 digits starting with 9 (mobile), masks such as
 * `98765-4321` accepted; finally DDD + number must be a valid Brazilian number in libphonenumber-js
 * full metadata, which refuses what the length rule lets through: an 8-digit number starting with
 * 0, 1, 6, 8 or 9 (e.g. an old mobile missing its ninth digit).
 * Elsewhere: 4 to 15 digits (E.164 allows at most 15), area code optional, 1 to 5 digits.
 */
export function validatePhone(country: string, areaCode: string | undefined, number: string): PhoneValidation {
  const digits = phoneDigits(number);
  const area = phoneDigits(areaCode);

  if (country === 'BR') {
    // "011": the long-distance trunk prefix 0 Brazilians used to write before the DDD.
    const ddd = area !== null && area.length === 3 && area.startsWith('0') ? area.slice(1) : area;
    if (ddd === null || !isValidBrazilianAreaCode(ddd)) return { ok: false, field: 'areaCode', key: 'contacts.validation.areaCode' };
    const phoneBr = { ok: false, field: 'phone', key: 'contacts.validation.phoneBr' } as const;
    if (digits === null || (digits.length !== 8 && digits.length !== 9)) return phoneBr;
    if (digits.length === 9 && !digits.startsWith('9')) return phoneBr;
    if (!parsePhoneNumberFromString(`${ddd}${digits}`, 'BR')?.isValid()) return phoneBr;
    return { ok: true, areaCode: ddd, number: digits };
  }

  if (area === null || area.length > 5) return { ok: false, field: 'areaCode', key: 'contacts.validation.areaCodeOther' };
  if (digits === null || digits.length < 4 || digits.length > 15) return { ok: false, field: 'phone', key: 'contacts.validation.phoneOther' };
  return { ok: true, areaCode: area === '' ? null : area, number: digits };
}

/** `987654321` → `98765-4321`, `34567890` → `3456-7890`: a number without its area code, as Brazilians write it. */
export function formatLocalNumber(number: string): string {
  return number.length > 4 ? `${number.slice(0, -4)}-${number.slice(-4)}` : number;
}

/**
 * Display form of a stored phone: `(11) 98765-4321` / `(11) 3456-7890` in Brasil,
 * `+<calling code> [<area code> ]<number>` elsewhere (`+351 912345678`).
 */
export function formatPhone(country: string, areaCode: string | null | undefined, number: string): string {
  const area = areaCode ?? '';
  if (country === 'BR') {
    // Stored numbers were validated on the way in, and for Brazil the library's national format
    // is exactly this mask: parsing each of a page's phones again cost ~25 µs apiece.
    const split = formatLocalNumber(number);
    return area ? `(${area}) ${split}` : split;
  }
  const local = area ? `${area} ${number}` : number;
  return isSupportedCountry(country) ? `+${getCountryCallingCode(country)} ${local}` : local;
}

// ---------------------------------------------------------------------------------------------
// Countries
// ---------------------------------------------------------------------------------------------

export interface Country {
  code: string;
  name: string;
}

const countryCache = new Map<string, readonly Country[]>();

/** True for a country the form offers (a libphonenumber-js country code such as `BR`, `PT`). */
export function isKnownCountry(code: string): code is CountryCode {
  return typeof code === 'string' && isSupportedCountry(code);
}

/**
 * The country select: codes from libphonenumber-js `getCountries()` (every country we can validate
 * and format a phone for), names from `Intl.DisplayNames` in `locale`, Brasil first (most
 * contacts), then the rest by localized name with that locale's collation (`Áustria` next to
 * `Austrália`, not after `Zâmbia`). Computed once per locale; each call returns a fresh array.
 */
export function countries(locale: string): Country[] {
  let list = countryCache.get(locale);
  if (!list) {
    const names = new Intl.DisplayNames([locale], { type: 'region', fallback: 'code' });
    const collator = new Intl.Collator(locale);
    const all = getCountries().map((code) => ({ code, name: names.of(code) ?? code }));
    const brasil = all.filter((c) => c.code === 'BR');
    const rest = all.filter((c) => c.code !== 'BR').sort((a, b) => collator.compare(a.name, b.name));
    list = Object.freeze([...brasil, ...rest].map((c) => Object.freeze(c)));
    countryCache.set(locale, list);
  }
  return list.map((c) => ({ ...c }));
}

// ---------------------------------------------------------------------------------------------
// Other identification documents (contacts outside Brasil)
// ---------------------------------------------------------------------------------------------

export const documentTypes = ['passport', 'national_id', 'other'] as const;
export type DocumentType = (typeof documentTypes)[number];

/** 3 to 30 of A-Z, 0-9, `.`, `-`, `/` after normalizing: passports and IDs of every country fit. */
const DOCUMENT_NUMBER = /^[A-Z0-9./-]{3,30}$/;

/**
 * Stored form of a foreign document number: trimmed, upper-case, spaces removed (`ab 123 456` →
 * `AB123456`), so the (account, document) uniqueness is not fooled by typing. Null when invalid.
 */
export function normalizeDocumentNumber(s: string): string | null {
  if (typeof s !== 'string') return null;
  const normalized = s.trim().toUpperCase().replace(/\s+/g, '');
  return DOCUMENT_NUMBER.test(normalized) ? normalized : null;
}

export function isValidDocumentNumber(s: string): boolean {
  return normalizeDocumentNumber(s) !== null;
}
