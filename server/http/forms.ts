import type { Request, Response } from 'express';
import { isDomainError, NotFound, type DomainError, TooManyAttempts, ValidationFailed, type FieldErrors } from '../errors';
import { positiveId } from '../validation';
import { flash } from './locals';

/**
 * One way to read a form and to answer it. The pure parsers live in server/validation.ts, where
 * services that take a form's body as it came read it the same way routes do.
 */
export { listOf, positiveId } from '../validation';

/** The id in `req.params[name]`; one that cannot be an id is a 404, like one of another company. */
export function idParam(req: Request, name: string): number {
  const id = positiveId(req.params[name]);
  if (id === null) throw new NotFound();
  return id;
}

/** The header that tells a client (and a retrying script) when to try again. */
export function retryAfter(res: Response, err: TooManyAttempts): void {
  res.set('Retry-After', String(err.retryAfterSeconds));
}

/** The first message of a validation error, for a page that shows one message rather than one per field. */
export const firstError = (fields: FieldErrors) => Object.values(fields)[0]!;

export interface FormAnswers {
  /** Shows the form again with its per-field messages: 422 for a validation error, 429 for too many attempts. */
  invalid?: (fields: FieldErrors, status: number) => unknown;
  /**
   * The field whose message says "too many attempts" (with Retry-After). Without it, a limit
   * reached is left to the error page: the form did not ask for a limit.
   */
  limitedField?: string;
  /**
   * Where a refusal of the change itself goes, with its message flashed (303): someone else changed
   * it first, a plugin's hook refused, no free seat. Without it, a 409 is left to the error page.
   */
  conflictTo?: string;
}

/**
 * Runs a form's work (the service call and the success answer) and answers what the person can fix
 * on the form itself; anything else goes on to the error page.
 */
export async function answerForm(req: Request, res: Response, work: () => Promise<unknown>, answers: FormAnswers): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (answers.invalid && err instanceof ValidationFailed) {
      await answers.invalid(err.fields, err.status);
      return;
    }
    if (answers.invalid && answers.limitedField && err instanceof TooManyAttempts) {
      retryAfter(res, err);
      await answers.invalid({ [answers.limitedField]: { key: err.messageKey, params: err.params } }, err.status);
      return;
    }
    if (answers.conflictTo !== undefined && isDomainError(err) && err.status === 409) {
      flash(req, { type: 'error', key: err.messageKey, params: err.params });
      res.redirect(303, answers.conflictTo);
      return;
    }
    throw err;
  }
}

/** What a page that shows one message says of a refusal: a validation error's first field, or the error's own message. */
export const messageOf = (err: DomainError): FieldErrors[string] =>
  err instanceof ValidationFailed ? firstError(err.fields) : { key: err.messageKey, params: err.params };
