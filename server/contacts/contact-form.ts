import { z } from 'zod';
import { ValidationFailed, type FieldErrors } from '../errors';
import { email, fieldErrorsFrom, text } from '../validation';
import { isKnownCountry, isValidBrazilianAreaCode, isValidCpf, isValidDocumentNumber, normalizeCpf, normalizeDocumentNumber, validatePhone, documentTypes, formatCpf } from './identity';
import type { ContactFields } from './contacts.repository';

/** The form as typed, kept to show the values back next to their errors. */
export interface ContactFormValues {
  country: string;
  name: string;
  documentType: string;
  document: string;
  areaCode: string;
  phone: string;
  email: string;
  emailConfirmation: string;
  consultingAuthorized: boolean;
}

export const CONTACT_FIELDS = ['country', 'name', 'documentType', 'document', 'areaCode', 'phone', 'email', 'emailConfirmation', 'consultingAuthorized'] as const;

export function formValues(body: Record<string, unknown> = {}): ContactFormValues {
  const s = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  return {
    country: s('country') || 'BR',
    name: s('name'),
    documentType: s('documentType'),
    document: s('document'),
    areaCode: s('areaCode'),
    phone: s('phone'),
    email: s('email'),
    emailConfirmation: s('emailConfirmation'),
    consultingAuthorized: ['on', 'true', '1'].includes(s('consultingAuthorized')),
  };
}

export function valuesOf(row: ContactFields): ContactFormValues {
  return {
    country: row.country,
    name: row.name,
    documentType: row.country === 'BR' ? 'cpf' : (row.document_type ?? ''),
    document: row.document_type === 'cpf' && row.document_number ? formatCpf(row.document_number) : (row.document_number ?? ''),
    areaCode: row.area_code ?? '',
    phone: row.phone ?? '',
    email: row.email,
    emailConfirmation: row.email,
    consultingAuthorized: Boolean(row.consulting_authorized),
  };
}

const base = z.object({
  // One of the countries the form offers (a made-up code such as "ZZ" was stored as is).
  country: z.string().refine(isKnownCountry, 'contacts.validation.country'),
  // A name that a spreadsheet would run as a formula (=HYPERLINK(…), +cmd, @SUM) names nobody; it
  // would reach the company's spreadsheets through the export. Refused here, so the import refuses it too.
  name: text(150).refine((v) => !/^[=+\-@]/.test(v), 'contacts.validation.nameFormula'),
  email,
});

/**
 * Validates the whole form and returns the stored shape: CPF as 11 digits for Brazil, another
 * document (type + number) elsewhere, phone digits only. `confirmEmail` is on when adding.
 */
export function parseContactForm(values: ContactFormValues, options: { confirmEmail: boolean }): ContactFields {
  const errors: FieldErrors = {};
  const parsed = base.safeParse(values);
  if (!parsed.success) Object.assign(errors, fieldErrorsFrom(parsed.error));

  let documentType: string | null = null;
  let documentNumber: string | null = null;
  if (values.country === 'BR') {
    documentType = 'cpf';
    if (!values.document.trim()) errors.document = { key: 'validation.required' };
    else if (!isValidCpf(values.document)) errors.document = { key: 'contacts.validation.cpf' };
    else documentNumber = normalizeCpf(values.document);
  } else {
    if (!(documentTypes as readonly string[]).includes(values.documentType)) errors.documentType = { key: 'contacts.validation.documentType' };
    else documentType = values.documentType;
    if (!values.document.trim()) errors.document = { key: 'validation.required' };
    else if (!isValidDocumentNumber(values.document)) errors.document = { key: 'contacts.validation.document' };
    else documentNumber = normalizeDocumentNumber(values.document);
  }

  let areaCode: string | null = null;
  let phone: string | null = null;
  if (!values.phone.trim()) errors.phone = { key: 'validation.required' };
  else {
    const result = validatePhone(values.country, values.areaCode, values.phone);
    if (result.ok) [areaCode, phone] = [result.areaCode, result.number];
    else errors[result.field] = { key: result.key };
  }
  if (values.country === 'BR') {
    // Checked on its own too, so the DDD's inline error shows before the phone is typed.
    const ddd = values.areaCode.replace(/\D/g, '').replace(/^0/, '');
    if (!values.areaCode.trim()) errors.areaCode = { key: 'validation.required' };
    else if (!isValidBrazilianAreaCode(ddd)) errors.areaCode ??= { key: 'contacts.validation.areaCode' };
  }

  if (options.confirmEmail && !errors.email && values.emailConfirmation.trim().toLowerCase() !== values.email.trim().toLowerCase()) {
    errors.emailConfirmation = { key: 'contacts.validation.emailMismatch' };
  }

  if (Object.keys(errors).length || !parsed.success) throw new ValidationFailed(errors);
  return {
    name: parsed.data.name,
    email: parsed.data.email,
    country: parsed.data.country,
    document_type: documentType,
    document_number: documentNumber,
    area_code: areaCode,
    phone,
    consulting_authorized: values.consultingAuthorized,
  };
}
