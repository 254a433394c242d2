import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

const SERVER = path.resolve(import.meta.dirname, '../../server');
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g;

/** Every .ts file under server/, with the folder (first path segment) it belongs to. */
function sources(dir = SERVER): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The server/ folder a file lives in; files directly in server/ (composition: app, portal, services) have none. */
const folderOf = (file: string) => {
  const parts = path.relative(SERVER, file).split(path.sep);
  return parts.length > 1 ? parts[0]! : null;
};

/** folder → folders it imports, each with one file that does it (to name in a failure). */
function folderImports(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources()) {
    const from = folderOf(file);
    if (!from) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = path.resolve(path.dirname(file), m[1]!);
      if (!target.startsWith(SERVER + path.sep)) continue;
      const to = folderOf(target + '.ts');
      if (!to || to === from) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      if (!graph.get(from)!.has(to)) graph.get(from)!.set(to, path.relative(SERVER, file));
    }
  }
  return graph;
}

describe('server/ folders', () => {
  it('no two folders import each other (a feature above another never gets imported back)', () => {
    const graph = folderImports();
    const pairs: string[] = [];
    for (const [a, targets] of graph) {
      for (const [b, viaA] of targets) {
        const viaB = graph.get(b)?.get(a);
        if (viaB && a < b) pairs.push(`${a} <-> ${b} (${viaA} imports ${b}/, ${viaB} imports ${a}/)`);
      }
    }
    expect(pairs, pairs.join('\n')).to.deep.equal([]);
  });

  it('the check sees real imports (it reads the graph it claims to read)', () => {
    const graph = folderImports();
    expect(graph.get('contacts')?.has('accounts'), 'contacts imports accounts').to.equal(true);
    expect(graph.get('invitations')?.has('contacts'), 'invitations imports contacts').to.equal(true);
  });
});
