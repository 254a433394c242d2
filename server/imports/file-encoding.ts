/**
 * What an uploaded file is before it is read as CSV: text at all, and in which encoding. Excel in
 * Brazil saves "CSV" as Windows-1252 and "CSV UTF-8" as UTF-8 with a BOM; LibreOffice asks, and
 * offers UTF-8 without BOM by default. Anything else (an image renamed .csv, the .xlsx itself) is
 * refused before a row is read.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAscii, isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { ImportFileRefused } from '../errors';

/** How much of the file is looked at up front: the header line must fit in it. */
export const HEAD_BYTES = 64 * 1024;

export type FileEncoding = 'utf-8' | 'windows-1252';

export interface FileHead {
  encoding: FileEncoding;
  bom: boolean;
  /** The file's first HEAD_BYTES (or all of it). */
  head: Buffer;
  size: number;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Files people upload by mistake, by their first bytes. ZIP covers .xlsx and .ods; the OLE header, the old .xls. */
const SIGNATURES: { bytes: Buffer; key: string }[] = [
  { bytes: Buffer.from('PK\x03\x04', 'latin1'), key: 'imports.refused.spreadsheet' },
  { bytes: Buffer.from('PK\x05\x06', 'latin1'), key: 'imports.refused.spreadsheet' },
  { bytes: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), key: 'imports.refused.spreadsheet' },
  { bytes: Buffer.from([0xff, 0xfe]), key: 'imports.refused.utf16' },
  { bytes: Buffer.from([0xfe, 0xff]), key: 'imports.refused.utf16' },
  { bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]), key: 'imports.refused.notText' }, // PNG
  { bytes: Buffer.from([0xff, 0xd8, 0xff]), key: 'imports.refused.notText' }, // JPEG
  { bytes: Buffer.from('GIF8', 'latin1'), key: 'imports.refused.notText' },
  { bytes: Buffer.from('%PDF-', 'latin1'), key: 'imports.refused.notText' },
];

/**
 * Reads the file's first bytes and decides its encoding: a BOM means UTF-8; text that is valid
 * UTF-8 is UTF-8; text with bytes UTF-8 refuses and no valid multi-byte sequence is Windows-1252;
 * both at once is a broken file, refused naming the line. The decision is taken on the first
 * block holding a non-ASCII byte, not blindly on the first 64 KB: a Windows-1252 file whose
 * first "João" comes after a thousand ASCII rows is still Windows-1252.
 */
export async function sniffFile(filePath: string): Promise<FileHead> {
  const file = await open(filePath, 'r');
  try {
    const size = (await file.stat()).size;
    const head = await readBlock(file, 0);
    for (const { bytes, key } of SIGNATURES) {
      if (head.subarray(0, bytes.length).equals(bytes)) throw new ImportFileRefused(key);
    }
    if (head.includes(0)) throw new ImportFileRefused('imports.refused.notText');
    if (head.subarray(0, 3).equals(UTF8_BOM)) return { encoding: 'utf-8', bom: true, head, size };

    let block = head;
    let offset = 0;
    while (isAscii(block) && offset + block.length < size) {
      offset += block.length;
      block = await readBlock(file, offset);
    }
    const scan = scanUtf8(block, offset + block.length >= size);
    if (scan.invalidAt < 0) return { encoding: 'utf-8', bom: false, head, size };
    if (!scan.multiByte) return { encoding: 'windows-1252', bom: false, head, size };
    throw new ImportFileRefused('imports.refused.invalidUtf8', { line: await lineAt(filePath, offset + scan.invalidAt) });
  } finally {
    await file.close();
  }
}

async function readBlock(file: Awaited<ReturnType<typeof open>>, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(HEAD_BYTES);
  const { bytesRead } = await file.read(buffer, 0, HEAD_BYTES, position);
  return buffer.subarray(0, bytesRead);
}

/** Bytes a UTF-8 sequence starting with `lead` has, 0 when `lead` cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** The second byte's range (Unicode table 3-7): no overlong forms, no surrogates, nothing past U+10FFFF. */
function secondByteOk(lead: number, b: number): boolean {
  if (lead === 0xe0) return b >= 0xa0 && b <= 0xbf;
  if (lead === 0xed) return b >= 0x80 && b <= 0x9f;
  if (lead === 0xf0) return b >= 0x90 && b <= 0xbf;
  if (lead === 0xf4) return b >= 0x80 && b <= 0x8f;
  return b >= 0x80 && b <= 0xbf;
}

/**
 * Where the first byte UTF-8 refuses is (-1 for none) and whether a valid multi-byte sequence was
 * seen. A sequence cut by the end of `buf` is not an error unless `atEnd` (the file ends there).
 */
export function scanUtf8(buf: Buffer, atEnd: boolean): { invalidAt: number; multiByte: boolean } {
  let invalidAt = -1;
  let multiByte = false;
  for (let i = 0; i < buf.length; ) {
    const lead = buf[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const n = sequenceLength(lead);
    let ok = n > 0;
    for (let k = 1; ok && k < n; k++) {
      if (i + k >= buf.length) {
        if (!atEnd) return { invalidAt, multiByte };
        ok = false;
      } else {
        const b = buf[i + k]!;
        ok = k === 1 ? secondByteOk(lead, b) : b >= 0x80 && b <= 0xbf;
      }
    }
    if (ok) {
      multiByte = true;
      i += n;
    } else {
      if (invalidAt < 0) invalidAt = i;
      i++;
    }
  }
  return { invalidAt, multiByte };
}

/** The 1-based line holding byte `offset` of the file, lines ended by CRLF, LF or CR (read only when refusing). */
export async function lineAt(filePath: string, offset: number): Promise<number> {
  let line = 1;
  let afterCr = false;
  if (offset <= 0) return line;
  for await (const chunk of createReadStream(filePath, { start: 0, end: offset - 1 }) as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (byte === 0x0a) {
        if (!afterCr) line++;
      } else if (byte === 0x0d) line++;
      afterCr = byte === 0x0d;
    }
  }
  return line;
}

/** How much of `data` ends on a whole UTF-8 sequence: a sequence cut by the chunk's end waits for the next chunk. */
function wholeSequencesEnd(data: Buffer): number {
  for (let k = 1; k <= Math.min(3, data.length); k++) {
    const b = data[data.length - k]!;
    if (b < 0x80) return data.length;
    if (b >= 0xc0) return sequenceLength(b) > k ? data.length - k : data.length;
  }
  return data.length;
}

/**
 * Passes a UTF-8 file's bytes on unchanged (csv-parse decodes each field) and refuses the file,
 * naming the line, at the first byte that is not UTF-8: a file read as UTF-8 that turns out
 * broken far past its first 64 KB is refused too, not read with replacement characters.
 */
export class Utf8Check extends Transform {
  private carry: Buffer | null = null;
  private offset = 0;

  constructor(private readonly filePath: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const end = wholeSequencesEnd(data);
    const body = data.subarray(0, end);
    if (!isUtf8(body)) {
      const at = scanUtf8(body, true).invalidAt;
      this.refuse(this.offset + Math.max(0, at), done);
      return;
    }
    this.carry = end < data.length ? Buffer.from(data.subarray(end)) : null;
    this.offset += end;
    done(null, body);
  }

  override _flush(done: TransformCallback): void {
    if (this.carry) this.refuse(this.offset, done);
    else done();
  }

  private refuse(offset: number, done: TransformCallback): void {
    lineAt(this.filePath, offset).then(
      (line) => done(new ImportFileRefused('imports.refused.invalidUtf8', { line })),
      (err: Error) => done(err),
    );
  }
}
