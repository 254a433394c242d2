import type { Knex } from 'knex';
import { NotFound } from '../errors';
import { zonedDayStart } from '../i18n/format';
import { AuditRepository, type AuditListRow, type AuditQuery } from './audit.repository';
import { actionLabel, describeEvent, type EventView, type ViewHelpers } from './event-view';

export const AUDIT_PAGE_SIZE = 25;

/** The account's people as the page needs them (the contacts feature's, handed in at composition). */
export interface AuditPeople {
  /** Contacts of the account found by name, e-mail or CPF (the contacts list's search), any status. */
  search(accountId: number, text: string, limit: number): Promise<{ id: number; name: string; email: string }[]>;
  idByEmail(accountId: number, email: string): Promise<number | undefined>;
  /** Names and e-mails of the account's contacts among `ids` (a deleted one is absent). */
  byIds(accountId: number, ids: number[]): Promise<Map<number, { name: string; email: string }>>;
}

/** The words the page needs from the registry and the step-up feature (handed in at composition). */
export interface AuditVocabulary {
  /** Every action an event may carry, core's and the plugins'. */
  actions: readonly string[];
  permissionLabel(key: string): string;
  pluginName(namespace: string): string | undefined;
  browserOf(userAgent: string | null): string | null;
}

/** The page's filter as typed: the routes parse the query string into it (see auditFilterOf). */
export interface AuditFilter {
  /** A contact id (from a link) or an e-mail typed in the person field. */
  person: string;
  role: 'by' | 'to' | 'any';
  action: string;
  targetType: string;
  targetId: string;
  /** `YYYY-MM-DD` in the portal's time zone; `to` is inclusive. */
  from: string;
  to: string;
  q: string;
  before: number | null;
}

export interface Viewer {
  t: ViewHelpers['t'];
  locale: string;
}

const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** "Auditoria": one account's trail, filtered and paged newest first, each event in words. */
export class AuditViewService {
  private readonly repo = new AuditRepository();

  constructor(private readonly db: Knex, private readonly people: AuditPeople, private readonly vocabulary: AuditVocabulary) {}

  /** The action select's options in the viewer's language, by label. */
  actionOptions(viewer: Viewer): { action: string; label: string }[] {
    return this.vocabulary.actions.map((action) => ({ action, label: actionLabel(viewer.t, action) })).sort((a, b) => a.label.localeCompare(b.label, viewer.locale));
  }

  async page(accountId: number, filter: AuditFilter, viewer: Viewer) {
    const query: AuditQuery = { accountId, before: filter.before ?? undefined };
    let person: { id: number; name: string | null; email: string | null } | null = null;
    let nobody = false;
    if (filter.person) {
      const id = /^\d{1,10}$/.test(filter.person) ? Number(filter.person) : await this.people.idByEmail(accountId, filter.person.toLowerCase());
      if (id) {
        const known = (await this.people.byIds(accountId, [id])).get(id);
        person = { id, name: known?.name ?? null, email: known?.email ?? null };
        query.person = { contactId: id, role: filter.role };
      } else nobody = true;
    }
    if (filter.action) query.actions = [filter.action];
    if (filter.targetType && filter.targetId) query.target = { type: filter.targetType, id: filter.targetId };
    const from = zonedDayStart(filter.from);
    const to = zonedDayStart(filter.to) ? zonedDayStart(nextDay(filter.to)) : null;
    if (from) query.from = from;
    if (to) query.to = to;
    if (filter.q) query.text = await this.textQuery(accountId, filter.q, viewer);
    const rows = nobody ? [] : await this.repo.page(this.db, query, AUDIT_PAGE_SIZE);
    const shown = rows.slice(0, AUDIT_PAGE_SIZE);
    return {
      events: await this.describe(accountId, shown, viewer),
      // The next page starts below the last one shown, by its place in the chain (ids are not in order).
      next: rows.length > AUDIT_PAGE_SIZE ? Number(shown[shown.length - 1]!.seq) : null,
      person,
      nobody,
    };
  }

  /** One event of the account (the row's details fragment); another account's id is a 404. */
  async event(accountId: number, id: number, viewer: Viewer): Promise<EventView> {
    const row = await this.repo.findInAccount(this.db, accountId, id);
    if (!row) throw new NotFound();
    return (await this.describe(accountId, [row], viewer))[0]!;
  }

  /** The person field's suggestions: a few contacts found by what was typed. */
  suggestions(accountId: number, text: string) {
    return text.trim().length < 2 ? Promise.resolve([]) : this.people.search(accountId, text, 10);
  }

  /** A contact's history (done to them and by them), newest first, for the contact's page. */
  async history(accountId: number, contactId: number, viewer: Viewer, limit = 20): Promise<EventView[]> {
    const rows = await this.repo.page(this.db, { accountId, person: { contactId, role: 'any' } }, limit);
    return this.describe(accountId, rows.slice(0, limit), viewer);
  }

  /**
   * Free text, kept to indexed reads: the actions whose label holds it, the contacts the contacts
   * search finds by it (as actor or target), and actor names that start with it.
   */
  private async textQuery(accountId: number, text: string, viewer: Viewer): Promise<NonNullable<AuditQuery['text']>> {
    const folded = fold(text);
    const actions = this.actionOptions(viewer).filter((o) => fold(o.label).includes(folded) || o.action.includes(folded)).map((o) => o.action);
    const contactIds = (await this.people.search(accountId, text, 50)).map((c) => c.id);
    return { actions, contactIds, namePrefix: text };
  }

  private async describe(accountId: number, rows: AuditListRow[], viewer: Viewer): Promise<EventView[]> {
    const ids = new Set<number>();
    for (const r of rows) {
      if (r.target_type === 'contact' && r.target_id) ids.add(Number(r.target_id));
      if (r.action === 'owner.transferred' || r.action.endsWith('tickets_transferred') || r.action.endsWith('tickets_handed_over')) {
        for (const side of [/"owner_contact_id":(\d+)/g, /"(?:from|to)":(\d+)/g]) for (const m of String(r.details ?? '').matchAll(side)) ids.add(Number(m[1]));
      }
    }
    const names = ids.size ? await this.people.byIds(accountId, [...ids]) : new Map();
    const h = this.helpers(viewer, names);
    return rows.map((r) => describeEvent(r, h));
  }

  private helpers(viewer: Viewer, names: Map<number, { name: string }>): ViewHelpers {
    return {
      t: viewer.t, locale: viewer.locale,
      permissionLabel: (key) => viewer.t(this.vocabulary.permissionLabel(key)),
      pluginName: (ns) => this.vocabulary.pluginName(ns),
      contactName: (id) => names.get(id)?.name,
      browserOf: (ua) => this.vocabulary.browserOf(ua),
    };
  }
}

/** The day after `YYYY-MM-DD` (the end of an inclusive range). */
function nextDay(ymd: string): string {
  const d = new Date(`${ymd}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
