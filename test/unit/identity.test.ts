import { expect } from 'chai';
import { cpf } from 'cpf-cnpj-validator';
import {
  countries,
  cpfSearchDigits,
  documentTypes,
  formatCpf,
  formatPhone,
  isKnownCountry,
  isValidBrazilianAreaCode,
  isValidCpf,
  isValidDocumentNumber,
  normalizeCpf,
  normalizeDocumentNumber,
  validatePhone,
} from '../../server/contacts/identity';

// Check digits computed independently with the library's verifierDigit and pinned here.
const VALID = '52998224725'; // 529.982.247-25
const LEADING_ZERO = '01234567890'; // 012.345.678-90
const TWO_LEADING_ZEROS = '00123456797'; // 001.234.567-97

/** Anatel's 67 DDDs in use; the module derives its set from libphonenumber-js metadata. */
const ANATEL_DDDS = [
  ...range(11, 19), 21, 22, 24, 27, 28, ...range(31, 35), 37, 38, ...range(41, 49), 51, ...range(53, 55),
  ...range(61, 69), 71, ...range(73, 75), 77, 79, ...range(81, 89), ...range(91, 99),
].map(String);

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('identity: CPF', () => {
  describe('isValidCpf', () => {
    it('accepts a valid CPF unmasked and masked', () => {
      expect(isValidCpf(VALID)).to.equal(true);
      expect(isValidCpf('529.982.247-25')).to.equal(true);
    });

    it('accepts partial masks and spaces around and inside', () => {
      for (const typed of ['529982247-25', '529.982.24725', ' 529.982.247-25 ', '529 982 247 25', '529.982.247 - 25']) {
        expect(isValidCpf(typed), typed).to.equal(true);
      }
    });

    it('accepts CPFs with leading zeros, masked and unmasked', () => {
      expect(isValidCpf(LEADING_ZERO)).to.equal(true);
      expect(isValidCpf('012.345.678-90')).to.equal(true);
      expect(isValidCpf(TWO_LEADING_ZEROS)).to.equal(true);
      expect(isValidCpf('001.234.567-97')).to.equal(true);
    });

    it('accepts CPFs made by the library generator, masked and unmasked', () => {
      for (let i = 0; i < 50; i++) {
        const raw = cpf.generate();
        if (/^(\d)\1{10}$/.test(raw) || raw === '12345678909') continue; // blacklisted; the generator can, very rarely, produce one
        expect(isValidCpf(raw), raw).to.equal(true);
        expect(isValidCpf(cpf.format(raw)), raw).to.equal(true);
      }
    });

    it('refuses wrong check digits', () => {
      for (const typed of ['529.982.247-24', '529.982.247-15', '52998224726', '012.345.678-91', '012.345.678-00']) {
        expect(isValidCpf(typed), typed).to.equal(false);
      }
    });

    it('refuses all ten repeated-digit CPFs, masked and unmasked', () => {
      for (let d = 0; d <= 9; d++) {
        const raw = String(d).repeat(11);
        expect(isValidCpf(raw), raw).to.equal(false);
        expect(isValidCpf(formatCpf(raw)), formatCpf(raw)).to.equal(false);
      }
      expect(isValidCpf('111.111.111-11')).to.equal(false);
    });

    it('refuses the well-known sample 123.456.789-09 (check digits right, blacklisted by the library)', () => {
      expect(isValidCpf('123.456.789-09')).to.equal(false);
    });

    it('refuses wrong lengths without padding them', () => {
      expect(isValidCpf('1234567890')).to.equal(false); // 10 digits: 01234567890 would be valid
      expect(isValidCpf('123456789')).to.equal(false);
      expect(isValidCpf('529982247255')).to.equal(false); // 12 digits
      expect(isValidCpf('')).to.equal(false);
      expect(isValidCpf('   ')).to.equal(false);
    });

    it('refuses letters and other characters around valid digits', () => {
      for (const typed of ['abc529.982.247-25', '529.982.247-25x', '529/982/247-25', '529,982,247-25', '５２９９８２２４７２５', 'CPF 529.982.247-25']) {
        expect(isValidCpf(typed), typed).to.equal(false);
      }
    });
  });

  describe('normalizeCpf', () => {
    it('strips the mask and spaces, keeping leading zeros', () => {
      expect(normalizeCpf('012.345.678-90')).to.equal('01234567890');
      expect(normalizeCpf(' 012 345 678 90 ')).to.equal('01234567890');
      expect(normalizeCpf('01234567890')).to.equal('01234567890');
    });

    it('returns the digits as typed when not 11 long and no padding was asked', () => {
      expect(normalizeCpf('1234567890')).to.equal('1234567890');
      expect(normalizeCpf('123.456.789')).to.equal('123456789');
      expect(normalizeCpf('1234')).to.equal('1234');
      expect(normalizeCpf('123456789012')).to.equal('123456789012');
    });

    it('pads 9 or 10 digits to 11 with leading zeros only when padLeadingZeros is set', () => {
      expect(normalizeCpf('1234567890', { padLeadingZeros: true })).to.equal(LEADING_ZERO);
      expect(normalizeCpf('123456797', { padLeadingZeros: true })).to.equal(TWO_LEADING_ZEROS);
      expect(isValidCpf(normalizeCpf('1234567890', { padLeadingZeros: true })!)).to.equal(true);
      expect(normalizeCpf('1234567890', { padLeadingZeros: false })).to.equal('1234567890');
    });

    it('does not pad other lengths', () => {
      expect(normalizeCpf('12345678', { padLeadingZeros: true })).to.equal('12345678');
      expect(normalizeCpf(VALID, { padLeadingZeros: true })).to.equal(VALID);
      expect(normalizeCpf('123456789012', { padLeadingZeros: true })).to.equal('123456789012');
    });

    it('returns null for garbage and for input without digits', () => {
      for (const typed of ['abc', '529.982.247-2a', '12/34', '', '  ', '.-.']) {
        expect(normalizeCpf(typed), JSON.stringify(typed)).to.equal(null);
      }
    });
  });

  describe('formatCpf', () => {
    it('masks 11 digits the way Brazilians read them', () => {
      expect(formatCpf(LEADING_ZERO)).to.equal('012.345.678-90');
      expect(formatCpf(VALID)).to.equal('529.982.247-25');
    });

    it('leaves anything that is not 11 digits unchanged', () => {
      expect(formatCpf('1234567890')).to.equal('1234567890');
      expect(formatCpf('abc')).to.equal('abc');
    });
  });

  describe('cpfSearchDigits', () => {
    it('gives the same digits for a masked and an unmasked query', () => {
      expect(cpfSearchDigits('123.456')).to.equal('123456');
      expect(cpfSearchDigits('123456')).to.equal('123456');
      expect(cpfSearchDigits(' 012.345.678-90 ')).to.equal('01234567890');
      expect(cpfSearchDigits('678-90')).to.equal('67890');
    });

    it('needs at least 3 digits', () => {
      expect(cpfSearchDigits('123')).to.equal('123');
      expect(cpfSearchDigits('12')).to.equal(null);
      expect(cpfSearchDigits('1.2')).to.equal(null);
      expect(cpfSearchDigits('...')).to.equal(null);
      expect(cpfSearchDigits('')).to.equal(null);
    });

    it('is null for names, e-mails and mixed queries', () => {
      for (const q of ['Maria', 'maria@example.com', 'João 123', '123abc', 'ana.123']) {
        expect(cpfSearchDigits(q), q).to.equal(null);
      }
    });
  });
});

describe('identity: DDD', () => {
  it('derives exactly the 67 DDDs in use from the phone metadata', () => {
    expect(ANATEL_DDDS).to.have.length(67);
    const twoDigits = Array.from({ length: 90 }, (_, i) => String(i + 10));
    expect(twoDigits.filter(isValidBrazilianAreaCode)).to.deep.equal(ANATEL_DDDS);
  });

  it('accepts real DDDs', () => {
    for (const ddd of ['11', '21', '27', '61', '79', '99']) expect(isValidBrazilianAreaCode(ddd), ddd).to.equal(true);
  });

  it('refuses codes that are not in use, malformed or padded', () => {
    for (const ddd of ['10', '20', '23', '25', '26', '29', '30', '36', '39', '40', '50', '52', '56', '60', '70', '72', '76', '78', '80', '90']) {
      expect(isValidBrazilianAreaCode(ddd), ddd).to.equal(false);
    }
    for (const ddd of ['', '1', '011', '111', ' 11', '1a', '(11)']) expect(isValidBrazilianAreaCode(ddd), ddd).to.equal(false);
  });
});

describe('identity: phone', () => {
  describe('Brasil', () => {
    it('accepts a 9-digit mobile and an 8-digit fixed line, storing digits only', () => {
      expect(validatePhone('BR', '11', '987654321')).to.deep.equal({ ok: true, areaCode: '11', number: '987654321' });
      expect(validatePhone('BR', '11', '34567890')).to.deep.equal({ ok: true, areaCode: '11', number: '34567890' });
    });

    it('accepts masks in the number and in the area code', () => {
      expect(validatePhone('BR', '11', '98765-4321')).to.deep.equal({ ok: true, areaCode: '11', number: '987654321' });
      expect(validatePhone('BR', '21', '3456-7890')).to.deep.equal({ ok: true, areaCode: '21', number: '34567890' });
      expect(validatePhone('BR', '(11)', '9 8765 4321')).to.deep.equal({ ok: true, areaCode: '11', number: '987654321' });
      expect(validatePhone('BR', '011', '98765.4321')).to.deep.equal({ ok: true, areaCode: '11', number: '987654321' });
    });

    it('refuses a DDD that is not real, missing or garbage', () => {
      const bad = { ok: false, field: 'areaCode', key: 'contacts.validation.areaCode' };
      for (const ddd of ['20', '23', '10', '00', '', '1', '111', 'ab']) expect(validatePhone('BR', ddd, '987654321'), ddd).to.deep.equal(bad);
      expect(validatePhone('BR', undefined, '987654321')).to.deep.equal(bad);
    });

    it('refuses numbers that are not 8 or 9 digits', () => {
      const bad = { ok: false, field: 'phone', key: 'contacts.validation.phoneBr' };
      for (const n of ['3456789', '9876543210', '', '1234', '98765-432']) expect(validatePhone('BR', '11', n), n).to.deep.equal(bad);
    });

    it('refuses a 9-digit number that does not start with 9', () => {
      const bad = { ok: false, field: 'phone', key: 'contacts.validation.phoneBr' };
      for (const n of ['887654321', '387654321', '087654321']) expect(validatePhone('BR', '11', n), n).to.deep.equal(bad);
    });

    it('refuses 8-digit numbers the Brazilian plan does not have (e.g. a mobile missing its 9)', () => {
      const bad = { ok: false, field: 'phone', key: 'contacts.validation.phoneBr' };
      for (const n of ['87654321', '98765432', '12345678', '02345678', '62345678']) expect(validatePhone('BR', '11', n), n).to.deep.equal(bad);
    });

    it('refuses letters in the number', () => {
      expect(validatePhone('BR', '11', '98765-432a')).to.deep.equal({ ok: false, field: 'phone', key: 'contacts.validation.phoneBr' });
    });
  });

  describe('other countries', () => {
    it('accepts 4 to 15 digits, area code optional', () => {
      expect(validatePhone('PT', undefined, '1234')).to.deep.equal({ ok: true, areaCode: null, number: '1234' });
      expect(validatePhone('PT', '', '912 345 678')).to.deep.equal({ ok: true, areaCode: null, number: '912345678' });
      expect(validatePhone('US', '(212)', '555-0100')).to.deep.equal({ ok: true, areaCode: '212', number: '5550100' });
      expect(validatePhone('AR', '11', '123456789012345')).to.deep.equal({ ok: true, areaCode: '11', number: '123456789012345' });
    });

    it('refuses fewer than 4 or more than 15 digits and letters', () => {
      const bad = { ok: false, field: 'phone', key: 'contacts.validation.phoneOther' };
      for (const n of ['123', '', '1234567890123456', '12a45']) expect(validatePhone('PT', undefined, n), n).to.deep.equal(bad);
    });

    it('does not apply Brazilian DDD rules elsewhere but refuses a garbage area code', () => {
      expect(validatePhone('PT', '20', '12345678')).to.deep.equal({ ok: true, areaCode: '20', number: '12345678' });
      const bad = { ok: false, field: 'areaCode', key: 'contacts.validation.areaCodeOther' };
      expect(validatePhone('PT', 'ab', '12345678')).to.deep.equal(bad);
      expect(validatePhone('PT', '123456', '12345678')).to.deep.equal(bad);
    });
  });

  describe('formatPhone', () => {
    it('formats Brazilian mobiles and fixed lines', () => {
      expect(formatPhone('BR', '11', '987654321')).to.equal('(11) 98765-4321');
      expect(formatPhone('BR', '11', '34567890')).to.equal('(11) 3456-7890');
      expect(formatPhone('BR', '79', '32123456')).to.equal('(79) 3212-3456');
    });

    it('still masks a stored Brazilian number the metadata does not know', () => {
      expect(formatPhone('BR', '11', '87654321')).to.equal('(11) 8765-4321');
    });

    it('prefixes the calling code elsewhere', () => {
      expect(formatPhone('PT', null, '912345678')).to.equal('+351 912345678');
      expect(formatPhone('US', '212', '5550100')).to.equal('+1 212 5550100');
      expect(formatPhone('AR', undefined, '1123456789')).to.equal('+54 1123456789');
    });
  });
});

describe('identity: countries', () => {
  function assertSortedAfterBrasil(locale: string) {
    const list = countries(locale);
    const collator = new Intl.Collator(locale);
    for (let i = 2; i < list.length; i++) {
      expect(collator.compare(list[i - 1]!.name, list[i]!.name), `${list[i - 1]!.name} / ${list[i]!.name}`).to.be.at.most(0);
    }
  }

  it('puts Brasil first, named in pt-BR, the rest sorted by localized name', () => {
    const list = countries('pt-BR');
    expect(list[0]).to.deep.equal({ code: 'BR', name: 'Brasil' });
    expect(list.filter((c) => c.code === 'BR')).to.have.length(1);
    expect(list.find((c) => c.code === 'DE')?.name).to.equal('Alemanha');
    expect(list.find((c) => c.code === 'US')?.name).to.equal('Estados Unidos');
    assertSortedAfterBrasil('pt-BR');
  });

  it('sorts accented names with the locale collation', () => {
    const names = countries('pt-BR').map((c) => c.name);
    // "África do Sul" sorts with the A's, not after "Zimbábue".
    expect(names.indexOf('África do Sul')).to.be.below(names.indexOf('Alemanha'));
    expect(names.indexOf('Áustria')).to.be.below(names.indexOf('Bahamas'));
  });

  it('names countries in es and en', () => {
    expect(countries('es')[0]).to.deep.equal({ code: 'BR', name: 'Brasil' });
    expect(countries('es').find((c) => c.code === 'DE')?.name).to.equal('Alemania');
    expect(countries('en')[0]).to.deep.equal({ code: 'BR', name: 'Brazil' });
    expect(countries('en').find((c) => c.code === 'DE')?.name).to.equal('Germany');
    assertSortedAfterBrasil('es');
    assertSortedAfterBrasil('en');
  });

  it('lists every phone-metadata country once, and each is known', () => {
    const list = countries('en');
    expect(list.length).to.be.greaterThan(200);
    expect(new Set(list.map((c) => c.code)).size).to.equal(list.length);
    for (const c of list) expect(isKnownCountry(c.code), c.code).to.equal(true);
    expect(isKnownCountry('ZZ')).to.equal(false);
  });

  it('returns a fresh array each call (callers may not corrupt the cache)', () => {
    const a = countries('pt-BR');
    a.reverse();
    a[0]!.name = 'x';
    expect(countries('pt-BR')[0]).to.deep.equal({ code: 'BR', name: 'Brasil' });
  });
});

describe('identity: other documents', () => {
  it('has passport, national id and other', () => {
    expect(documentTypes).to.deep.equal(['passport', 'national_id', 'other']);
  });

  it('normalizes: trimmed, upper-case, without spaces', () => {
    expect(normalizeDocumentNumber('  ab 123 456 ')).to.equal('AB123456');
    expect(normalizeDocumentNumber('x1234567-8')).to.equal('X1234567-8');
    expect(normalizeDocumentNumber('12.345.678/0001')).to.equal('12.345.678/0001');
  });

  it('accepts 3 to 30 characters of A-Z, 0-9, ".", "-", "/"', () => {
    expect(isValidDocumentNumber('AB1')).to.equal(true);
    expect(isValidDocumentNumber('A'.repeat(30))).to.equal(true);
    expect(isValidDocumentNumber('AB')).to.equal(false);
    expect(isValidDocumentNumber('A'.repeat(31))).to.equal(false);
    expect(isValidDocumentNumber('')).to.equal(false);
  });

  it('refuses other characters', () => {
    for (const s of ['AB_123', 'AB#123', 'ÁB123', 'AB,123', 'AB+123']) {
      expect(isValidDocumentNumber(s), s).to.equal(false);
      expect(normalizeDocumentNumber(s), s).to.equal(null);
    }
  });
});
