/** Dates as each locale reads them ("23/11/2026 14:05" in pt-BR), in the portal's time zone. */
const TIME_ZONE = process.env.TZ_DISPLAY ?? 'America/Sao_Paulo';
const formatters = new Map<string, Intl.DateTimeFormat>();

export function formatDateTime(d: Date | null | undefined, locale: string): string {
  if (!d || Number.isNaN(d.getTime())) return '';
  let f = formatters.get(locale);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false, timeZone: TIME_ZONE });
    formatters.set(locale, f);
  }
  // Intl puts a comma between date and time in most locales; Brazilians write none.
  return f.format(d).replace(', ', ' ');
}

const isoDates = new Intl.DateTimeFormat('en', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: TIME_ZONE });

/** `2026-11-23`: the day of `d` in the portal's time zone, for file names. */
export function isoDate(d: Date): string {
  const part = (type: string) => isoDates.formatToParts(d).find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The portal's time zone (dates are shown and typed in it). */
export const DISPLAY_TIME_ZONE = TIME_ZONE;

/**
 * The instant a day (`2026-11-23`, as a date input sends it) starts in the portal's time zone;
 * null for anything else. Found by asking Intl for the zone's offset at that day's UTC midnight,
 * then once more at the result (a day that starts on a daylight-saving change).
 */
export function zonedDayStart(ymd: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  if (!m) return null;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(utc) || new Date(utc).getUTCDate() !== Number(m[3])) return null;
  let at = utc - offsetAt(utc);
  at = utc - offsetAt(at);
  return new Date(at);
}

const offsetParts = new Intl.DateTimeFormat('en', { timeZone: TIME_ZONE, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });

/** The zone's offset from UTC at `ms`, in ms (São Paulo: -3 h). */
function offsetAt(ms: number): number {
  const p = Object.fromEntries(offsetParts.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(ms / 1000) * 1000;
}
