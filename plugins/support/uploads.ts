import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Response } from 'express';
import type multer from 'multer';
import type { PluginRequest } from 'portal/plugin';

export const MAX_FILES = 5;
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** The whole body of one request, files and fields: refused from Content-Length, and counted as it streams. */
export const MAX_REQUEST_BYTES = 25 * 1024 * 1024;
/** Uploads one person may have in progress at once, and this process in all. */
export const UPLOADS_PER_PERSON = 2;
export const UPLOADS_IN_TOTAL = 8;
/** Bodies stream here, below the plugin's folder (same disk: moving into place is a rename). */
export const INCOMING_FOLDER = 'incoming';

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

function allowed(name: string, mime: string): boolean {
  const ext = path.extname(name).slice(1).toLowerCase();
  return Object.hasOwn(ALLOWED, ext) && ALLOWED[ext].includes(mime.toLowerCase());
}

/** A file received whole into the incoming folder, not yet the ticket's. */
export interface ReceivedFile {
  originalName: string;
  contentType: string;
  size: number;
  /** Its temporary path: `placeAttachments` renames it into place. */
  path: string;
}

/**
 * What the handler gets: the files, or why they are refused (an i18n key of the attachments
 * field) with the status to answer. `refused`: the body was not read at all (too big by its
 * Content-Length, or too many uploads in progress), so the form's other fields are unknown too.
 */
export interface Uploads {
  files: ReceivedFile[];
  error?: string;
  status?: number;
  refused?: boolean;
}

class UploadRefused extends Error {
  constructor(readonly reason: 'type' | 'total') {
    super(`upload refused: ${reason}`);
  }
}

// In-process counters, on purpose (not the database every other limit uses, DESIGN §7): what they
// protect is this process's memory, file descriptors and temporary disk while bodies stream in,
// and each process has its own. A person is a contact (one per company they act for).
const inProgress = { total: 0, byPerson: new Map<number, number>() };

function acquire(person: number): 'person' | 'total' | null {
  const mine = inProgress.byPerson.get(person) ?? 0;
  if (mine >= UPLOADS_PER_PERSON) return 'person';
  if (inProgress.total >= UPLOADS_IN_TOTAL) return 'total';
  inProgress.byPerson.set(person, mine + 1);
  inProgress.total += 1;
  return null;
}

function release(person: number): void {
  const mine = (inProgress.byPerson.get(person) ?? 1) - 1;
  if (mine > 0) inProgress.byPerson.set(person, mine);
  else inProgress.byPerson.delete(person);
  inProgress.total -= 1;
}

const key = (name: string) => `plugins.support.attachments.errors.${name}`;

/**
 * Reads a form with files and runs `handle` with them; every temporary file `handle` did not move
 * into place is removed afterwards, whatever happened, and the upload's slot is given back. A
 * form without files (url-encoded) passes through with none. A client that went away mid-upload
 * gets no answer and `handle` does not run.
 */
export async function withUploads(req: PluginRequest, res: Response, filesDir: string, handle: (uploads: Uploads) => Promise<unknown>): Promise<void> {
  if (!req.is('multipart/form-data')) {
    await handle({ files: [] });
    return;
  }
  if (Number(req.get('content-length')) > MAX_REQUEST_BYTES) {
    await handle({ files: [], error: key('total'), status: 413, refused: true });
    return;
  }
  const person = req.ctx.contact.id;
  const busy = acquire(person);
  if (busy) {
    res.set('Retry-After', '30');
    await handle({ files: [], error: key(busy === 'person' ? 'busyPerson' : 'busyServer'), status: busy === 'person' ? 429 : 503, refused: true });
    return;
  }
  const incoming = path.join(filesDir, INCOMING_FOLDER);
  const temporary: string[] = [];
  try {
    await mkdir(incoming, { recursive: true });
    await sweep(incoming);
    const parsed = await parse(req, res, incoming, temporary);
    if (parsed) await handle(parsed);
  } finally {
    await Promise.all(temporary.map((file) => rm(file, { force: true })));
    release(person);
  }
}

// Node ends a request after 5 minutes (server.requestTimeout): a file this old in the incoming
// folder belongs to no upload in progress, in this process or another sharing the folder; it was
// left by a process that stopped mid-upload.
const LEFTOVER_AFTER_MS = 60 * 60 * 1000;

/** Removes leftovers; the folder holds only the uploads in progress, so reading it is cheap. */
async function sweep(incoming: string): Promise<void> {
  const cutoff = Date.now() - LEFTOVER_AFTER_MS;
  for (const name of await readdir(incoming)) {
    const file = path.join(incoming, name);
    const stat = await lstat(file).catch(() => null);
    if (stat?.isFile() && stat.mtimeMs < cutoff) await rm(file, { force: true });
  }
}

/**
 * Streams the body to `incoming` (every path written is pushed to `temporary`); null when the client
 * went away. multer is imported on the first upload, not with the portal: every start paid for it.
 */
async function parse(req: PluginRequest, res: Response, incoming: string, temporary: string[]): Promise<Uploads | null> {
  const { default: multer } = await import('multer');
  const options = {
    storage: multer.diskStorage({
      destination: (_req, _file, cb) => cb(null, incoming),
      filename: (_req, _file, cb) => {
        const name = randomBytes(16).toString('hex');
        temporary.push(path.join(incoming, name));
        cb(null, name);
      },
    }),
    // Before a byte of the file is read: its name and declared type are in the part's headers.
    fileFilter: (_req: unknown, file: Express.Multer.File, cb: multer.FileFilterCallback) => {
      if (allowed(file.originalname, file.mimetype)) cb(null, true);
      else cb(new UploadRefused('type'));
    },
    // Counts the body as it arrives: a chunked body has no Content-Length to refuse early.
    streamHandler: (stream: PluginRequest, busboy: NodeJS.WritableStream & { destroy(err: Error): void }) => {
      let bytes = 0;
      const count = (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes <= MAX_REQUEST_BYTES) return;
        stream.off('data', count);
        busboy.destroy(new UploadRefused('total'));
      };
      stream.on('data', count);
      stream.pipe(busboy);
    },
    defParamCharset: 'utf8', // browsers send file names in UTF-8; busboy's default reads them as Latin-1
    limits: { files: MAX_FILES, fileSize: MAX_FILE_BYTES, fields: 20, fieldSize: 64 * 1024, parts: MAX_FILES + 20 },
  };
  // `streamHandler` (multer ≥ 2.1) is not in @types/multer yet.
  const parser = multer(options as multer.Options).array('attachments');
  return new Promise((resolve, reject) => {
    parser(req, res, (err: unknown) => {
      // The client went away mid-body (a request read whole is `destroyed` too: ask its socket).
      if (err && (req.socket.destroyed || res.destroyed)) return resolve(null);
      if (err instanceof UploadRefused) return resolve({ files: [], error: key(err.reason), status: err.reason === 'total' ? 413 : 422 });
      if (err instanceof multer.MulterError) {
        const reason = err.code === 'LIMIT_FILE_SIZE' ? 'tooBig' : err.code === 'LIMIT_FILE_COUNT' || err.code === 'LIMIT_UNEXPECTED_FILE' ? 'tooMany' : 'invalid';
        return resolve({ files: [], error: key(reason), status: 422 });
      }
      if (err) return reject(err);
      const files = ((req.files as Express.Multer.File[] | undefined) ?? []).filter((f) => f.originalname || f.size);
      resolve({ files: files.map((f) => ({ originalName: f.originalname.slice(0, 255), contentType: f.mimetype.toLowerCase(), size: f.size, path: f.path })) });
    });
  });
}
