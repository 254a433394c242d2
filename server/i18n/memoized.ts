import type { i18n, TFunction } from 'i18next';
import { DEFAULT_LOCALE } from './index';

/**
 * One t() per locale that remembers what it looked up. Catalogs are frozen after start-up, and a
 * list page asks for the same labels in every row: i18next's lookup costs ~10 µs a call and an
 * interpolation ("{{used}} de {{limit}} licenças em uso") ~50 µs, a tenth of a list page's CPU.
 *
 * - Plain lookups (no options) are cached as i18next answers them.
 * - Interpolation of plain `{{name}}` values is done here from the catalog text, split once into
 *   parts. Anything else goes to i18next every time: plurals and context (`count`, `context`),
 *   other options (`lng`, `defaultValue`, …), nesting (`$t(…)`), formats (`{{n, number}}`),
 *   unescaped `{{- x}}`, a value that is missing or not a string/number, or a key not in the catalog.
 */
const I18NEXT_OPTIONS = new Set([
  'count', 'context', 'lng', 'lngs', 'fallbackLng', 'ns', 'defaultValue', 'replace', 'returnObjects',
  'returnDetails', 'joinArrays', 'postProcess', 'interpolation', 'keySeparator', 'nsSeparator', 'ordinal',
]);
const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/** Literal text at even indexes, variable names at odd ones; null when i18next must do it. */
type Parts = readonly string[] | null;

function split(template: unknown): Parts {
  if (typeof template !== 'string' || template.includes('$t(')) return null;
  const parts = template.split(PLACEHOLDER);
  // Any "{{" left in the literal text is a placeholder of another kind (format, unescaped, nested).
  for (let i = 0; i < parts.length; i += 2) if (parts[i]!.includes('{{')) return null;
  return parts;
}

export class MemoizedTranslators {
  private readonly byLocale = new Map<string, TFunction>();

  constructor(private readonly i18n: i18n) {}

  get(locale: string): TFunction {
    let t = this.byLocale.get(locale);
    if (!t) {
      t = this.create(locale);
      this.byLocale.set(locale, t);
    }
    return t;
  }

  private create(locale: string): TFunction {
    const fixed = this.i18n.getFixedT(locale) as (key: unknown, options?: unknown) => string;
    const plain = new Map<string, string>();
    const templates = new Map<string, Parts>();
    const resource = (key: string) =>
      this.i18n.getResource(locale, 'translation', key) ?? this.i18n.getResource(DEFAULT_LOCALE, 'translation', key);

    const interpolate = (key: string, values: Record<string, unknown>): string | undefined => {
      for (const name in values) if (I18NEXT_OPTIONS.has(name)) return undefined;
      let parts = templates.get(key);
      if (parts === undefined) templates.set(key, (parts = split(resource(key))));
      if (parts === null) return undefined;
      let out = parts[0]!;
      for (let i = 1; i < parts.length; i += 2) {
        const value = values[parts[i]!];
        if (typeof value !== 'string' && typeof value !== 'number') return undefined;
        out += value + parts[i + 1]!;
      }
      return out;
    };

    return ((key: unknown, options?: unknown) => {
      if (typeof key !== 'string') return fixed(key, options);
      if (options === undefined) {
        let text = plain.get(key);
        if (text === undefined) plain.set(key, (text = fixed(key)));
        return text;
      }
      if (typeof options === 'object' && options !== null && Object.getPrototypeOf(options) === Object.prototype) {
        const text = interpolate(key, options as Record<string, unknown>);
        if (text !== undefined) return text;
      }
      return fixed(key, options);
    }) as TFunction;
  }
}
