import type { Knex } from 'knex';
import type { OutboxMail } from './mail.repository';

/**
 * A message prepared by the mail worker when it claims it, not by the request that asked for it:
 * the request writes the same row whatever it was given, so its answer (and its timing) says
 * nothing about what the worker will find.
 */
export interface MailJob {
  /** What the request was given (an address typed into a form), not necessarily anyone's. */
  to: string;
  locale: string;
  data: Record<string, unknown>;
}

/** The message to send, rendered; `to` and `locale` are the recipient's own. */
export type PreparedMail = Pick<OutboxMail, 'accountId' | 'to' | 'locale' | 'template' | 'subject' | 'text' | 'html'>;

/**
 * Prepares a job inside the worker's transaction (which also turns the row into the message), or
 * answers null when there is nothing to send: the row is then deleted.
 */
export type MailJobPreparer = (trx: Knex.Transaction, job: MailJob) => Promise<PreparedMail | null>;
