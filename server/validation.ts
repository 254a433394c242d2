import { z } from 'zod';
import { ValidationFailed, type FieldErrors } from './errors';
import { isSingleLineText, TEXT_RULE_MESSAGES } from './plugins/contract';

/**
 * Schemas carry i18n keys as messages; this turns zod's issues into per-field errors the views
 * show next to each field (first problem per field wins).
 */
export function fieldErrorsFrom(error: z.ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? '_form');
    if (fields[field]) continue;
    const params: Record<string, unknown> = {};
    if ('maximum' in issue) params.max = Number(issue.maximum);
    if ('minimum' in issue) params.min = Number(issue.minimum);
    fields[field] = { key: issue.message.startsWith('validation.') || issue.message.includes('.') ? issue.message : 'validation.required', params };
  }
  return fields;
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationFailed(fieldErrorsFrom(result.error));
  return result.data;
}

// Every text field goes through one of these, so each refuses control characters (the rule and its
// message live in the plugin contract, which plugins share; multi-line text is isMultiLineText there).

/** A trimmed single-line text field: empty means missing. */
export const text = (max: number) =>
  z.string({ message: 'validation.required' }).trim().min(1, 'validation.required').max(max, 'validation.tooLong').refine(isSingleLineText, TEXT_RULE_MESSAGES.singleLine);

export const optionalText = (max: number) =>
  z.string().trim().max(max, 'validation.tooLong').refine(isSingleLineText, TEXT_RULE_MESSAGES.singleLine).optional().transform((v) => (v ? v : undefined));

export const email = z
  .string({ message: 'validation.required' })
  .trim()
  .min(1, 'validation.required')
  .max(254, 'validation.tooLong')
  .refine(isSingleLineText, TEXT_RULE_MESSAGES.singleLine)
  .pipe(z.email('validation.email'))
  .transform((v) => v.toLowerCase());

/** A positive id from a URL segment or a form field, or null (missing, not a number, 0, negative, a fraction, too big). */
export function positiveId(raw: unknown): number | null {
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** A field that may repeat (checkboxes, a multiple select): its values as strings; absent or empty is none. */
export function listOf(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' && raw ? [raw] : [];
}
