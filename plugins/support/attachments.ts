import { randomBytes } from 'node:crypto';
import { access, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Response } from 'express';
import type { Knex } from 'knex';
import type { ReceivedFile } from './uploads';

export interface AttachmentRow {
  id: number;
  ticket_id: number;
  stored_name: string;
  original_name: string;
  size: number;
  content_type: string;
  created_at: Date;
}

export interface PlacedFile { storedName: string; originalName: string; size: number; contentType: string }

/**
 * Moves the received files into place under new random names (a rename: the incoming folder is
 * below `dir`), BEFORE the transaction that records them: that transaction may run more than once
 * (see `ctx.transaction`), a rename only once. A placed file no row names is never served; call
 * `remove` when the transaction does not commit. Files not moved stay where the upload removes them.
 */
export async function placeAttachments(dir: string, files: ReceivedFile[]): Promise<{ placed: PlacedFile[]; remove: () => Promise<void> }> {
  const placed: PlacedFile[] = [];
  const remove = async () => {
    await Promise.all(placed.map((p) => rm(path.join(dir, p.storedName), { force: true })));
  };
  try {
    for (const f of files) {
      const storedName = randomBytes(24).toString('hex');
      await rename(f.path, path.join(dir, storedName));
      placed.push({ storedName, originalName: f.originalName, size: f.size, contentType: f.contentType });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { placed, remove };
}

/** Records placed files as the ticket's attachments, in `trx`. */
export async function recordAttachments(trx: Knex.Transaction, ticketId: number, contactId: number, placed: PlacedFile[]): Promise<void> {
  for (const p of placed) {
    await trx('support_ticket_attachments').insert({
      ticket_id: ticketId, stored_name: p.storedName, original_name: p.originalName, size: p.size,
      content_type: p.contentType, uploaded_by_contact_id: contactId, created_at: new Date(),
    });
  }
}

export function attachmentsOf(db: Knex, ticketId: number): Promise<AttachmentRow[]> {
  return db<AttachmentRow>('support_ticket_attachments').where({ ticket_id: ticketId }).orderBy('id');
}

export function findAttachment(db: Knex, ticketId: number, id: number): Promise<AttachmentRow | undefined> {
  return db<AttachmentRow>('support_ticket_attachments').where({ ticket_id: ticketId, id }).first();
}

/**
 * Always a download, whatever the file holds: a browser never renders it as a page. False when the
 * file is gone from the disk (the caller answers 404, before any header is set).
 */
export async function sendAttachment(res: Response, dir: string, attachment: AttachmentRow): Promise<boolean> {
  if (!(await access(path.join(dir, attachment.stored_name)).then(() => true, () => false))) return false;
  res.set({
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': contentDisposition(attachment.original_name),
    'X-Content-Type-Options': 'nosniff',
  });
  await new Promise<void>((resolve, reject) => {
    res.sendFile(attachment.stored_name, { root: dir, cacheControl: false, lastModified: false }, (err) => (err ? reject(err) : resolve()));
  });
  return true;
}

/** RFC 6266: an ASCII fallback plus the exact name in UTF-8 (RFC 5987). */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
