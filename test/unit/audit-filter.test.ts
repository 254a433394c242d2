import { expect } from 'chai';
import { auditFilterQuery, parseAuditFilter } from '../../server/audit/audit-filter';

describe('audit trail filter (query string)', () => {
  it('reads person, action, target, days and free text; gives the same query back', () => {
    const query = { person: '12', action: 'contact.updated', target_type: 'contact', target_id: '40', from: '2026-12-01', to: '2026-12-03', q: ' joana ' };
    const filter = parseAuditFilter(query);
    expect(filter).to.deep.include({ person: 12, action: 'contact.updated', targetType: 'contact', targetId: '40', q: 'joana' });
    expect(auditFilterQuery(filter)).to.deep.equal({ ...query, q: 'joana' });
  });

  it("days are the portal's (São Paulo, UTC−3): `to` takes in its whole day", () => {
    const filter = parseAuditFilter({ from: '2026-12-01', to: '2026-12-01' });
    expect(filter.from!.toISOString()).to.equal('2026-12-01T03:00:00.000Z');
    expect(filter.to!.toISOString()).to.equal('2026-12-02T03:00:00.000Z');
  });

  it('`target=type:id` is the same as its two parameters', () => {
    expect(parseAuditFilter({ target: 'group:5' })).to.deep.include({ targetType: 'group', targetId: '5' });
  });

  it('ignores what does not parse, as the lists do', () => {
    const filter = parseAuditFilter({ person: 'x1', action: "a' or 1=1", from: '2026-02-30', to: 'ontem', target_id: '5', q: ['a', 'b'] });
    expect(filter).to.deep.equal({ person: null, action: null, targetType: null, targetId: null, from: null, to: null, q: 'a' });
    expect(auditFilterQuery(filter)).to.deep.equal({ q: 'a' });
  });
});
