import { expect } from 'chai';
import { coreCatalogs, createI18n, LOCALES, type Catalog } from '../../server/i18n';

/** Every leaf of a catalog as "a.b.c" → text. */
function flatten(catalog: Catalog, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(catalog)) {
    if (typeof value === 'string') out.set(prefix + key, value);
    else for (const [k, v] of flatten(value, `${prefix}${key}.`)) out.set(k, v);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('i18n catalogs', () => {
  const flat = Object.fromEntries(LOCALES.map((l) => [l, flatten(coreCatalogs[l])]));
  const reference = flat['pt-BR']!;

  it('pt-BR, es and en have exactly the same keys', () => {
    expect(reference.size).to.be.greaterThan(0);
    for (const locale of LOCALES) {
      expect([...flat[locale]!.keys()].sort(), `keys of ${locale}`).to.deep.equal([...reference.keys()].sort());
    }
  });

  it('no text is empty, and each translation uses the same {{placeholders}} as pt-BR', () => {
    for (const locale of LOCALES) {
      for (const [key, text] of flat[locale]!) {
        expect(text.trim(), `${locale} ${key}`).not.to.equal('');
        expect(placeholders(text), `${locale} ${key}`).to.deep.equal(placeholders(reference.get(key) ?? ''));
      }
    }
  });

  it('translates each locale from its own catalog, with interpolation', async () => {
    const i18n = await createI18n();
    expect(i18n.getFixedT('pt-BR')('auth.errors.tooManyAttempts', { minutes: 15 })).to.contain('15 minuto');
    expect(i18n.getFixedT('pt-BR')('layout.myProfile')).to.equal('Meu perfil');
    expect(i18n.getFixedT('en')('layout.myProfile')).to.equal(flat.en!.get('layout.myProfile')).and.not.equal('Meu perfil');
    expect(i18n.getFixedT('es')('layout.myProfile')).to.equal(flat.es!.get('layout.myProfile')).and.not.equal('Meu perfil');
  });
});
