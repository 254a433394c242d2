/**
 * docs/audit.md's standalone script verifies an export made through the route, and names the
 * event when a line of the file is altered, removed or moved.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { AuditService } from '../../server/audit/audit.service';
import { sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { newAdmin, type Admin } from './helpers/contacts';

const SCRIPT = path.resolve(import.meta.dirname, '../../docs/verify-audit-export.mjs');
const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-export-'));

/** Runs the script as an auditor would: plain node, no portal code loaded. */
function verify(lines: string[]): Promise<{ code: number; out: string }> {
  const file = path.join(dir, `trail-${Math.random().toString(16).slice(2)}.jsonl`);
  writeFileSync(file, lines.join('\n') + '\n');
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, file], (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }));
  });
}

async function exported(agent: Agent, s: Admin, query = ''): Promise<string[]> {
  const res = await agent.get(`/accounts/${s.accountId}/audit/export.jsonl${query}`).buffer(true).parse((stream, done) => {
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
    stream.on('end', () => done(null, text));
  });
  expect(res.status).to.equal(200);
  return String(res.body).trim().split('\n');
}

describe('docs/audit.md: verifying an export offline', () => {
  let portal: TestPortal;
  let s: Admin;
  let lines: string[];
  const id = (line: string) => JSON.parse(line).id as string;

  before(async () => {
    portal = await sharedPortal();
    s = await newAdmin(portal, []);
    const audit = new AuditService();
    for (let n = 0; n < 5; n++) {
      await portal.db.transaction((trx) => audit.record(trx, { userId: s.admin.userId, contactId: s.admin.contactId, name: s.admin.name }, {
        accountId: s.accountId, action: n % 2 ? 'contact.updated' : 'contact.deactivated', target: { type: 'contact', id: n },
        details: { before: { name: `Pessoa ${n}`, document_number: '12398224700' }, after: { name: `Pessoa ${n} Nova`, email: `p${n}@offline.test` } },
      }));
    }
    lines = await exported(s.agent, s);
  });

  it('the script in the documentation is the file the test runs', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/audit.md'), 'utf8');
    const block = /```js\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).to.equal(readFileSync(SCRIPT, 'utf8'));
  });

  it('an export as downloaded verifies: exit code 0', async () => {
    expect(lines).to.have.length(6);
    const { code, out } = await verify(lines);
    expect(out).to.contain(`OK: 5 events of account ${s.accountId}`);
    expect(code).to.equal(0);
  });

  it('one altered line: exit code 1, naming the event whose content changed', async () => {
    const altered = [...lines];
    altered[3] = JSON.stringify({ ...JSON.parse(altered[3]!), action: 'contact.created' });
    const { code, out } = await verify(altered);
    expect(code).to.equal(1);
    expect(out).to.contain(`BROKEN event ${id(lines[3]!)}: content changed`);
  });

  it('a personal value altered in the file no longer matches its digest', async () => {
    const altered = lines.map((l, i) => (i === 2 ? l.replace('Pessoa 1 Nova', 'Pessoa Inventada') : l));
    const { code, out } = await verify(altered);
    expect(code).to.equal(1);
    expect(out).to.contain(`BROKEN event ${id(lines[2]!)}: personal values changed`);
  });

  it('a line removed or two lines swapped: the event after the gap is named; the last line removed shows at the end', async () => {
    const removed = await verify(lines.filter((_, i) => i !== 2));
    expect(removed.code).to.equal(1);
    expect(removed.out).to.contain(`BROKEN event ${id(lines[3]!)}: the previous event is missing or out of order`);

    expect(removed.out).to.contain('(place 2 is not in the file)');

    const swapped = [lines[0]!, lines[1]!, lines[3]!, lines[2]!, lines[4]!, lines[5]!];
    expect((await verify(swapped)).out).to.contain(`BROKEN event ${id(lines[3]!)}: the previous event is missing or out of order`);

    const cut = await verify(lines.slice(0, -1));
    expect(cut.code).to.equal(1);
    expect(cut.out).to.contain('does not end on the chain head');
  });

  it('each event carries its place in the chain: a place changed in the file is named, and lines swapped in a filtered export too', async () => {
    expect(lines.slice(1).map((l) => JSON.parse(l).seq)).to.deep.equal(['1', '2', '3', '4', '5']);
    const moved = lines.map((l, i) => (i === 4 ? JSON.stringify({ ...JSON.parse(l), seq: '9' }) : l));
    const renumbered = await verify(moved);
    expect(renumbered.code).to.equal(1);
    expect(renumbered.out).to.contain(`BROKEN event ${id(lines[4]!)}: at place 9 of the chain, where 4 was expected`);

    const filtered = await exported(s.agent, s, '?action=contact.updated');
    const swapped = await verify([filtered[0]!, filtered[2]!, filtered[1]!]);
    expect(swapped.code).to.equal(1);
    expect(swapped.out).to.contain(`BROKEN event ${id(filtered[1]!)}: out of order (at place 2 of the chain, after place 4)`);
  });

  it('a filtered export verifies each event it holds, and says how many gaps it cannot check', async () => {
    const filtered = await exported(s.agent, s, '?action=contact.updated');
    expect(filtered).to.have.length(3);
    const { code, out } = await verify(filtered);
    expect(out).to.contain('OK: 2 events').and.to.contain('filtered: 2 gaps not checkable');
    expect(code).to.equal(0);
  });

  it('an export without personal values verifies too', async () => {
    const { code, out } = await verify(await exported(s.agent, s, '?personal=omit'));
    expect(out).to.contain('OK:');
    expect(code).to.equal(0);
  });
});
