import { expect } from 'chai';
import { isMultiLineText, isSingleLineText, toSingleLine } from '../../server/plugins/contract';

/** Every C0 and C1 control, DEL and the two Unicode line terminators. */
const CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
  ...Array.from({ length: 0x21 }, (_, i) => String.fromCharCode(0x7f + i)),
  '\u2028',
  '\u2029',
];
const hex = (c: string) => `U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

describe('text rules (single-line and multi-line fields)', () => {
  it('single-line text refuses every control character, CR, LF and the Unicode line separators included', () => {
    expect(CONTROLS).to.have.length(67);
    for (const c of CONTROLS) expect(isSingleLineText(`Ana${c}http://evil.example`), hex(c)).to.equal(false);
  });

  it('single-line text accepts names as people write them', () => {
    for (const name of ['Ana', "Joana D'Ávila", 'Müller-Łukasz Ñúñez', '山田 太郎', 'محمد', 'Zoë 🚀', 'ACME S/A (filial 2) & Cia.']) {
      expect(isSingleLineText(name), name).to.equal(true);
    }
  });

  it('multi-line text accepts LF, CR LF and tabs (pasted logs), and refuses every other control', () => {
    expect(isMultiLineText('Passos:\n1. abrir\r\n2. salvar\n\n\tErro: 500')).to.equal(true);
    for (const c of CONTROLS.filter((c) => c !== '\n' && c !== '\t')) expect(isMultiLineText(`linha 1${c}linha 2`), hex(c)).to.equal(false);
    expect(isMultiLineText('linha 1\rlinha 2'), 'a lone CR').to.equal(false);
  });

  it('text stored before the rule is folded to one line for showing: each run of controls becomes one space', () => {
    expect(toSingleLine('Ana\r\n\r\nhttp://evil.example\u2028x\u0085y')).to.equal('Ana http://evil.example x y');
    expect(toSingleLine('Ana Souza')).to.equal('Ana Souza');
  });
});
