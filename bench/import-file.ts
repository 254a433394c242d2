/**
 * The import file bench/import reads: the header of "Baixar modelo", `;`, CRLF, UTF-8 with BOM
 * (what Excel in Brazil writes when told "CSV UTF-8"), every row valid and distinct. The people
 * come from contacts-seed.ts (its deterministic names, distinct valid CPFs, real DDDs and phones),
 * written as a person types them: CPF and phone with their masks, "Brasil", "Membro", "não".
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { formatCpf } from '../server/contacts/identity';
import { fold } from '../server/contacts/search-text';
import { TEMPLATE_COLUMNS } from '../server/imports/columns';
import { nextCpf, nextPhone, personName, prng } from './contacts-seed';

const DOMAINS = ['cbt.com.br', 'cbt.com.br', 'cbt.com.br', 'gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com.br'];
const PROFILES = ['Membro', 'Membro', 'Membro', 'Membro', 'Membro', 'Membro', 'Membro', 'Observador', 'Administrador', 'Membro'];

const phoneText = (phone: string) => `${phone.slice(0, -4)}-${phone.slice(-4)}`;

/** Writes `rows` rows to `file` (a new write stream, honouring back-pressure); answers its size in bytes. */
export async function writeImportFile(file: string, rows: number, seed: number): Promise<number> {
  const rnd = prng(seed);
  const taken = new Set<string>();
  const out = createWriteStream(file);
  let bytes = 0;
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`\uFEFF${TEMPLATE_COLUMNS.join(';')}\r\n`);
  for (let i = 0; i < rows; i++) {
    const { name, first, last } = personName();
    const local = `${fold(first)}.${fold(last)}`.replace(/[^a-z0-9.]/g, '');
    const domain = rnd.pick(DOMAINS);
    let email = `${local}@${domain}`;
    for (let n = 2; taken.has(email); n++) email = `${local}${n}@${domain}`;
    taken.add(email);
    const { area_code, phone } = nextPhone();
    const cells: Record<(typeof TEMPLATE_COLUMNS)[number], string> = {
      nome: name, email, cpf: formatCpf(nextCpf()), pais: 'Brasil', documento: '',
      ddd: area_code, telefone: phoneText(phone), perfil: rnd.pick(PROFILES), consultoria: rnd.next() < 0.3 ? 'sim' : 'não',
    };
    await write(`${TEMPLATE_COLUMNS.map((c) => cells[c]).join(';')}\r\n`);
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
