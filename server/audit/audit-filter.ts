/**
 * The audit trail's filter as a query string gives it (the "Auditoria" page and the exports read
 * the same parameters): `person` (the acting contact's id), `action`, `target_type` + `target_id`
 * (or `target=type:id`), `from` / `to` (days, `YYYY-MM-DD`, in the portal's time zone; `to`
 * includes its whole day) and `q` (free text). Whatever does not parse is ignored, as the contacts
 * list does with its own parameters.
 */
export interface AuditFilter {
  person: number | null;
  action: string | null;
  targetType: string | null;
  targetId: string | null;
  /** Inclusive. */
  from: Date | null;
  /** Exclusive: the start of the day after the `to` asked for. */
  to: Date | null;
  q: string;
}

const TIME_ZONE = process.env.TZ_DISPLAY ?? 'America/Sao_Paulo';
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ID = /^\d{1,10}$/;
const WORD = /^[A-Za-z0-9_.:-]{1,80}$/;

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim() : Array.isArray(v) && typeof v[0] === 'string' ? v[0].trim() : undefined);

export function parseAuditFilter(query: Record<string, unknown>): AuditFilter {
  const person = one(query.person);
  const action = one(query.action);
  let targetType = one(query.target_type);
  let targetId = one(query.target_id);
  const target = one(query.target);
  if (!targetType && target?.includes(':')) [targetType, targetId] = [target.slice(0, target.indexOf(':')), target.slice(target.indexOf(':') + 1)];
  const from = dayStart(one(query.from));
  const toDay = dayStart(one(query.to));
  return {
    person: person && ID.test(person) ? Number(person) : null,
    action: action && WORD.test(action) ? action : null,
    targetType: targetType && WORD.test(targetType) ? targetType : null,
    targetId: targetType && WORD.test(targetType) && targetId && targetId.length <= 40 ? targetId : null,
    from,
    to: toDay ? dayStart(one(query.to), 1) : null,
    q: (one(query.q) ?? '').slice(0, 200),
  };
}

/** The filter back as query parameters (empty ones left out): for links, and for the export's audit event. */
export function auditFilterQuery(filter: AuditFilter): Record<string, string> {
  const out: Record<string, string> = {};
  if (filter.person !== null) out.person = String(filter.person);
  if (filter.action) out.action = filter.action;
  if (filter.targetType) out.target_type = filter.targetType;
  if (filter.targetId) out.target_id = filter.targetId;
  if (filter.from) out.from = isoDay(filter.from);
  if (filter.to) out.to = isoDay(new Date(filter.to.getTime() - 12 * 3_600_000));
  if (filter.q) out.q = filter.q;
  return out;
}

export const isFiltered = (filter: AuditFilter) => Object.keys(auditFilterQuery(filter)).length > 0;

const dayParts = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

function isoDay(d: Date): string {
  const p = Object.fromEntries(dayParts.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

/** How far the portal's time zone is ahead of UTC at `utcMs` (negative west of Greenwich). */
function offsetAt(utcMs: number): number {
  const p = Object.fromEntries(dayParts.formatToParts(new Date(utcMs)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(utcMs / 1000) * 1000;
}

/** Midnight of `YYYY-MM-DD` (plus `days`) in the portal's time zone, as an instant; null when it is no such day. */
function dayStart(day: string | undefined, days = 0): Date | null {
  const m = day ? DAY.exec(day) : null;
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d || y < 2000 || y > 2999) return null;
  const local = Date.UTC(y, mo - 1, d + days);
  let utc = local - offsetAt(local);
  utc = local - offsetAt(utc);
  return new Date(utc);
}
