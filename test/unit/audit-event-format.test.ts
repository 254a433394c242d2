import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  canonicalJson,
  erasedPersonal,
  eventHash,
  hashedFields,
  maskCpf,
  personalIntact,
  readableActorName,
  readableDetails,
  splitPersonal,
  type EventRow,
} from '../../server/audit/event-format';

const base = (over: Partial<EventRow> = {}): EventRow => ({
  account_id: 7, actor_user_id: 3, actor_contact_id: 12, actor_name: null, action: 'contact.updated', target_type: 'contact', target_id: '40',
  details: null, personal: null, personal_salt: null, personal_digest: null, ip: '127.0.0.1', user_agent: 'UA', request_id: 'r1',
  created_at: new Date('2026-12-04T10:11:12.345Z'), prev_hash: null, ...over,
});

describe('audit event format (v2)', () => {
  it('masks a CPF as ***.982.247-**, typed with or without mask; leaves other values alone', () => {
    expect(maskCpf('12398224700')).to.equal('***.982.247-**');
    expect(maskCpf('123.982.247-00')).to.equal('***.982.247-**');
    expect(maskCpf('AB123456')).to.equal('AB123456');
  });

  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, undefined], c: 'x' }, z: undefined })).to.equal('{"a":{"c":"x","d":[1,null]},"b":1}');
  });

  it('keeps names, e-mails, phones and the masked CPF apart from the details, and puts them back to read', () => {
    const details = { before: { name: 'Ana Velha', document_number: '12398224700', status: 'active' }, after: { name: 'Ana Nova', phone: '987654321' }, note: 'mail ana@example.test' };
    const split = splitPersonal(details, 'Admin Fulano', 'salt');
    for (const personal of ['Ana Velha', 'Ana Nova', '987654321', 'Admin Fulano', '982.247', '12398224700']) expect(split.details).not.to.contain(personal);
    expect(split.personal).not.to.contain('12398224700');
    expect(split.details).to.contain('"status":"active"');
    const row = base({ ...split });
    expect(readableDetails(row)).to.deep.equal({
      before: { name: 'Ana Velha', document_number: '***.982.247-**', status: 'active' }, after: { name: 'Ana Nova', phone: '987654321' }, note: 'mail ana@example.test',
    });
    expect(readableActorName(row)).to.equal('Admin Fulano');
    expect(personalIntact(row)).to.equal(true);
  });

  it('a formatted CPF in any field is masked and kept apart; an e-mail under any key is kept apart', () => {
    const split = splitPersonal({ comment: 'CPF 123.982.247-00 informado', contact: 'ana@example.test' }, null, 's');
    expect(split.details).not.to.match(/982|ana@/);
    expect(readableDetails(base(split))).to.deep.equal({ comment: 'CPF ***.982.247-** informado', contact: 'ana@example.test' });
  });

  it('the hash covers the digest, not the values: the same digest gives the same hash; a changed value no longer matches its digest', () => {
    const split = splitPersonal({ after: { email: 'ana@example.test' } }, 'Admin', 'salt');
    const row = base(split);
    const hash = eventHash(row);
    expect(eventHash({ ...row, personal: split.personal!.replace('ana@', 'bia@') })).to.equal(hash);
    expect(personalIntact({ ...row, personal: split.personal!.replace('ana@', 'bia@') })).to.equal(false);
    expect(eventHash({ ...row, personal_digest: '0'.repeat(64) })).not.to.equal(hash);
  });

  it('the hash is SHA-256 of the canonical JSON of the hashed fields (what docs/audit.md states)', () => {
    const row = base({ ...splitPersonal({ after: { name: 'Ana', n: 1 } }, 'Admin', 'salt'), prev_hash: 'f'.repeat(64) });
    expect(eventHash(row)).to.equal(createHash('sha256').update(canonicalJson(hashedFields(row))).digest('hex'));
  });

  it('the hash is the same whatever type the database gives back for ids and dates', () => {
    const row = base({ details: '{"n":1}' });
    const fromMysql = { ...row, account_id: '7', actor_user_id: '3', created_at: new Date('2026-12-04T10:11:12.345Z') };
    const fromSqlite = { ...row, created_at: Date.parse('2026-12-04T10:11:12.345Z') };
    const asText = { ...row, created_at: '2026-12-04 10:11:12.345' };
    expect(new Set([row, fromMysql, fromSqlite, asText].map(eventHash)).size).to.equal(1);
    for (const changed of [{ action: 'x' }, { details: '{"n":2}' }, { prev_hash: 'a' }, { created_at: new Date('2026-12-04T10:11:12.346Z') }, { target_id: '41' }]) {
      expect(eventHash({ ...row, ...changed })).not.to.equal(eventHash(row));
    }
  });

  it('an erasure replaces the values with the pseudonym, drops the salt and keeps the hash', () => {
    const split = splitPersonal({ before: { name: 'Ana', email: 'ana@example.test' } }, 'Admin', 'salt');
    const row = base(split);
    const erased = { ...row, ...erasedPersonal(row, (ptr) => ptr.startsWith('/before/'), 'Pessoa removida #7f3a') };
    expect(erased.personal).not.to.match(/Ana|ana@/);
    expect(readableDetails(erased)).to.deep.equal({ before: { name: 'Pessoa removida #7f3a', email: 'Pessoa removida #7f3a' } });
    expect(readableActorName(erased)).to.equal('Admin');
    expect(eventHash(erased)).to.equal(eventHash(row));
    expect(personalIntact(erased)).to.equal(true);
  });
});
