import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { Request, Response } from 'express';
import multer from 'multer';
import type { UploadedFile } from './imports.service';

/** The form's fields beside the file: a few checkboxes. */
const FIELD_LIMITS = { fields: 10, fieldSize: 1024, parts: 12 };

/** Why an upload was not received, as an i18n key of the file field and the status to answer. */
export interface UploadRefusal {
  key: string;
  params?: Record<string, unknown>;
  status: number;
}

const megabytes = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;

/**
 * Receives the import form: one file, streamed by multer to disk in `folder` under a random name
 * (never the name the browser sent), within `maxBytes`. Answers the file and the form's fields, or
 * why nothing was received; a refused body leaves no file behind (multer removes a partial one).
 */
export async function receiveImportFile(req: Request, res: Response, folder: string, maxBytes: number): Promise<{ file: UploadedFile; fields: Record<string, string> } | { refused: UploadRefusal }> {
  if (!req.is('multipart/form-data')) return { refused: { key: 'importJobs.errors.noFile', status: 422 } };
  // Refused before reading a byte when the browser says the body is too big.
  if (Number(req.get('content-length')) > maxBytes + 64 * 1024) return { refused: { key: 'importJobs.errors.tooBig', params: { mb: megabytes(maxBytes) }, status: 413 } };
  await mkdir(folder, { recursive: true });
  const upload = multer({
    storage: multer.diskStorage({
      destination: folder,
      filename: (_req, _file, done) => done(null, `${randomBytes(16).toString('hex')}.csv`),
    }),
    limits: { fileSize: maxBytes, files: 1, ...FIELD_LIMITS },
  }).single('file');
  const error = await new Promise<unknown>((resolve) => upload(req, res, resolve));
  if (error) {
    const code = (error as { code?: string }).code;
    if (code === 'LIMIT_FILE_SIZE') return { refused: { key: 'importJobs.errors.tooBig', params: { mb: megabytes(maxBytes) }, status: 413 } };
    if (code === 'LIMIT_FILE_COUNT' || code === 'LIMIT_UNEXPECTED_FILE') return { refused: { key: 'importJobs.errors.oneFile', status: 422 } };
    if (code?.startsWith('LIMIT_')) return { refused: { key: 'importJobs.errors.form', status: 422 } };
    throw error;
  }
  if (!req.file) return { refused: { key: 'importJobs.errors.noFile', status: 422 } };
  if (req.file.size === 0) {
    await rm(req.file.path, { force: true });
    return { refused: { key: 'importJobs.errors.empty', status: 422 } };
  }
  const fields = Object.fromEntries(Object.entries((req.body ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  return { file: { path: req.file.path, originalName: req.file.originalname, size: req.file.size }, fields };
}
