import { expect } from 'chai';
import { createI18n, LOCALES, type Catalog } from '../../server/i18n';
import { MemoizedTranslators } from '../../server/i18n/memoized';
import { loadRegistry } from '../../server/plugins/loader';

function leaves(catalog: Catalog, prefix = ''): [string, string][] {
  return Object.entries(catalog).flatMap(([k, v]) => (typeof v === 'string' ? [[prefix + k, v] as [string, string]] : leaves(v, `${prefix}${k}.`)));
}

describe('memoized t()', () => {
  it('answers exactly as i18next for every key of every catalog (core and plugins), with and without values', async () => {
    const registry = await loadRegistry();
    const i18n = await createI18n(registry.catalogs);
    const translators = new MemoizedTranslators(i18n);
    let interpolated = 0;
    for (const locale of LOCALES) {
      const fast = translators.get(locale);
      const slow = i18n.getFixedT(locale);
      const keys = leaves(i18n.getResourceBundle(locale, 'translation') as Catalog);
      expect(keys.length).to.be.greaterThan(100);
      for (const [key, text] of keys) {
        expect(fast(key), key).to.equal(slow(key));
        expect(fast(key), `${key} again (cached)`).to.equal(slow(key));
        const names = [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!);
        if (!names.length) continue;
        interpolated++;
        const values = Object.fromEntries(names.map((n, i) => [n, i % 2 ? 1234 + i : `<v${i} & "x">`]));
        expect(fast(key, values), key).to.equal(slow(key, values));
        // A missing value is i18next's business (it warns and leaves it empty).
        expect(fast(key, {}), `${key} without values`).to.equal(slow(key, {}));
      }
    }
    expect(interpolated, 'catalog texts with placeholders').to.be.greaterThan(20);
  });

  it('leaves plurals, defaults and unknown keys to i18next', async () => {
    const i18n = await createI18n([{ 'pt-BR': { x: { item_one: '{{count}} item', item_other: '{{count}} itens', fmt: 'Total {{n, number}}', nested: 'Ver $t(x.item_one)' } } }]);
    const t = new MemoizedTranslators(i18n).get('pt-BR');
    expect(t('x.item', { count: 1 })).to.equal('1 item');
    expect(t('x.item', { count: 3 })).to.equal('3 itens');
    expect(t('x.fmt', { n: 1234.5 })).to.equal(i18n.getFixedT('pt-BR')('x.fmt', { n: 1234.5 }));
    expect(t('x.missing', { defaultValue: 'Padrão' })).to.equal('Padrão');
    expect(t('x.nested', { a: 1 })).to.equal(i18n.getFixedT('pt-BR')('x.nested', { a: 1 }));
  });

  it('falls back to pt-BR for a key another language lacks, as i18next does', async () => {
    const i18n = await createI18n([{ 'pt-BR': { only: { here: 'Olá {{name}}' } } }]);
    expect(new MemoizedTranslators(i18n).get('en')('only.here', { name: 'Ana' })).to.equal('Olá Ana');
  });
});
