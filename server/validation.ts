import { z } from 'zod';
import { ValidationFailed, type FieldErrors } from './errors';

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

/** A trimmed text field: empty means missing. */
export const text = (max: number) =>
  z.string({ message: 'validation.required' }).trim().min(1, 'validation.required').max(max, 'validation.tooLong');

export const optionalText = (max: number) =>
  z.string().trim().max(max, 'validation.tooLong').optional().transform((v) => (v ? v : undefined));

export const email = z
  .string({ message: 'validation.required' })
  .trim()
  .min(1, 'validation.required')
  .max(254, 'validation.tooLong')
  .pipe(z.email('validation.email'))
  .transform((v) => v.toLowerCase());
