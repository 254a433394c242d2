import { randomBytes } from 'node:crypto';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import multer from 'multer';

export const MAX_FILES = 5;
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Allowed files: the extension AND the type the browser declares must both be on this list, so a
 * renamed page (`x.html` → `x.pdf`, sent as text/html) is refused. Nothing here renders in a browser
 * as a page or a script (no html, svg, js), and downloads are never served inline anyway.
 */
const ALLOWED: Record<string, string[]> = {
  pdf: ['application/pdf'],
  png: ['image/png'],
  jpg: ['image/jpeg'],
  jpeg: ['image/jpeg'],
  txt: ['text/plain'],
  csv: ['text/csv', 'text/plain', 'application/vnd.ms-excel'],
  docx: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  xlsx: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  zip: ['application/zip', 'application/x-zip-compressed'],
};
export const ACCEPT = Object.keys(ALLOWED).map((ext) => `.${ext}`).join(',');

export interface Upload {
  originalName: string;
  contentType: string;
  bytes: Buffer;
}

export interface AttachmentRow {
  id: number;
  ticket_id: number;
  stored_name: string;
  original_name: string;
  size: number;
  content_type: string;
  created_at: Date;
}

// In memory, within the limits: nothing reaches the disk before the whole form is valid.
const parser = multer({
  storage: multer.memoryStorage(),
  defParamCharset: 'utf8', // browsers send file names in UTF-8; busboy's default reads them as Latin-1
  limits: { files: MAX_FILES, fileSize: MAX_FILE_BYTES, fields: 20, fieldSize: 64 * 1024, parts: MAX_FILES + 20 },
}).array('attachments');

/**
 * Parses a multipart body (a urlencoded one was parsed already and passes through). Answers the
 * uploaded files, or the i18n key of why they are refused.
 */
export function parseUploads(req: Request, res: Response): Promise<{ files: Upload[]; error?: string }> {
  return new Promise((resolve, reject) => {
    parser(req, res, (err: unknown) => {
      if (err instanceof multer.MulterError) {
        const error = err.code === 'LIMIT_FILE_SIZE' ? 'tooBig' : err.code === 'LIMIT_FILE_COUNT' || err.code === 'LIMIT_UNEXPECTED_FILE' ? 'tooMany' : 'invalid';
        return resolve({ files: [], error: `plugins.support.attachments.errors.${error}` });
      }
      if (err) return reject(err);
      const files = ((req.files as Express.Multer.File[] | undefined) ?? []).filter((f) => f.originalname || f.size);
      for (const f of files) {
        if (!allowed(f.originalname, f.mimetype)) return resolve({ files: [], error: 'plugins.support.attachments.errors.type' });
      }
      resolve({ files: files.map((f) => ({ originalName: f.originalname.slice(0, 255), contentType: f.mimetype.toLowerCase(), bytes: f.buffer })) });
    });
  });
}

function allowed(name: string, mime: string): boolean {
  const ext = path.extname(name).slice(1).toLowerCase();
  return Object.hasOwn(ALLOWED, ext) && ALLOWED[ext].includes(mime.toLowerCase());
}

/**
 * Writes the files under random names and records them in `trx`. Answers a clean-up that removes
 * the written files, for when the transaction does not commit.
 */
export async function storeAttachments(trx: Knex.Transaction, dir: string, ticketId: number, contactId: number, files: Upload[]): Promise<() => Promise<void>> {
  const written: string[] = [];
  const cleanUp = async () => {
    await Promise.all(written.map((file) => rm(file, { force: true })));
  };
  try {
    if (files.length) await mkdir(dir, { recursive: true });
    for (const f of files) {
      const storedName = randomBytes(24).toString('hex');
      const file = path.join(dir, storedName);
      written.push(file);
      await writeFile(file, f.bytes, { flag: 'wx' });
      await trx('support_ticket_attachments').insert({
        ticket_id: ticketId, stored_name: storedName, original_name: f.originalName, size: f.bytes.length,
        content_type: f.contentType, uploaded_by_contact_id: contactId, created_at: new Date(),
      });
    }
  } catch (err) {
    await cleanUp();
    throw err;
  }
  return cleanUp;
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
