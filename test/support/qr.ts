import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import QRCode from 'qrcode';

/**
 * Reads back what a QR code made by the `qrcode` package (a PNG data URL, as the step-up page
 * shows) says, the way a phone's camera would: so a test follows the QR code itself, not a link
 * printed beside it. Only clean, unrotated images of that package are read: the image is sampled
 * module by module, the function patterns of a symbol of the same version, level and mask are
 * compared, the mask is lifted and the data segments are parsed (numeric, alphanumeric, byte).
 */
const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-require-imports */
const MaskPattern = require('qrcode/lib/core/mask-pattern.js') as { applyMask(pattern: number, data: BitMatrix): void };
const Utils = require('qrcode/lib/core/utils.js') as { getSymbolTotalCodewords(version: number): number };
const ECCode = require('qrcode/lib/core/error-correction-code.js') as {
  getBlocksCount(version: number, level: unknown): number;
  getTotalCodewordsCount(version: number, level: unknown): number;
};

interface BitMatrix {
  size: number;
  data: Uint8Array;
  reservedBit: Uint8Array;
  get(row: number, col: number): number;
  isReserved(row: number, col: number): number;
}

const LEVELS = ['L', 'M', 'Q', 'H'] as const;
const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

export function readQrDataUrl(dataUrl: string): string {
  const png = readPng(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  const dark = (x: number, y: number) => png.data[(y * png.width + x) * 4]! < 128;

  // The finder pattern's top edge: 7 dark modules from the first dark pixel on the diagonal.
  let start = 0;
  while (start < png.width && !dark(start, start)) start++;
  let run = 0;
  while (dark(start + run, start)) run++;
  const roughScale = run / 7;
  const margin = Math.round(start / roughScale);
  const raw = png.width / roughScale - 2 * margin;
  const size = Math.round((raw - 21) / 4) * 4 + 21;
  const scale = png.width / (size + 2 * margin);
  const version = (size - 17) / 4;
  const sampled = (r: number, c: number) => dark(Math.floor((c + margin + 0.5) * scale), Math.floor((r + margin + 0.5) * scale));

  for (const level of LEVELS) {
    for (let mask = 0; mask < 8; mask++) {
      const symbol = QRCode.create('0', { version, errorCorrectionLevel: level, maskPattern: mask as QRCode.QRCodeMaskPattern });
      const m = symbol.modules as unknown as BitMatrix;
      let matches = true;
      for (let r = 0; r < size && matches; r++) for (let c = 0; c < size && matches; c++) if (m.isReserved(r, c) && Boolean(m.get(r, c)) !== sampled(r, c)) matches = false;
      if (!matches) continue;
      for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) if (!m.isReserved(r, c)) m.data[r * size + c] = sampled(r, c) ? 1 : 0;
      MaskPattern.applyMask(mask, m); // XOR: applying the mask again lifts it
      return parseSegments(dataCodewords(readCodewords(m), version, symbol.errorCorrectionLevel), version);
    }
  }
  throw new Error('no QR code of the qrcode package found in the image');
}

/** An 8-bit RGBA, non-interlaced PNG (what `qrcode` writes) as pixels: chunks, inflate, unfilter. */
function readPng(file: Buffer): { width: number; data: Buffer } {
  let pos = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (pos < file.length) {
    const length = file.readUInt32BE(pos);
    const type = file.toString('latin1', pos + 4, pos + 8);
    const body = file.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[9] !== 6 || body[12] !== 0) throw new Error('only 8-bit RGBA, non-interlaced PNGs are read here');
    } else if (type === 'IDAT') idat.push(body);
    pos += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const data = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const byte = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? data[y * stride + x - 4]! : 0;
      const b = y > 0 ? data[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? data[(y - 1) * stride + x - 4]! : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const add = [0, a, b, (a + b) >> 1, paeth][filter]!;
      data[y * stride + x] = (byte + add) & 0xff;
    }
  }
  return { width, data };
}

/** The codewords in placement order (the zigzag of columns pairs, right to left). */
function readCodewords(m: BitMatrix): number[] {
  const bytes: number[] = [];
  let current = 0;
  let bits = 0;
  let inc = -1;
  let row = m.size - 1;
  for (let col = m.size - 1; col > 0; col -= 2) {
    if (col === 6) col--;
    for (;;) {
      for (let c = 0; c < 2; c++) {
        if (m.isReserved(row, col - c)) continue;
        current = (current << 1) | m.get(row, col - c);
        if (++bits === 8) {
          bytes.push(current);
          current = bits = 0;
        }
      }
      row += inc;
      if (row < 0 || m.size <= row) {
        row -= inc;
        inc = -inc;
        break;
      }
    }
  }
  return bytes;
}

/** The data codewords, blocks de-interleaved (error correction codewords dropped: the image is clean). */
function dataCodewords(codewords: number[], version: number, level: unknown): number[] {
  const total = Utils.getSymbolTotalCodewords(version);
  const dataTotal = total - ECCode.getTotalCodewordsCount(version, level);
  const blocks = ECCode.getBlocksCount(version, level);
  const group2 = total % blocks;
  const group1 = blocks - group2;
  const sizes = Array.from({ length: blocks }, (_, b) => Math.floor(dataTotal / blocks) + (b < group1 ? 0 : 1));
  const data = sizes.map(() => [] as number[]);
  let index = 0;
  for (let i = 0; i < Math.max(...sizes); i++) for (let b = 0; b < blocks; b++) if (i < sizes[b]!) data[b]!.push(codewords[index++]!);
  return data.flat();
}

function parseSegments(bytes: number[], version: number): string {
  let pos = 0;
  const read = (n: number) => {
    let v = 0;
    for (let i = 0; i < n; i++, pos++) v = (v << 1) | ((bytes[pos >> 3]! >> (7 - (pos & 7))) & 1);
    return v;
  };
  const countBits = (small: number, medium: number, large: number) => (version < 10 ? small : version < 27 ? medium : large);
  let text = '';
  while (pos + 4 <= bytes.length * 8) {
    const mode = read(4);
    if (mode === 0) break;
    if (mode === 1) {
      let n = read(countBits(10, 12, 14));
      for (; n >= 3; n -= 3) text += String(read(10)).padStart(3, '0');
      if (n === 2) text += String(read(7)).padStart(2, '0');
      if (n === 1) text += String(read(4));
    } else if (mode === 2) {
      let n = read(countBits(9, 11, 13));
      for (; n >= 2; n -= 2) {
        const v = read(11);
        text += ALPHANUMERIC[Math.floor(v / 45)]! + ALPHANUMERIC[v % 45]!;
      }
      if (n === 1) text += ALPHANUMERIC[read(6)]!;
    } else if (mode === 4) {
      const n = read(countBits(8, 16, 16));
      text += Buffer.from(Array.from({ length: n }, () => read(8))).toString('utf8');
    } else {
      throw new Error(`QR segment mode ${mode} is not read here`);
    }
  }
  return text;
}
