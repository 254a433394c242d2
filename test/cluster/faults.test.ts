import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { addMember, createAccount } from '../support/fixtures';
import { decode, expectCountersExact, validContact } from '../integration/helpers/contacts';
import { get, logIn, postForm, type Session } from './client';
import { clusterRun, type ClusterRun } from './fixture';

/**
 * Faults an operator meets: a node lost under load (it rejoins), and the whole database away for
 * a while. Runs after contention.test.ts (mocharc sorts the files) and leaves the cluster whole.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TABLES = ['accounts', 'contacts', 'users', 'audit_events', 'invitations'];

describe('the portal on a three-node Galera cluster: faults', function () {
  this.timeout(300_000);
  let run: ClusterRun;

  before(() => {
    run = clusterRun();
  });

  // A scenario that failed half-way leaves the next one a whole cluster all the same.
  afterEach(async function () {
    this.timeout(300_000);
    const down = run.cluster.nodes.filter((n) => !n.process);
    if (down.length === run.cluster.nodes.length) await run.cluster.bootstrap(down.shift()!);
    for (const node of down) await run.cluster.join(node);
  });

  const exited = () => run.portals.filter((p) => p.process.child.exitCode !== null || p.process.child.signalCode !== null).map((p) => p.name);

  /** Waits until the portal's /healthz answers 200 (bounded). */
  const healthy = async (baseUrl: string, ms = 90_000) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(500)) {
      if ((await get(baseUrl, '/healthz').catch(() => null))?.status === 200) return;
    }
    expect.fail(`${baseUrl}/healthz not 200 within ${ms} ms`);
  };

  const wholeCluster = async () => {
    for (const node of run.cluster.nodes) {
      expect(await run.cluster.status(node, 'wsrep_cluster_size'), `node${node.index}`).to.equal('3');
      expect(await run.cluster.status(node, 'wsrep_local_state_comment'), `node${node.index}`).to.equal('Synced');
    }
  };

  it('a node SIGKILLed under load: requests keep being answered, every acknowledged write is kept, the node rejoins with the same data', async () => {
    const { accountId, admin } = await createAccount(run.db(0), { seatLimit: 10_000 });
    const others = await Promise.all([0, 1, 2].map(() => addMember(run.db(0), accountId, { profile: 'administrator' })));
    const haproxy = run.portals.find((p) => p.via === 'haproxy')!.baseUrl;
    const clients: Session[] = await Promise.all([admin, ...others].map((u) => logIn(haproxy, u.email)));
    const victim = run.cluster.nodes[1]!;

    // Each client adds new people and renames one active colleague of its own, one request after another.
    const colleagues = await Promise.all(clients.map(() => addMember(run.db(0), accountId, { name: 'Colega Original' })));
    const acknowledged: { added: string[]; renamed: Map<number, string[]> } = { added: [], renamed: new Map() };
    const statuses: Record<string, number> = {};
    let afterKill = 0;
    let killed = false;
    const count = (key: string) => (statuses[key] = (statuses[key] ?? 0) + 1);
    const started = Date.now();
    const load = clients.map(async (s, c) => {
      const colleague = colleagues[c]!.contactId;
      // The names sent since the last acknowledged rename: one of them may have committed unanswered.
      const sent: string[] = ['Colega Original'];
      acknowledged.renamed.set(colleague, sent);
      for (let i = 0; Date.now() - started < 15_000; i++) {
        const form = validContact({ name: `Carga ${c}-${i}` });
        const add = await postForm(haproxy, s, `/accounts/${accountId}/contacts`, form).catch(() => null);
        const added = add?.status === 303 && /[?&]saved=\d+/.test(add.headers.get('location') ?? '');
        count(added ? 'added' : String(add?.status ?? 'no answer'));
        if (added) {
          acknowledged.added.push(form.name!);
          if (killed) afterKill++;
        }
        const name = `Colega ${c}-${i}`;
        const rename = validContact({ name, email: colleagues[c]!.email });
        const edit = await postForm(haproxy, s, `/accounts/${accountId}/contacts/${colleague}/edit`, rename).catch(() => null);
        const renamed = edit?.status === 303 && (edit.headers.get('location') ?? '').endsWith(`/contacts/${colleague}/edit?saved=1`);
        count(renamed ? 'renamed' : String(edit?.status ?? 'no answer'));
        if (renamed) sent.length = 0;
        sent.push(name);
      }
    });
    await sleep(4_000);
    await run.cluster.kill(victim, 'SIGKILL');
    killed = true;
    await Promise.all(load);
    const answered = Object.entries(statuses).filter(([k]) => k !== 'no answer').reduce((n, [, v]) => n + v, 0);
    const failed = answered - (statuses.added ?? 0) - (statuses.renamed ?? 0);
    console.log(`      ${answered} requests in 15 s: ${JSON.stringify(statuses)}; ${afterKill} adds acknowledged after the kill`);

    expect(statuses['no answer'], 'requests with no answer').to.equal(undefined);
    // Every refusal while HAProxy notices is the "unavailable" page, never a 500.
    expect(Object.keys(statuses).filter((k) => !['added', 'renamed', '503'].includes(k)), JSON.stringify(statuses)).to.deep.equal([]);
    expect(failed, 'failed requests').to.be.below(answered / 4);
    expect(afterKill).to.be.above(0);
    expect(exited()).to.deep.equal([]);

    await run.synced(0, async (db) => {
      const names = new Set((await db('contacts').where({ account_id: accountId }).select('name')).map((r: { name: string }) => r.name));
      expect(acknowledged.added.filter((n) => !names.has(n)), 'acknowledged adds missing').to.deep.equal([]);
      // The name is the last acknowledged rename, or one sent after it whose answer was lost.
      for (const [id, sent] of acknowledged.renamed) expect(sent).to.include((await db('contacts').where({ id }).first('name')).name);
      await expectCountersExact(db, accountId);
    });

    const log = path.join(victim.dir, 'error.log');
    const from = statSync(log).size;
    const t0 = Date.now();
    await run.cluster.join(victim);
    const transfer = readFileSync(log, 'utf8').slice(from);
    console.log(`      node1 rejoined (${/IST received/.test(transfer) ? 'IST' : /wsrep_sst_rsync|SST (received|complete)/i.test(transfer) ? 'SST' : 'state transfer'}) in ${Math.round((Date.now() - t0) / 1000)} s`);
    await wholeCluster();
    const checksums = await Promise.all([0, 1, 2].map((node) => run.synced(node, async (db) => (await db.raw('SELECT 1')) && JSON.stringify(await db.raw(`CHECKSUM TABLE ${TABLES.join(', ')}`).then((r: unknown[][]) => (r[0] as { Checksum: unknown }[]).map((x) => String(x.Checksum)))))));
    expect(checksums[1]).to.equal(checksums[0]);
    expect(checksums[2]).to.equal(checksums[0]);
    // The process pointed at the node that died answers again by itself.
    const direct = run.portals.find((p) => p.via === 1)!.baseUrl;
    await healthy(direct);
    expect((await get(direct, `/accounts/${accountId}/contacts`, clients[0])).status).to.equal(200);
  });

  it('the whole database away for ~10 s: pages answer 503 in words, /healthz 503, no process exits, and all answer normally once it is back', async () => {
    for (const p of run.portals) await healthy(p.baseUrl);
    const { accountId, admin } = await createAccount(run.db(0), { seatLimit: 1000 });
    const sessions = await Promise.all(run.portals.map((p) => logIn(p.baseUrl, admin.email)));
    const page = `/accounts/${accountId}/contacts`;

    // A clean shutdown of every node, node 0 last: it is the one safe to bootstrap from.
    for (const node of [...run.cluster.nodes].reverse()) await run.cluster.kill(node, 'SIGTERM');
    const awayAt = Date.now();
    for (const [i, p] of run.portals.entries()) {
      const res = await get(p.baseUrl, page, sessions[i]);
      expect(res.status, p.name).to.equal(503);
      expect(res.headers.get('retry-after')).to.equal('10');
      expect(decode(await res.text())).to.contain('<h1>Serviço indisponível</h1>').and.contain('O portal não consegue acessar seus dados neste momento.');
      const health = await get(p.baseUrl, '/healthz');
      expect(health.status, p.name).to.equal(503);
      expect(await health.json()).to.deep.equal({ status: 'degraded', db: 'down' });
    }
    await sleep(Math.max(0, 10_000 - (Date.now() - awayAt)));
    expect(exited()).to.deep.equal([]);

    const t0 = Date.now();
    await run.cluster.bootstrap(run.cluster.nodes[0]!);
    for (const node of run.cluster.nodes.slice(1)) await run.cluster.join(node);
    console.log(`      database away ${Math.round((t0 - awayAt) / 1000)} s; cluster whole again in ${Math.round((Date.now() - t0) / 1000)} s`);
    await wholeCluster();
    for (const [i, p] of run.portals.entries()) {
      await healthy(p.baseUrl);
      expect((await get(p.baseUrl, page, sessions[i])).status, p.name).to.equal(200);
      const add = await postForm(p.baseUrl, sessions[i]!, `${page}`, validContact({ name: `Depois da volta ${p.name}` }));
      expect(add.status, p.name).to.equal(303);
    }
    expect(exited()).to.deep.equal([]);
  });
});
