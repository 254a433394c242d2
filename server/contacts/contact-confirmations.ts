import type { Request } from 'express';
import type { FieldErrors } from '../errors';
import type { ConfirmationQuestion, Confirmations, PluginContext, PluginManifest, PluginRequest } from '../plugins/contract';
import type { Registry } from '../plugins/registry';

export type ConfirmedChange = keyof Confirmations;

export interface Answered {
  questions: ConfirmationQuestion[];
  /** The chosen option of each question, by field name: what the hooks receive. */
  fields: Record<string, string>;
  errors: FieldErrors;
}

/**
 * The questions plugins add to the delete / deactivate confirmation of a contact (e.g. who
 * receives the open tickets), and the check of the answers before anything is written: an
 * answer must be one of the options offered. The hooks check again inside the transaction.
 */
export class ContactConfirmations {
  private readonly contexts: Map<string, PluginContext>;

  constructor(private readonly registry: Registry, contextOf: (plugin: PluginManifest) => PluginContext) {
    this.contexts = new Map(registry.plugins.filter((p) => p.confirmations).map((p) => [p.id, contextOf(p)]));
  }

  async ask(req: Request, change: ConfirmedChange, contactId: number): Promise<ConfirmationQuestion[]> {
    const questions: ConfirmationQuestion[] = [];
    for (const plugin of this.registry.plugins) {
      const asker = plugin.confirmations?.[change];
      if (!asker) continue;
      // Below `/accounts/:accountId` the account context, `t()` and the locale are set.
      const question = await asker(req as PluginRequest, this.contexts.get(plugin.id)!, contactId);
      if (question) questions.push(question);
    }
    return questions;
  }

  async answers(req: Request, change: ConfirmedChange, contactId: number, body: Record<string, unknown>): Promise<Answered> {
    const questions = await this.ask(req, change, contactId);
    const fields: Record<string, string> = {};
    const errors: FieldErrors = {};
    for (const q of questions) {
      const value = typeof body[q.field] === 'string' ? (body[q.field] as string) : '';
      if (q.options.some((o) => String(o.id) === value)) fields[q.field] = value;
      else errors[q.field] = { key: 'contacts.confirmations.choose' };
    }
    return { questions, fields, errors };
  }
}
