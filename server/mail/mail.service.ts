import path from 'node:path';
import ejs from 'ejs';
import type { i18n } from 'i18next';
import type { Knex } from 'knex';
import type { Locale } from '../i18n';
import { isSingleLineText, toSingleLine } from '../plugins/contract';
import { findMail, insertMail, insertMailJobs, recentMail, type OutboxMail } from './mail.repository';

export interface MailToSend {
  accountId: number | null;
  to: string;
  locale: Locale;
  /** Names `views/mail/<template>.html.ejs`, `views/mail/<template>.text.ejs` and the i18n key `mail.<template>.subject`. */
  template: string;
  params: Record<string, unknown>;
}

export interface MailServiceOptions {
  db: Knex;
  publicUrl: string;
  i18n: i18n;
  viewsDir?: string;
  cache?: boolean;
}

const VIEWS = path.resolve(import.meta.dirname, '../../views');
const TEMPLATE_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Renders a message and writes it to the outbox inside the caller's transaction: the message
 * leaves only if the change that caused it commits (the delivery worker sends it afterwards).
 */
export class MailService {
  private readonly viewsDir: string;
  private readonly cache: boolean;

  constructor(private readonly options: MailServiceOptions) {
    this.viewsDir = options.viewsDir ?? VIEWS;
    this.cache = options.cache ?? false;
  }

  /** An absolute URL for a path of the portal, from PUBLIC_URL (which may carry a base path). */
  link(pathname: string): string {
    return `${this.options.publicUrl}${pathname.startsWith('/') ? '' : '/'}${pathname}`;
  }

  async enqueue(trx: Knex.Transaction, mail: MailToSend): Promise<number> {
    // Addresses are validated on the way in; one with a line break could only add headers.
    if (!isSingleLineText(mail.to)) throw new Error('mail recipient with a control character refused');
    const { subject, text, html } = await this.render(mail);
    return insertMail(trx, {
      accountId: mail.accountId,
      to: mail.to,
      locale: mail.locale,
      template: mail.template,
      subject,
      text,
      html,
      now: new Date(),
    });
  }

  /**
   * Queues a job the mail worker prepares when it claims it (see mail-job.ts): the row is the same
   * whatever `to` is, nothing is rendered or looked up here.
   */
  async enqueueJob(trx: Knex.Transaction, job: { name: string; to: string; locale: Locale; data: Record<string, unknown> }): Promise<number> {
    return insertMail(trx, {
      accountId: null, to: job.to, locale: job.locale, template: job.name, subject: '', text: '', html: '', now: new Date(),
      job: { name: job.name, data: job.data },
    });
  }

  /** Many job rows at once, each prepared by the worker when it claims it (mail-job.ts). */
  async enqueueJobs(trx: Knex.Transaction, jobs: { accountId: number | null; name: string; to: string; locale: Locale; data: Record<string, unknown> }[]): Promise<void> {
    if (jobs.some((j) => !isSingleLineText(j.to))) throw new Error('mail recipient with a control character refused');
    await insertMailJobs(trx, jobs, new Date());
  }

  /** Subject, plain text and HTML of a message, each body inside the shared mail layout. */
  async render(mail: Pick<MailToSend, 'locale' | 'template' | 'params'>): Promise<{ subject: string; text: string; html: string }> {
    if (!TEMPLATE_NAME.test(mail.template)) throw new Error(`invalid mail template name: ${mail.template}`);
    const subjectKey = `mail.${mail.template}.subject`;
    if (!this.options.i18n.exists(subjectKey, { lng: mail.locale })) throw new Error(`missing i18n key ${subjectKey}`);
    const t = this.options.i18n.getFixedT(mail.locale);
    // Params are one-line values (names, addresses, paths). Forms refuse control characters, but
    // an older row may hold a line break that would start a line of its own in the text part.
    const params = Object.fromEntries(Object.entries(mail.params).map(([k, v]) => [k, typeof v === 'string' ? toSingleLine(v).trim() : v]));
    const subject = toSingleLine(t(subjectKey, params)).trim();
    const locals = { params, t, link: (p: string) => this.link(p), locale: mail.locale, subject };
    const [htmlBody, textBody] = await Promise.all([this.file(`${mail.template}.html.ejs`, locals), this.file(`${mail.template}.text.ejs`, locals)]);
    const [html, text] = await Promise.all([
      this.file('_layout.html.ejs', { ...locals, body: htmlBody }),
      this.file('_layout.text.ejs', { ...locals, body: textBody.trim() }),
    ]);
    return { subject, text: text.trim() + '\n', html };
  }

  /** The newest messages of the outbox, for /dev/mail. */
  recent(limit = 100): Promise<OutboxMail[]> {
    return recentMail(this.options.db, limit);
  }

  find(id: number): Promise<OutboxMail | null> {
    return findMail(this.options.db, id);
  }

  private file(name: string, locals: Record<string, unknown>): Promise<string> {
    return ejs.renderFile(path.join(this.viewsDir, 'mail', name), locals, { root: this.viewsDir, cache: this.cache });
  }
}
