/**
 * Helpers shared by the permission tests (permissions-editor, permissions-matrix, plugins): form
 * bodies with repeated fields, the flag checkboxes and modules of the editor, the sidebar menu.
 */
import type { Knex } from 'knex';
import { insertId } from '../../../server/db/knex';
import type { Registry } from '../../../server/plugins/registry';
import type { Agent } from '../../support/portal';
import { decode } from './contacts';

export type FormFields = Record<string, string | number | (string | number)[] | undefined>;

/**
 * An urlencoded body where an array repeats its field (`flags=a&flags=b`), as a browser sends
 * checkboxes; superagent would write `flags[0]=a`, which express.urlencoded({ extended: false }) keeps as is.
 */
export function formBody(fields: FormFields): string {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) body.append(name, String(v));
  }
  return body.toString();
}

/** POSTs a form with the session's CSRF token. */
export function postForm(a: Agent, url: string, csrf: string, fields: FormFields = {}) {
  return a.post(url).type('form').send(formBody({ _csrf: csrf, ...fields }));
}

/** The checkbox id the editor gives a flag. */
export const flagInputId = (key: string) => `flag-${key.replace(/[^a-z0-9]/gi, '-')}`;

export interface FlagBox {
  checked: boolean;
  disabled: boolean;
  /** `flags` when the box is submitted (Personalizado), undefined when read-only. */
  name: string | undefined;
  value: string | undefined;
}

/** The flag checkboxes of an editor page or of the #flags-panel fragment, by flag key. */
export function flagBoxes(html: string, registry: Registry): Map<string, FlagBox> {
  const keyOf = new Map([...registry.keys].map((k) => [flagInputId(k), k]));
  const boxes = new Map<string, FlagBox>();
  for (const m of html.matchAll(/<input type="checkbox" id="(flag-[^"]+)"([^>]*)>/g)) {
    const key = keyOf.get(m[1]!);
    if (!key) throw new Error(`checkbox ${m[1]} names no registered flag`);
    const attrs = m[2]!;
    boxes.set(key, {
      checked: /\schecked\b/.test(attrs),
      disabled: /\sdisabled\b/.test(attrs),
      name: /\bname="([^"]*)"/.exec(attrs)?.[1],
      value: /\bvalue="([^"]*)"/.exec(attrs)?.[1],
    });
  }
  return boxes;
}

/** Keys of the boxes that are checked. */
export const checkedKeys = (boxes: Map<string, FlagBox>) => [...boxes].filter(([, b]) => b.checked).map(([k]) => k).sort();

/** The editor's modules as the user reads them: module name → flag labels, in order. */
export function modulesOf(html: string): Map<string, string[]> {
  const modules = new Map<string, string[]>();
  for (const m of html.matchAll(/<details class="module"[^>]*>([\s\S]*?)<\/details>/g)) {
    const name = decode(/<span class="module-name">([^<]*)<\/span>/.exec(m[1]!)?.[1] ?? '');
    const labels = [...m[1]!.matchAll(/<label for="flag-[^"]+">([^<]*)<\/label>/g)].map((l) => decode(l[1]!));
    modules.set(name, labels);
  }
  return modules;
}

/** The badges ("Perfil", "Concedida", "Grupo X") next to one flag of the editor. */
export function sourcesOf(html: string, key: string): string[] {
  const li = new RegExp(`<li>\\s*<input type="checkbox" id="${flagInputId(key)}"[\\s\\S]*?</li>`).exec(html)?.[0];
  if (!li) throw new Error(`flag ${key} is not on the page`);
  return [...li.matchAll(/<span class="badge">([^<]*)<\/span>/g)].map((b) => decode(b[1]!));
}

/** The sidebar's links (paths below the host). */
export function menuLinks(html: string): string[] {
  const nav = /<nav class="sidebar"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return [...nav.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]!);
}

/** The explicit grants stored for a contact, sorted. */
export async function storedGrants(db: Knex, contactId: number): Promise<string[]> {
  return (await db('contact_permissions').where({ contact_id: contactId }).select('permission_key')).map((r: { permission_key: string }) => r.permission_key).sort();
}

/** A group created straight in the database (for set-up that is not what a test is about). */
export async function insertGroup(db: Knex, accountId: number, name: string, flags: string[], members: number[] = []): Promise<number> {
  const now = new Date();
  const id = await insertId(db, 'groups', { account_id: accountId, name, description: null, created_at: now, updated_at: now });
  if (flags.length) await db('group_permissions').insert(flags.map((permission_key) => ({ group_id: id, permission_key })));
  if (members.length) await db('group_members').insert(members.map((contact_id) => ({ contact_id, group_id: id })));
  return id;
}

/** The id at the end of a redirect's Location (`…/groups/12?saved=1` → 12). */
export function idFromLocation(location: string | undefined): number {
  const m = /\/(\d+)(?:\?[^/]*)?$/.exec(location ?? '');
  if (!m) throw new Error(`no id in Location ${location}`);
  return Number(m[1]);
}

/** A cloud environment of an account (the cloud plugin's table). */
export function insertEnvironment(db: Knex, accountId: number, name = 'Produção'): Promise<number> {
  return insertId(db, 'cloud_environments', { account_id: accountId, name, product: 'Protheus', region: 'São Paulo', state: 'running' });
}
