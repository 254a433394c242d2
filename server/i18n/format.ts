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
