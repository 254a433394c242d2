import type { Knex } from 'knex';
import type { ContactFields, ContactRow } from '../contacts/contacts.repository';
import { ContactRepository } from '../contacts/contacts.repository';
import { changes } from '../contacts/contacts.service';
import type { ContactFromRow, RowIssue } from './contact-row';

/** What an import does with one row of the file, decided against the file so far and the account. */
export type RowOutcome =
  | { kind: 'error'; line: number; issues: RowIssue[] }
  | { kind: 'new'; line: number; fields: ContactFields; profile: string; issues: RowIssue[] }
  | { kind: 'update'; line: number; fields: ContactFields; existing: ContactRow; issues: RowIssue[] }
  | { kind: 'unchanged'; line: number; existing: ContactRow; issues: RowIssue[] };

const documentColumn = (fields: Pick<ContactFields, 'document_type'>) => (fields.document_type === 'cpf' ? 'cpf' : 'documento');
const documentKey = (fields: ContactFields) => (fields.document_type && fields.document_number ? `${fields.document_type}:${fields.document_number}` : null);

/**
 * The same person twice in one file: the first line wins, each later one is an error naming it.
 * Kept for the whole file (an e-mail and a document per row), so a resumed import that skips the
 * batches already written still knows them.
 */
export class FileDuplicates {
  private readonly emails = new Map<string, number>();
  private readonly documents = new Map<string, number>();

  /** Adds the row's duplicate errors to it (and clears its fields); answers the row. */
  check(row: ContactFromRow): ContactFromRow {
    if (!row.fields) return row;
    const issues: RowIssue[] = [];
    const firstByEmail = this.emails.get(row.fields.email);
    if (firstByEmail !== undefined) issues.push({ line: row.line, column: 'email', key: 'importJobs.row.duplicateEmail', params: { first: firstByEmail }, severity: 'error' });
    const doc = documentKey(row.fields);
    const firstByDoc = doc ? this.documents.get(doc) : undefined;
    if (firstByDoc !== undefined) issues.push({ line: row.line, column: documentColumn(row.fields), key: 'importJobs.row.duplicateDocument', params: { first: firstByDoc }, severity: 'error' });
    if (issues.length) return { ...row, fields: null, issues: [...row.issues, ...issues] };
    this.emails.set(row.fields.email, row.line);
    if (doc) this.documents.set(doc, row.line);
    return row;
  }
}

export interface OutcomeOptions {
  accountId: number;
  updateExisting: boolean;
  /** Only the primary administrator edits the primary administrator (the edit form's rule). */
  ownerContactId: number | null;
  actorContactId: number | null;
}

/**
 * Decides each row of a batch against the account's contacts, read in two statements (by e-mail
 * and by document): new, an existing contact to update or leave as it is, or an error in the words
 * of the add and edit forms.
 */
export async function outcomesOf(q: Knex | Knex.Transaction, rows: ContactFromRow[], options: OutcomeOptions): Promise<RowOutcome[]> {
  const contacts = new ContactRepository();
  const valid = rows.filter((r) => r.fields);
  const byEmail = new Map((await contacts.findByEmails(q, options.accountId, valid.map((r) => r.fields!.email))).map((c) => [c.email.toLowerCase(), c]));
  const documents = valid.filter((r) => documentKey(r.fields!)).map((r) => ({ type: r.fields!.document_type!, number: r.fields!.document_number! }));
  const byDocument = new Map((await contacts.findByDocuments(q, options.accountId, documents)).map((c) => [`${c.document_type}:${c.document_number}`, c]));

  return rows.map((row): RowOutcome => {
    const { line } = row;
    if (!row.fields) return { kind: 'error', line, issues: row.issues };
    const fields = row.fields;
    const existing = byEmail.get(fields.email.toLowerCase());
    const doc = documentKey(fields);
    const holder = doc ? byDocument.get(doc) : undefined;
    const error = (column: string | null, key: string): RowOutcome => ({ kind: 'error', line, issues: [...row.issues, { line, column: column as RowIssue['column'], key, params: {}, severity: 'error' }] });
    if (holder && holder.id !== existing?.id) return error(documentColumn(fields), fields.document_type === 'cpf' ? 'contacts.validation.cpfTaken' : 'contacts.validation.documentTaken');
    if (!existing) return { kind: 'new', line, fields, profile: row.profile ?? 'member', issues: row.issues };
    const diff = changes(existing, fields);
    if (!options.updateExisting || Object.keys(diff.after).length === 0) return { kind: 'unchanged', line, existing, issues: row.issues };
    // A pending contact is only re-invited or deleted (the edit form's rule): left as it is, said so.
    if (existing.status === 'pending') {
      return { kind: 'unchanged', line, existing, issues: [...row.issues, { line, column: null, key: 'importJobs.row.pendingNotUpdated', params: {}, severity: 'warning' }] };
    }
    if (existing.id === options.ownerContactId && options.actorContactId !== existing.id) return error(null, 'contacts.errors.editOwner');
    return { kind: 'update', line, fields, existing, issues: row.issues };
  });
}
