/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. bench/pages.ts with BENCH_CPU_PROF=dir):
 *
 *   npx tsx bench/profile-summary.ts file.cpuprofile [top]
 *
 * Share of the busy time (idle excluded) per module, inclusive (a sample counts once for every
 * module on its stack: a package under node_modules, a folder of server/ or plugins/, EJS's
 * compiled views as "views"), and the functions with the most self time.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function moduleOf(node: Node): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(server|plugins|bench|migrations)\/([^/]+)/.exec(url);
  if (own) return `${own[1]}/${own[2]!.replace(/\.ts$/, '')}`;
  if (url.startsWith('node:')) return url;
  return url.split('/').slice(-1)[0] || url;
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-summary.ts file.cpuprofile [top]');
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const inclusive = new Map<string, number>();
const self = new Map<string, number>();
let busy = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const leaf = byId.get(id)!;
  if (leaf.callFrame.functionName === '(idle)') {
    idle += dt;
    return;
  }
  busy += dt;
  const key = `${leaf.callFrame.functionName || '(anonymous)'} ${moduleOf(leaf)}:${leaf.callFrame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  const seen = new Set<string>();
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const m = moduleOf(byId.get(n)!);
    if (m === '(root)') continue;
    // EJS compiles each view to an anonymous function with no url: count its time as the views'.
    seen.add(m === '(native)' && byId.get(n)!.callFrame.functionName === 'anonymous' ? 'views (compiled EJS)' : m);
  }
  for (const m of seen) inclusive.set(m, (inclusive.get(m) ?? 0) + dt);
});

const pct = (v: number) => `${((100 * v) / busy).toFixed(1)} %`;
console.log(`${file}: busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`);
console.log('\nInclusive share of busy time by module:');
for (const [m, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(7)}  ${m}`);
console.log('\nSelf time by function:');
for (const [f, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(7)}  ${f}`);
