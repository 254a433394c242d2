import { expect } from 'chai';
import { countedPrefixesOf, fold, parseSearch, searchTermsOf, termMatchOf, termsMatch } from '../../server/contacts/search-terms';

/** True when every word of the query matches the stored terms as the list query tests them. */
const finds = (query: string, contact: Parameters<typeof searchTermsOf>[0]) => {
  const stored = searchTermsOf(contact);
  const terms = parseSearch(query);
  return terms.length > 0 && terms.every((t) => termsMatch(stored, t));
};
const prefixes = (letters: string) => Array.from(letters, (_, i) => `>${letters.slice(0, i + 1)}`);
/** Each term once, first place kept (as stored). */
const once = (terms: string[]) => [...new Set(terms)];

describe('search terms', () => {
  describe('fold', () => {
    it('lower-cases and removes accents: "João" and "joao" are the same word', () => {
      expect(fold('João')).to.equal('joao');
      expect(fold('JOÃO')).to.equal('joao');
      expect(fold('Conceição Araújo Müller Íñigo')).to.equal('conceicao araujo muller inigo');
      expect(fold('ÀÁÂÃÄÅ ÈÉÊË ÌÍÎÏ ÒÓÔÕÖ ÙÚÛÜ Ç Ñ')).to.equal('aaaaaa eeee iiii ooooo uuuu c n');
    });

    it('removes combining marks typed separately (decomposed input)', () => {
      expect(fold('Jo\u0061\u0303o')).to.equal('joao'); // a + combining tilde
      expect(fold('Jo\u00e3o')).to.equal(fold('Jo\u0061\u0303o'));
    });

    it('keeps digits, punctuation and letters that have no accent to remove', () => {
      expect(fold('123.456-78')).to.equal('123.456-78');
      expect(fold('ana@exemplo.com.br')).to.equal('ana@exemplo.com.br');
      expect(fold('')).to.equal('');
    });
  });

  describe('searchTermsOf', () => {
    it('every prefix of each name word (folded), of the e-mail\'s and the document\'s leading letters; the e-mail and document whole', () => {
      expect(searchTermsOf({ name: 'João da Silva', email: 'JSilva@Exemplo.COM', document_number: '01234567890' })).to.deep.equal(
        once(['jsilva@exemplo.com', '01234567890', ...prefixes('joao'), ...prefixes('da'), ...prefixes('silva'), ...prefixes('jsilva')]),
      );
    });

    it('a prefix shared by the name and the e-mail is stored once', () => {
      expect(searchTermsOf({ name: 'Maria Souza', email: 'maria2@x.test' })).to.deep.equal(['maria2@x.test', ...prefixes('maria'), ...prefixes('souza')]);
      expect(searchTermsOf({ name: 'Silva SILVA Sílva', email: 'silva@x.test' })).to.deep.equal(['silva@x.test', ...prefixes('silva')]);
    });

    it('splits names at hyphens, apostrophes and other separators', () => {
      expect(searchTermsOf({ name: "Ana-Maria D'Ávila  O.  Souza", email: '1@c.test' })).to.deep.equal(
        once(['1@c.test', ...prefixes('ana'), ...prefixes('maria'), '>d', ...prefixes('avila'), '>o', ...prefixes('souza')]),
      );
    });

    it('the e-mail also from each later word of its name part, with that word\'s prefixes', () => {
      expect(searchTermsOf({ name: 'Vera', email: 'Vera.Batista2@cbt.com.br' })).to.deep.equal(
        once(['vera.batista2@cbt.com.br', 'batista2@cbt.com.br', ...prefixes('vera'), ...prefixes('batista')]),
      );
      expect(searchTermsOf({ name: 'Ana', email: 'a_b-c+d@x.test' })).to.deep.equal(once(['a_b-c+d@x.test', 'b-c+d@x.test', 'c+d@x.test', 'd@x.test', ...prefixes('ana'), '>b', '>c', '>d']));
      expect(searchTermsOf({ name: 'Ana', email: 'ana.@x.test' })).to.deep.equal(['ana.@x.test', ...prefixes('ana')]);
    });

    it('a name word with digits is kept whole too (a search with digits finds it), with the prefixes of its leading letters', () => {
      expect(searchTermsOf({ name: 'Sala 42B Filial2', email: '9@x.test' })).to.deep.equal(['42b', 'filial2', '9@x.test', ...prefixes('sala'), ...prefixes('filial')]);
    });

    it('without a document, no document term; a foreign document loses its separators', () => {
      expect(searchTermsOf({ name: 'Ana', email: '1@x.test', document_number: null })).to.deep.equal(['1@x.test', ...prefixes('ana')]);
      expect(searchTermsOf({ name: 'Ana', email: '1@x.test', document_number: 'AB-123/45' })).to.deep.equal(once(['1@x.test', 'ab12345', ...prefixes('ana'), ...prefixes('ab')]));
    });

    it('cuts each term to 100 characters (the column size)', () => {
      const long = 'a'.repeat(150);
      const terms = searchTermsOf({ name: long, email: `${'b'.repeat(120)}@x.test` });
      expect(terms).to.include('b'.repeat(100));
      expect(terms).to.include(`>${'a'.repeat(99)}`);
      expect(terms.filter((t) => t.startsWith('>a'))).to.have.length(99);
      for (const t of terms) expect(t.length).to.be.at.most(100);
    });

    it('never yields an empty term', () => {
      expect(searchTermsOf({ name: ' -- ', email: '1@y.test', document_number: '' })).to.deep.equal(['1@y.test']);
    });

    it('the counted prefixes are the marked ones, unmarked', () => {
      expect(countedPrefixesOf(searchTermsOf({ name: 'Ana Lu', email: '1@y.test' }))).to.deep.equal(['a', 'an', 'ana', 'l', 'lu']);
    });
  });

  describe('termMatchOf', () => {
    it('a word of letters is one exact prefix term; a word with digits or "@" the terms it starts; none starts with the mark', () => {
      expect(termMatchOf('mari')).to.deep.equal({ exact: '>mari' });
      expect(termMatchOf('ana.s@x')).to.deep.equal({ startsWith: 'ana.s@x' });
      expect(termMatchOf('123456')).to.deep.equal({ startsWith: '123456' });
      expect(termMatchOf('>mari@')).to.equal(null);
    });
  });

  describe('parseSearch', () => {
    it('nothing typed, nothing to match', () => {
      expect(parseSearch('')).to.deep.equal([]);
      expect(parseSearch('   ')).to.deep.equal([]);
    });

    it('CPF digits typed with or without mask: "123.456" and "123456" give the same term', () => {
      expect(parseSearch('123.456')).to.deep.equal(['123456']);
      expect(parseSearch('123456')).to.deep.equal(['123456']);
      expect(parseSearch(' 529.982.247-25 ')).to.deep.equal(['52998224725']);
      expect(parseSearch('012.345')).to.deep.equal(['012345']);
    });

    it('one or two digits are a word, not a CPF', () => {
      expect(parseSearch('12')).to.deep.equal(['12']);
    });

    it('words are folded: "JOÃO" and "joao" give "joao"', () => {
      expect(parseSearch('JOÃO')).to.deep.equal(['joao']);
      expect(parseSearch('joão  da   Silva')).to.deep.equal(['joao', 'da', 'silva']);
      expect(parseSearch("d'ávila")).to.deep.equal(['d', 'avila']);
    });

    it('a word with "@" is an e-mail prefix, kept whole and lower-cased', () => {
      expect(parseSearch('Ana.Souza@Exemplo')).to.deep.equal(['ana.souza@exemplo']);
      expect(parseSearch('ana@x.test silva')).to.deep.equal(['ana@x.test', 'silva']);
    });

    it('at most 5 terms, each at most 100 characters', () => {
      expect(parseSearch('a b c d e f g')).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
      expect(parseSearch('x'.repeat(150))).to.deep.equal(['x'.repeat(100)]);
    });

    it('only the first 200 characters are read', () => {
      const terms = parseSearch(`${'a'.repeat(199)} zebra`);
      expect(terms).to.deep.equal(['a'.repeat(100)]);
    });

    it('punctuation alone gives nothing to match', () => {
      expect(parseSearch('-- ..')).to.deep.equal([]);
    });
  });

  describe('what the user types finds what was stored', () => {
    const joao = { name: 'João da Silva', email: 'joao.silva@exemplo.com', document_number: '12345678909' };

    it('by name, in any case and with or without accents, by the beginning of each word', () => {
      for (const q of ['joao', 'João', 'JOAO', 'jo', 'silva', 'sil', 'joao silva', 'silva joão']) expect(finds(q, joao), q).to.equal(true);
      for (const q of ['joana', 'souza', 'ilva', 'joao souza']) expect(finds(q, joao), q).to.equal(false);
    });

    it('by e-mail', () => {
      for (const q of ['joao.silva@exemplo.com', 'JOAO.SILVA@', 'joao.silva@exe']) expect(finds(q, joao), q).to.equal(true);
      expect(finds('maria@exemplo.com', joao)).to.equal(false);
    });

    it('an e-mail is found by every start of it the user can type', () => {
      const people = [
        joao,
        { name: 'Maria Souza', email: 'maria2@x.test' },
        { name: 'Maria Souza', email: 'sou_za@x.test' },
        { name: 'Ana Lima', email: 'an@x.test' },
        { name: 'Ana Lima', email: 'analima@x.test' },
        { name: 'Ana Lima', email: '9ana@x.test' },
        { name: 'Ana Lima', email: 'joão.ç@x.test' },
      ];
      for (const person of people) {
        for (let k = 1; k <= person.email.length; k++) {
          const typed = person.email.slice(0, k);
          // What the user can type of an e-mail: up to its "@" one word, from there the e-mail prefix.
          if (!typed.includes('@') && /[^\p{L}\p{N}]/u.test(typed)) continue;
          expect(finds(typed, person), `${typed} → ${person.email}`).to.equal(true);
        }
      }
      expect(finds('@maria2', { name: 'Maria Souza', email: 'maria2@x.test' })).to.equal(false);
    });

    it('by a later word of the e-mail\'s name part, typed alone or with the ones before it', () => {
      const vera = { name: 'Vera Lúcia', email: 'vera.batista2@cbt.com.br' };
      for (const q of ['batista2', 'batista', 'bat', 'vera.batista2', 'vera batista2', 'lucia.batista2', 'batista2@cbt', 'Batista2@CBT.com.br']) expect(finds(q, vera), q).to.equal(true);
      // Not the middle of a word, nor the domain alone.
      for (const q of ['atista2', 'batista3', 'cbt', 'com']) expect(finds(q, vera), q).to.equal(false);
    });

    it('by the letters a document starts with', () => {
      const foreign = { name: 'Hans Müller', email: '1@x.test', document_number: 'AB-123/45' };
      for (const q of ['ab', 'AB', 'ab12', 'ab12345', 'muller', 'mü']) expect(finds(q, foreign), q).to.equal(true);
      for (const q of ['abc', 'b', '12']) expect(finds(q, foreign), q).to.equal(false);
    });

    it('a name word with digits by its start, digits included', () => {
      const room = { name: 'Sala 42B', email: 'x@x.test' };
      for (const q of ['42', '42b', 'sala 42', 's']) expect(finds(q, room), q).to.equal(true);
      for (const q of ['2b', 'b']) expect(finds(q, room), q).to.equal(false);
    });

    it('by CPF with or without mask', () => {
      for (const q of ['123.456', '123456', '123.456.789-09', '12345678909', '123']) expect(finds(q, joao), q).to.equal(true);
      for (const q of ['456.789', '124']) expect(finds(q, joao), q).to.equal(false);
    });

    it('a CPF with leading zeros is found by its first digits', () => {
      const zeros = { name: 'Zé', email: 'ze@x.test', document_number: '01234567890' };
      expect(finds('012.345', zeros)).to.equal(true);
      expect(finds('012345', zeros)).to.equal(true);
    });
  });
});
