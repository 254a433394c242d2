import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ImportFileRefused } from '../../server/errors';
import { createI18n } from '../../server/i18n';
import { openContactsCsv, type CsvRecord } from '../../server/imports/csv-reader';

/** Import files for the reader's tests: written to a temporary folder, read back whole or up to their refusal. */

export const HEADER = 'nome;email;cpf;pais;documento;ddd;telefone;perfil;consultoria';
export const ROW = (name: string, i = 0) => `${name};pessoa${i}@example.com;529.982.247-25;BR;;11;98765-4321;Membro;não`;
export const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface CsvFiles {
  /** Writes a fixture file and returns its path. */
  file(content: string | Buffer): string;
  /** pt-BR text of a message key, as the page shows it. */
  t(key: string, params?: Record<string, unknown>): string;
}

/** Registers before/after hooks in the calling `describe` and hands out its files. */
export function csvFiles(): CsvFiles {
  let dir = '';
  let n = 0;
  let translate: (key: string, params?: Record<string, unknown>) => string = (key) => key;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'csv-reader-'));
    translate = (await createI18n()).getFixedT('pt-BR');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    file(content) {
      const p = path.join(dir, `f${++n}.csv`);
      writeFileSync(p, content);
      return p;
    },
    t: (key, params) => translate(key, params),
  };
}

export async function readAll(p: string, options?: { maxRecordBytes?: number }) {
  const { info, records } = await openContactsCsv(p, options);
  const list: CsvRecord[] = [];
  for await (const r of records) list.push(r);
  return { info, records: list };
}

/** The refusal of a file, whether at opening or while its records are read; fails when it is read fine. */
export async function refusal(files: CsvFiles, p: string, options?: { maxRecordBytes?: number }): Promise<ImportFileRefused & { text: string; readBefore: number }> {
  let readBefore = 0;
  try {
    const { records } = await openContactsCsv(p, options);
    for await (const _ of records) readBefore++;
  } catch (err) {
    expect(err).to.be.instanceOf(ImportFileRefused);
    const refused = err as ImportFileRefused;
    expect(refused.status).to.equal(422);
    return Object.assign(refused, { text: files.t(refused.messageKey, refused.params), readBefore });
  }
  expect.fail('the file was read, not refused');
}
