/**
 * Helpers of the import tests: files as a spreadsheet saves them, the upload as the browser sends
 * it, and waiting for the job the request started.
 */
import { cpf } from 'cpf-cnpj-validator';
import type { TestPortal } from '../../support/portal';
import { uniqueEmail } from '../../support/fixtures';
import { decode, distinctCpf, type Admin } from './contacts';

export const HEADER = 'nome;email;cpf;pais;documento;ddd;telefone;perfil;consultoria';

export interface PersonRow {
  nome: string;
  email: string;
  cpf: string;
  pais?: string;
  documento?: string;
  ddd?: string;
  telefone?: string;
  perfil?: string;
  consultoria?: string;
}

/** A valid Brazilian row with a fresh e-mail and CPF. */
export function person(overrides: Partial<PersonRow> = {}): PersonRow {
  return { nome: 'Pessoa Importada', email: uniqueEmail('importada'), cpf: cpf.format(distinctCpf()), pais: 'BR', documento: '', ddd: '11', telefone: '98765-4321', perfil: 'Membro', consultoria: 'não', ...overrides };
}

export const line = (p: PersonRow) => [p.nome, p.email, p.cpf, p.pais ?? '', p.documento ?? '', p.ddd ?? '', p.telefone ?? '', p.perfil ?? '', p.consultoria ?? ''].join(';');

/** A file as Excel saves "CSV UTF-8": BOM, `;`, CRLF. */
export const csvOf = (rows: PersonRow[], header = HEADER) => Buffer.from(`\ufeff${[header, ...rows.map(line)].join('\r\n')}\r\n`, 'utf8');

export const importsBase = (s: Admin) => `/accounts/${s.accountId}/imports`;

/** Uploads a file through the form (multipart, token in the query as the page's form sends it). */
export function upload(s: Admin, bytes: Buffer, options: { name?: string; updateExisting?: boolean; allOrNothing?: boolean; inviteLater?: boolean } = {}) {
  const req = s.agent.post(`${importsBase(s)}?_csrf=${encodeURIComponent(s.csrf)}`);
  if (options.updateExisting) req.field('updateExisting', '1');
  if (options.allOrNothing) req.field('allOrNothing', '1');
  if (options.inviteLater) req.field('inviteLater', '1');
  return req.attach('file', bytes, { filename: options.name ?? 'usuarios.csv', contentType: 'text/csv' });
}

/** The job id a successful upload redirected to. */
export function jobIdOf(location: string | undefined): number {
  const m = /\/imports\/(\d+)$/.exec(location ?? '');
  if (!m) throw new Error(`not a job page: ${location}`);
  return Number(m[1]);
}

/** Uploads, waits for the preview, answers the job id and the preview page as the user reads it. */
export async function previewed(portal: TestPortal, s: Admin, bytes: Buffer, options: Parameters<typeof upload>[2] = {}): Promise<{ id: number; page: string }> {
  const res = await upload(s, bytes, options);
  if (res.status !== 303) throw new Error(`upload answered ${res.status}: ${decode(res.text).slice(0, 400)}`);
  const id = jobIdOf(res.headers.location);
  await portal.imports.idle();
  const page = await s.agent.get(`${importsBase(s)}/${id}`);
  return { id, page: decode(page.text) };
}

/** Confirms a previewed job and waits for the import; answers the result page. */
export async function confirmed(portal: TestPortal, s: Admin, id: number): Promise<{ status: number; location?: string; page: string }> {
  const res = await s.agent.post(`${importsBase(s)}/${id}/confirm`).type('form').send({ _csrf: s.csrf });
  await portal.imports.idle();
  const page = await s.agent.get(`${importsBase(s)}/${id}`);
  return { status: res.status, location: res.headers.location, page: decode(page.text) };
}

/** The page's text without tags and with spaces folded, for phrases a person reads. */
export const textOf = (html: string) => decode(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

/** A download's bytes as they arrive (a BOM and all), with the response's status and headers. */
export function downloaded(agent: Admin['agent'], url: string) {
  return agent.get(url).buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}
