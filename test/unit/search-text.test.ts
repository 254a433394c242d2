import { expect } from 'chai';
import { fold, parseSearch, searchPattern, searchTextOf, SEARCH_TEXT_MAX } from '../../server/contacts/search-text';

/**
 * The list query's test, in memory: every typed word starts a stored word (`search LIKE '% word%'`).
 * test/integration/contacts-search.test.ts holds the SQL to the same answers.
 */
const finds = (query: string, contact: Parameters<typeof searchTextOf>[0]) => {
  const text = searchTextOf(contact);
  const words = parseSearch(query);
  return words.length > 0 && words.every((w) => text.includes(` ${w}`));
};

describe('contact search text', () => {
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

  describe('searchTextOf', () => {
    it('the folded name words, the document without mask, the e-mail and the e-mail from each later word of its name part', () => {
      expect(searchTextOf({ name: 'João da Silva', email: 'Joao.Silva@Exemplo.com', document_number: '123.456.789-09' })).to.equal(' joao da silva 12345678909 joao.silva@exemplo.com silva@exemplo.com exemplo.com com');
      expect(searchTextOf({ name: "Ana D'Ávila-Souza", email: 'ana@x.test' })).to.equal(' ana d avila souza ana@x.test x.test test');
    });

    it('a word repeated in the name, the e-mail or the document is stored once', () => {
      expect(searchTextOf({ name: 'Silva Silva', email: 'silva@x.test', document_number: null })).to.equal(' silva silva@x.test x.test test');
    });

    it('never longer than the column; the name words come first, later words are left out whole', () => {
      const long = { name: 'Maria Aparecida dos Santos', email: `${Array.from({ length: 60 }, (_, i) => `w${i}`).join('.')}@x.test` };
      const text = searchTextOf(long);
      expect(text.length).to.be.at.most(SEARCH_TEXT_MAX);
      expect(text.startsWith(' maria aparecida dos santos ')).to.equal(true);
      expect(text.split(' ').slice(1).every((w) => w === '' || long.email.toLowerCase().includes(w) || 'maria aparecida dos santos'.includes(w))).to.equal(true);
    });
  });

  describe('searchPattern', () => {
    it('escapes the LIKE wildcards and the escape character a typed e-mail may hold', () => {
      expect(searchPattern('silva')).to.equal('% silva%');
      expect(searchPattern('sou_za@')).to.equal('% sou!_za@%');
      expect(searchPattern('a%b!c')).to.equal('% a!%b!!c%');
    });
  });

  describe('parseSearch', () => {
    it('nothing typed, nothing to match', () => {
      expect(parseSearch('')).to.deep.equal([]);
      expect(parseSearch('   ')).to.deep.equal([]);
    });

    it('CPF digits typed with or without mask: "123.456" and "123456" give the same word', () => {
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

    it('a word with "@" is an e-mail prefix, kept whole and folded', () => {
      expect(parseSearch('Ana.Souza@Exemplo')).to.deep.equal(['ana.souza@exemplo']);
      expect(parseSearch('ana@x.test silva')).to.deep.equal(['ana@x.test', 'silva']);
    });

    it('at most 5 words, repeated ones once, each at most 100 characters', () => {
      expect(parseSearch('a b c d e f g')).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
      expect(parseSearch('silva Silva SÍLVA')).to.deep.equal(['silva']);
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

    it("by the e-mail's domain, typed whole or from the start of any of its parts", () => {
      const aurora = { name: 'Vera Lima', email: 'vera@aurora.com.br' };
      for (const q of ['aurora', 'aurora.com.br', 'Aurora.com', 'com.br']) expect(finds(q, aurora), q).to.equal(true);
      for (const q of ['urora', 'aurora.net', 'exemplo.com.br']) expect(finds(q, aurora), q).to.equal(false);
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
      // Not the middle of a word (the domain alone does find it: see the domain test).
      for (const q of ['atista2', 'batista3', 'bt', 'om.br']) expect(finds(q, vera), q).to.equal(false);
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
