import type { Request } from 'express';
import { NotFound } from '../errors';

/**
 * One way to read a form or a URL. The parsers are pure, so services that take raw input (a
 * form's body handed on as it came) read it the same way routes do.
 */

/** A positive id from a URL segment or a form field, or null (missing, not a number, 0, negative, a fraction, too big). */
export function positiveId(raw: unknown): number | null {
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** The id in `req.params[name]`; one that cannot be an id is a 404, like one of another company. */
export function idParam(req: Request, name: string): number {
  const id = positiveId(req.params[name]);
  if (id === null) throw new NotFound();
  return id;
}

/** A field that may repeat (checkboxes, a multiple select): its values as strings; absent or empty is none. */
export function listOf(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' && raw ? [raw] : [];
}
