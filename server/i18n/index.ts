import i18next, { type i18n, type TFunction } from 'i18next';
import ptBR from './locales/pt-BR';
import es from './locales/es';
import en from './locales/en';

export const LOCALES = ['pt-BR', 'es', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'pt-BR';
export type Translate = TFunction;

export type Catalog = { [key: string]: string | Catalog };
export type Catalogs = Partial<Record<Locale, Catalog>>;

export const coreCatalogs: Record<Locale, Catalog> = { 'pt-BR': ptBR, es, en };

/** One i18next instance per app (tests build many apps); plugins add their catalogs to it. */
export async function createI18n(extra: Catalogs[] = []): Promise<i18n> {
  const instance = i18next.createInstance();
  await instance.init({
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    resources: Object.fromEntries(LOCALES.map((l) => [l, { translation: coreCatalogs[l] }])),
    interpolation: { escapeValue: false }, // EJS escapes on output
    returnNull: false,
    initAsync: false,
  });
  for (const catalogs of extra) {
    for (const locale of LOCALES) {
      const catalog = catalogs[locale];
      if (catalog) instance.addResourceBundle(locale, 'translation', catalog, true, false);
    }
  }
  return instance;
}

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}
