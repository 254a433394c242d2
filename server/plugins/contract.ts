/**
 * The plugin contract: the only core file a plugin imports, as `portal/plugin`. A plugin declares
 * its permission flags, which built-in profiles receive them, its menu entries, routes,
 * migrations, views, locales and hooks; the loader validates the declaration before the server
 * listens. This file imports nothing of core (only express's and knex's types), so a plugin
 * outside the repository type-checks against it alone: keep it that way.
 */
import type { Request, Response } from 'express';
import type { Knex } from 'knex';

/** An i18n catalog: nested keys down to the text (`{ plugins: { support: { name: '…' } } }`). */
export type Catalog = { [key: string]: string | Catalog };
export type Catalogs = Partial<Record<'pt-BR' | 'es' | 'en', Catalog>>;

/** Translates a key of core's or any plugin's catalogs into the reader's language. */
export type Translate = (key: string, params?: Record<string, unknown>) => string;

/** Who is asking and where: set on every request below `/accounts/:accountId`. */
export interface PluginRequestContext {
  account: { id: number; name: string; ownerContactId: number | null };
  /** The signed-in person's contact in this account. */
  contact: { id: number; name: string; profile: string };
  /** The primary administrator of the account. */
  isOwner: boolean;
  /** Whether the person holds the flag now (profile, groups, grants; the owner holds every non-narrowing flag). */
  can(key: string): boolean;
}

/** What a route handler receives: express's request plus the account context, `t()` and the locale. */
export type PluginRequest = Request & { ctx: PluginRequestContext; t: Translate; locale: string };

export type ProfileId = 'administrator' | 'member' | 'observer_download' | 'observer';
export const BUILT_IN_PROFILES: readonly ProfileId[] = ['administrator', 'member', 'observer_download', 'observer'];

export interface PermissionDefinition {
  /** `<plugin id>.<name>`, e.g. `support.portal`. */
  key: string;
  /** i18n keys. */
  label: string;
  description?: string;
  group?: string;
  /**
   * A flag that takes access away (e.g. "see only your own tickets"). Not part of "everything":
   * the administrator profile and the primary administrator never hold it.
   */
  narrows?: boolean;
}

export interface MenuEntry {
  label: string;
  /** A plugin's path is below its mount (`/` is `/accounts/:a/p/<id>`); core's is below the account. */
  path: string;
  requires: string;
}

export interface HookEvents {
  /** `fields`: the answers to the confirmation questions (see `Confirmations`), by field name. */
  'contact.deleting': { accountId: number; contactId: number; actorContactId: number | null; input: Record<string, unknown>; fields: Record<string, string> };
  'contact.deactivated': { accountId: number; contactId: number; actorContactId: number | null; fields: Record<string, string> };
  'owner.transferred': { accountId: number; fromContactId: number; toContactId: number };
  /**
   * LGPD erasure of a contact already deleted (or deactivated for the account's erasure period):
   * replace every trace of `person` in the plugin's tables of `accountId` by `pseudonym`, inside
   * the core transaction. `person` holds what core still knew (null when unknown; `document` may be
   * masked, e.g. `***.982.247-**`, once the contact row is gone). The contact row itself, if any,
   * is removed by core after the hooks run.
   */
  'contact.erasing': { accountId: number; contactId: number; pseudonym: string; person: ErasedPerson };
  /**
   * "Meus dados" (LGPD, right of access): the person downloads what the portal holds about them.
   * For each of their contacts, a plugin adds what it keeps of that contact under its own id
   * (`add('<plugin id>', data)`: plain JSON, only this person's data; read-only: write nothing in `trx`).
   */
  'contact.exporting': { accountId: number; contactId: number; add(pluginId: string, data: unknown): void };
}

/** The personal values of a contact being erased (see the `contact.erasing` hook). */
export interface ErasedPerson {
  name: string | null;
  email: string | null;
  document: string | null;
  phone: string | null;
}
export type HookName = keyof HookEvents;
/** What a plugin writes to the audit trail; `action` must be in the plugin's namespace (`<plugin id>.<name>`). */
export interface PluginAuditEvent {
  action: string;
  target?: { type: string; id: number | string };
  details?: Record<string, unknown>;
}

/** Who made the change that fired a hook; ids are null when nobody signed in acted (the system, an operator). */
export interface HookActor {
  userId: number | null;
  contactId: number | null;
  name: string | null;
}

/** What one hook call is handed besides its plugin's context: who acts, and the trail of this change. */
export interface HookContext {
  actor: HookActor;
  /**
   * Writes an audit event for the hook event's account, signed by `actor` (with the request's IP
   * and browser), inside the hook's transaction: it commits or rolls back with the change.
   */
  audit(event: PluginAuditEvent): Promise<void>;
}

/**
 * `ctx`: the plugin's own context; inside a hook, read contacts with `ctx.contacts.of(event.accountId, trx)`.
 * `hook`: the actor and an audit writer bound to `trx` (e.g. record the tickets a deletion moved).
 */
export type Hook<N extends HookName> = (event: HookEvents[N], trx: Knex.Transaction, ctx: PluginContext, hook: HookContext) => Promise<void> | void;
export type Hooks = { [N in HookName]?: Hook<N> };

/**
 * What a plugin's route handlers are handed. `req.ctx` holds the account, the contact and `can()`;
 * the guard for the route's declared flag has already run.
 */
export interface PluginContext {
  /** For reads. Write through `ctx.transaction`, not `ctx.db.transaction`. */
  db: Knex;
  /**
   * Runs `work` in one transaction and, when the database aborts it for a conflict (a deadlock;
   * on a Galera cluster, another node committed a change to the same rows first), runs the whole
   * of it again (a few times, with a random pause). `work` may therefore run more than once:
   * write only through `trx`, keep counters and other state inside it, and do what leaves the
   * database (moving files, calling other systems) before it (undone if it fails) or after it.
   * Mail sent through core's services goes through the outbox, inside `trx`.
   */
  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T>;
  /** Renders `<plugin views>/<view>.ejs` inside the portal layout. */
  render(res: Response, view: string, locals?: Record<string, unknown>, status?: number): Promise<void>;
  /** Writes an audit event for the current account, signed by the current contact, in `trx`; `action` in the plugin's namespace. */
  audit(trx: Knex.Transaction, req: Request, event: PluginAuditEvent): Promise<void>;
  /** Answers the portal's 404 page (an id of another account, a missing record). */
  notFound(): never;
  /** Active contacts of the current account who hold `key`. */
  holders(req: Request, key: string): Promise<{ id: number; name: string; email: string }[]>;
  /** Where this plugin is mounted for the request's account, e.g. `/accounts/12/p/support`; no trailing slash. */
  baseUrl(req: Request): string;
  /** Read-only contacts of the request's account; never another account's. */
  contacts: ContactsDirectory;
  /**
   * This plugin's own folder for files (uploads), `<DATA_DIR>/plugins/<id>`: absolute, shared by
   * every account (keep the account in a table, not in the path), and not created until the
   * plugin first writes there (`mkdir -p` it). Store files under names you generate, never a user's.
   */
  filesDir: string;
}

export type ContactStatus = 'pending' | 'active' | 'deactivated';

export interface DirectoryContact {
  id: number;
  name: string;
  email: string;
  status: ContactStatus;
  /** A built-in profile, or `custom` (Personalizado: only explicit grants and groups). */
  profile: ProfileId | 'custom';
}

/**
 * Every method reads the account of `req.ctx`. Pass `trx` when calling from inside a transaction
 * (a hook, a write): on SQLite a second connection would wait for the transaction to end.
 */
export interface ContactsDirectory {
  /** The contact with `id` in the request's account, whatever its status; `undefined` otherwise. */
  find(req: Request, id: number, trx?: Knex.Transaction): Promise<DirectoryContact | undefined>;
  /** Active contacts by name; with `holding`, only those who hold that flag (by profile, group or grant). */
  listActive(req: Request, options?: { holding?: string; trx?: Knex.Transaction }): Promise<{ id: number; name: string; email: string }[]>;
  /** The contact's name, or `null` when there is no such contact in the account (e.g. deleted). */
  displayName(req: Request, id: number, trx?: Knex.Transaction): Promise<string | null>;
  /** Names of several contacts of the account in one read (a page's owners); ids not found are absent. */
  displayNames(req: Request, ids: readonly number[], trx?: Knex.Transaction): Promise<Map<number, string>>;
  /**
   * The flags the contact holds now, by the rule of `req.ctx.can` (profile, groups, grants; the
   * primary administrator holds every non-narrowing flag): e.g. whether a receiver may see what
   * they would receive. Empty for a contact who is not active or not of the request's account.
   */
  flagsOf(req: Request, id: number, trx?: Knex.Transaction): Promise<ReadonlySet<string>>;
  /**
   * The same directory for one account, read through `trx`: for code that runs without a request
   * (a hook, a demo seed), which has the account id of its event and the core transaction.
   */
  of(accountId: number, trx: Knex.Transaction): AccountContacts;
}

/** The contacts directory of one account, inside one transaction (see `ContactsDirectory.of`). */
export interface AccountContacts {
  find(id: number): Promise<DirectoryContact | undefined>;
  listActive(options?: { holding?: string }): Promise<{ id: number; name: string; email: string }[]>;
  displayName(id: number): Promise<string | null>;
  displayNames(ids: readonly number[]): Promise<Map<number, string>>;
  flagsOf(id: number): Promise<ReadonlySet<string>>;
}

/**
 * A question a plugin adds to the confirmation dialog of deleting or deactivating a contact,
 * e.g. "who receives the 3 open tickets?". Core renders it as a required select; the chosen
 * option's id reaches the matching hook as `event.fields[field]` (a string), inside the core
 * transaction. A hook that finds the answer unusable (missing, not a valid receiver) throws
 * `HookRefusal`: nothing is deleted or deactivated and the contact's page shows its message.
 */
export interface ConfirmationQuestion {
  /** Form field name, `<plugin id>.<name>` (e.g. `support.receiver`): unique across plugins. */
  field: string;
  /** Shown as is: translate with `req.t()`. */
  label: string;
  message: string;
  options: { id: number; name: string }[];
}
/**
 * Asked while the dialog renders and again when it is submitted (an answer that is not one of
 * the options, or none, shows the dialog again); `null` when there is nothing to ask.
 */
export type ConfirmationAsker = (req: PluginRequest, ctx: PluginContext, contactId: number) => Promise<ConfirmationQuestion | null>;
/** Keyed by the hook that receives the answer. */
export interface Confirmations {
  'contact.deleting'?: ConfirmationAsker;
  'contact.deactivated'?: ConfirmationAsker;
}

export interface RouteDeclaration {
  method: 'get' | 'post';
  /** Below `/accounts/:accountId/p/<plugin id>`. */
  path: string;
  /** The flag the route needs; the guard, the route matrix test and the menu all read it. */
  requires: string;
  /**
   * A mass or irreversible change (a POST): confirmed again like core's (the person's password,
   * a second factor, or a phone's approval when the last one is older than 15 minutes), and the
   * form is posted after it.
   */
  stepUp?: boolean;
  handler: (req: PluginRequest, res: Response, ctx: PluginContext) => unknown;
}

export interface PluginManifest {
  id: string;
  name: string;
  permissions: PermissionDefinition[];
  profiles?: Partial<Record<ProfileId, string[]>>;
  menu?: MenuEntry[];
  routes?: RouteDeclaration[];
  /** Absolute path of the plugin's knex migrations folder. */
  migrations?: string;
  /** Absolute path of the plugin's views folder (rendered as `<id>/<view>`). */
  views?: string;
  locales?: Catalogs;
  hooks?: Hooks;
  /** Questions added to the delete / deactivate confirmation of a contact (see `ConfirmationQuestion`). */
  confirmations?: Confirmations;
  /**
   * Demo data for one account, called by `npm run seed:demo` inside its transaction; `grants`
   * gives the plugin's flags to the demo's contacts without the plugin touching core's tables.
   */
  seedDemo?: (trx: Knex.Transaction, account: { id: number; index: number }, grants: DemoGrants, contacts: AccountContacts) => Promise<void>;
}

/** What `seed:demo` lets a plugin grant in the demo account it is seeding. */
export interface DemoGrants {
  /**
   * A permission group granting `flags`, with the account's first active member in it. Does
   * nothing when the account already has a group of that name, so a second seed run adds nothing.
   */
  group(name: string, description: string, flags: string[]): Promise<void>;
}

/**
 * The text rule of every form field, core's and plugins': a value someone types must never start a
 * line of its own where it is shown again (the text part of a mail sent from the portal's domain,
 * a header, a log line). Single-line text (names, subjects, e-mails) holds no control character:
 * no C0 (CR, LF and TAB included), no DEL, no C1, no Unicode line or paragraph separator
 * (U+2028, U+2029). Multi-line text (a description, a comment) may also hold line breaks (LF or
 * CR LF, what browsers send) and TAB (pasted logs and spreadsheets), nothing else. Check after
 * trimming, and show `TEXT_RULE_MESSAGES` (core's i18n keys) next to the field.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const ALLOWED_IN_MULTI_LINE = /\r\n|\n|\t/g;
const CONTROL_RUNS = new RegExp(`${CONTROL.source}+`, 'g');

export function isSingleLineText(value: string): boolean {
  return !CONTROL.test(value);
}

export function isMultiLineText(value: string): boolean {
  return !CONTROL.test(value.replace(ALLOWED_IN_MULTI_LINE, ''));
}

/**
 * `value` with each run of control characters folded into one space: for text stored before the
 * rule (older rows) shown where a line break would start a line of its own.
 */
export function toSingleLine(value: string): string {
  return value.replace(CONTROL_RUNS, ' ');
}

export const TEXT_RULE_MESSAGES = { singleLine: 'validation.singleLine', multiLine: 'validation.controlCharacters' } as const;

/**
 * Thrown by a hook to refuse the change with a message the user reads (an i18n key of the
 * plugin's locales), e.g. "transfer the open tickets first". The core transaction rolls back.
 */
// The same global symbol core's errors carry (server/errors.ts): recognised across module copies.
const DOMAIN_ERROR: unique symbol = Symbol.for('portal.domain-error') as never;

export class HookRefusal extends Error {
  readonly [DOMAIN_ERROR] = true;
  readonly status = 409;
  constructor(
    readonly messageKey: string,
    readonly params: Record<string, unknown> = {},
  ) {
    super(messageKey);
    this.name = 'HookRefusal';
  }
}

export function definePlugin(manifest: PluginManifest): PluginManifest {
  return manifest;
}
