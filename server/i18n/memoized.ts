import type { i18n, TFunction } from 'i18next';

/**
 * One t() per locale that remembers plain lookups. Catalogs are frozen after start-up, and a list
 * page asks for the same labels in every row: i18next's own lookup cost ~10 µs a call, about 2 ms
 * of a 25-row page. Calls with options (interpolation, plurals) go to i18next every time.
 */
export class MemoizedTranslators {
  private readonly byLocale = new Map<string, TFunction>();

  constructor(private readonly i18n: i18n) {}

  get(locale: string): TFunction {
    let t = this.byLocale.get(locale);
    if (!t) {
      const fixed = this.i18n.getFixedT(locale);
      const cache = new Map<string, string>();
      t = ((key: unknown, options?: unknown) => {
        if (options !== undefined || typeof key !== 'string') return (fixed as (k: unknown, o?: unknown) => string)(key, options);
        let text = cache.get(key);
        if (text === undefined) cache.set(key, (text = fixed(key)));
        return text;
      }) as TFunction;
      this.byLocale.set(locale, t);
    }
    return t;
  }
}
