/**
 * An audit event in words of the viewer's language: the action's label, who acted and how it was
 * confirmed, and each changed field as label, before → after. Pure functions over one row; every
 * label comes from the catalogs, never a raw JSON key.
 */
import { toDate } from '../db/knex';
import { formatDateTime } from '../i18n/format';
import type { AuditListRow } from './audit.repository';
import { readableActorName, readableDetails } from './event-format';

type T = (key: string, options?: Record<string, unknown>) => string;

/** The event's details with its personal values put back (or the pseudonym, once erased): event-format.ts. */
export function detailsOf(row: Pick<AuditListRow, 'details' | 'personal'>): Record<string, unknown> {
  try {
    const details = readableDetails(row);
    return details && typeof details === 'object' && !Array.isArray(details) ? details : {};
  } catch {
    return {};
  }
}

/** What the page knows besides the row: the viewer's words, and names by id. */
export interface ViewHelpers {
  t: T;
  locale: string;
  permissionLabel(key: string): string;
  /** The plugin whose namespace the action is in, by its name's i18n key; undefined for core. */
  pluginName(namespace: string): string | undefined;
  contactName(id: number): string | undefined;
  /** "Chrome 131 · Windows" from a User-Agent (the step-up feature's summary, handed in at composition). */
  browserOf(userAgent: string | null): string | null;
}

export interface Line {
  label: string;
  before?: string;
  after?: string;
  value?: string;
}

export interface EventView {
  id: number;
  at: Date;
  when: string;
  action: string;
  label: string;
  actor: { name: string; email: string | null; contactId: number | null };
  target: { label: string; contactId: number | null } | null;
  ip: string | null;
  browser: string | null;
  confirmation: string | null;
  plugin: string | null;
  changes: Line[];
  facts: Line[];
}

/** `audit.actions.<action>` for core; `plugins.<id>.audit.<name>` for a plugin's `<id>.<name>`; the raw action otherwise. */
export function actionLabel(t: T, action: string): string {
  const core = t(`audit.actions.${action}`, { defaultValue: '' });
  if (core) return core;
  const dot = action.indexOf('.');
  return dot > 0 ? t(`plugins.${action.slice(0, dot)}.audit.${action.slice(dot + 1)}`, { defaultValue: action }) : action;
}

/** Internal columns a contact snapshot carries (a deletion's `before`): not part of what a person reads. */
const HIDDEN = new Set(['id', 'account_id', 'user_id', 'created_by_contact_id', 'search', 'sort_name', 'search_domain', 'userId', 'accountId', '_stepUp', 'passkeyId']);
const BOOLEAN = new Set(['consulting_authorized', 'requireSecondFactor', 'bpo', 'allOrNothing', 'inUse', 'confirmation', 'complete']);

function labelOf(h: ViewHelpers, key: string, namespace: string): string {
  const core = h.t(`audit.fields.${key}`, { defaultValue: '' });
  if (core) return core;
  return h.t(`plugins.${namespace}.audit.fields.${key}`, { defaultValue: h.t('audit.fields.other') });
}

const CPF = /^\d{11}$/;

/** A value as a person reads it: labels for codes, Sim/Não, dates in the viewer's locale, a CPF with its mask. */
function valueOf(h: ViewHelpers, key: string, value: unknown, side: Record<string, unknown>): string {
  if (value === null || value === undefined || value === '') return '—';
  if (BOOLEAN.has(key) || typeof value === 'boolean') return h.t(value === true || value === 1 || value === '1' ? 'common.yes' : 'common.no');
  if (Array.isArray(value)) {
    if (['flags', 'added', 'removed'].includes(key)) return value.length ? value.map((k) => h.permissionLabel(String(k))).join(', ') : '—';
    if (key === 'groups') return value.length ? value.map((id) => h.t('audit.values.group', { id })).join(', ') : '—';
    if (key === 'factors') return value.length ? value.map((f) => h.t(`security.factorReset.kinds.${f}`, { defaultValue: String(f) })).join(', ') : '—';
    if (key === 'attachments') return value.map((a) => (a && typeof a === 'object' ? String((a as { name?: unknown }).name ?? '') : String(a))).join(', ');
    return value.length ? value.map((v) => (typeof v === 'object' ? '…' : String(v))).join(', ') : '—';
  }
  const text = String(value);
  switch (key) {
    case 'status': return h.t(`contacts.statusOne.${text}`, { defaultValue: h.t(`audit.values.status.${text}`, { defaultValue: text }) });
    case 'profile': case 'former_profile': case 'receiver_profile': return h.t(`profiles.${text}`, { defaultValue: text });
    case 'document_type': return text === 'cpf' ? 'CPF' : h.t(`contacts.documentTypes.${text}`, { defaultValue: text });
    case 'document_number': return side.document_type === 'cpf' && CPF.test(text) ? `${text.slice(0, 3)}.${text.slice(3, 6)}.${text.slice(6, 9)}-${text.slice(9)}` : text;
    case 'country': return countryName(text, h.locale);
    case 'locale': return h.t(`languages.${text}`, { defaultValue: text });
    case 'owner_contact_id': case 'from': case 'to': return typeof value === 'number' ? (h.contactName(value) ?? h.t('audit.values.contact', { id: value })) : text;
    case 'invitation': case 'invitations': case 'login': case 'reason': case 'state': case 'method': case 'via': case 'approverFactor':
      return h.t(`audit.values.${key}.${text}`, { defaultValue: text });
    case 'error': return h.t(text, { defaultValue: text });
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).filter(([k]) => !HIDDEN.has(k)).map(([k, v]) => `${labelOf(h, k, 'core')}: ${valueOf(h, k, v, value as Record<string, unknown>)}`).join('; ');
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) return formatDateTime(new Date(text), h.locale);
  return text;
}

function countryName(code: string, locale: string): string {
  try {
    return new Intl.DisplayNames([locale], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** "confirmado com senha", "… com um código", "… com QR aprovado em Chrome 130 · Android", "… ao entrar". */
function confirmationOf(h: ViewHelpers, stepUp: unknown): string | null {
  if (!stepUp || typeof stepUp !== 'object') return null;
  const s = stepUp as { method?: unknown; at?: unknown; device?: unknown; factor?: unknown };
  const method = String(s.method ?? '');
  const when = typeof s.at === 'string' ? formatDateTime(new Date(s.at), h.locale) : '';
  if (method === 'qr') return h.t(s.device ? 'audit.confirmation.qrFrom' : 'audit.confirmation.qr', { device: String(s.device ?? ''), when });
  if (method === 'sign_in') return h.t(`audit.confirmation.signIn${s.factor === 'totp' ? 'Totp' : s.factor === 'passkey' ? 'Passkey' : ''}`, { when });
  return h.t(`audit.confirmation.${method}`, { when, defaultValue: '' }) || null;
}

/** The event as the page shows it. */
export function describeEvent(row: AuditListRow, h: ViewHelpers): EventView {
  const details = detailsOf(row);
  const namespace = row.action.split('.')[0] ?? '';
  const at = toDate(row.created_at) ?? new Date(0);
  const before = isObject(details.before) ? details.before : {};
  const after = isObject(details.after) ? details.after : {};
  const changes: Line[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (HIDDEN.has(key)) continue;
    const was = key in before ? valueOf(h, key, before[key], before) : undefined;
    const is = key in after ? valueOf(h, key, after[key], after) : undefined;
    // Nothing to read where both sides say the same (no groups before, none after).
    if ((was ?? '—') === (is ?? '—')) continue;
    changes.push({ label: labelOf(h, key, namespace), ...(was !== undefined ? { before: was } : {}), ...(is !== undefined ? { after: is } : {}) });
  }
  const facts: Line[] = Object.entries(details)
    .filter(([k, v]) => k !== 'before' && k !== 'after' && !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => ({ label: labelOf(h, k, namespace), value: valueOf(h, k, v, details) }));
  const targetId = row.target_id;
  const targetContact = row.target_type === 'contact' && targetId ? Number(targetId) : null;
  const target = row.target_type
    ? {
        label: targetContact
          ? (h.contactName(targetContact) ?? h.t('audit.values.contact', { id: targetId }))
          : `${h.t(`audit.targets.${row.target_type}`, { defaultValue: h.t('audit.targets.other') })} #${targetId ?? ''}`,
        contactId: targetContact,
      }
    : null;
  const plugin = h.pluginName(namespace);
  return {
    id: Number(row.id),
    at,
    when: formatDateTime(at, h.locale),
    action: row.action,
    label: actionLabel(h.t, row.action),
    actor: { name: readableActorName(row) ?? h.t('audit.system'), email: row.actor_email, contactId: row.actor_contact_id },
    target,
    ip: row.ip,
    browser: h.browserOf(row.user_agent),
    confirmation: confirmationOf(h, details._stepUp),
    plugin: plugin ? h.t(plugin) : null,
    changes,
    facts,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);
