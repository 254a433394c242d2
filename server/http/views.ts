import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';

/**
 * EJS runs a template inside `with (locals) { … }` by default, which makes V8 look up every name
 * dynamically: a 25-row contacts table took ~170 µs, ~56 µs without it. EJS can instead declare the
 * locals as variables (`_with: false` + `destructuredLocals`), but it must be told their names, and
 * an included template is compiled with the options of the one including it.
 *
 * So every view is compiled once, at start-up, into EJS's own cache (where renders and includes
 * look first), each with the names it uses minus the ones it declares itself (redeclaring those
 * would be a syntax error). A name a view uses that no render passes is `undefined` instead of a
 * ReferenceError; `typeof x === 'undefined'` works as before.
 *
 * `rmWhitespace` drops the templates' own indentation (a fifth of a list page's bytes); text and
 * values written into the page are untouched.
 */
const JS_WORDS = new Set(
  ('await break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'implements import in instanceof interface let new null of package private protected public return static super switch this throw ' +
    'true try typeof var void while with yield async get set arguments eval').split(' '),
);
/** Names EJS's compiled function itself defines or receives. */
const EJS_NAMES = new Set(['locals', '__locals', '__output', '__append', '__line', '__lines', '__filename', 'escapeFn', 'include', 'rethrow']);

/** The JavaScript inside `<% %>`, `<%= %>`, `<%- %>` (comments `<%# %>` left out). */
function codeOf(source: string): string {
  return [...source.matchAll(/<%(?!#)[_=-]?([\s\S]*?)[_-]?%>/g)].map((m) => m[1]).join('\n');
}

/** Identifiers not read as a property (`a.b` gives only `a`). Strings count too: a superset is harmless. */
function identifiers(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(/(?<![\w$.])[A-Za-z_$][\w$]*/g)) names.add(m[0]);
  return names;
}

/** Names the template declares itself: `const x`, `let [a, b]`, `function f`, `for (const { y } of …)`. */
function declared(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(/\b(?:const|let|var|function)\s+([A-Za-z_$][\w$]*)/g)) names.add(m[1]!);
  for (const m of code.matchAll(/\b(?:const|let|var)\s*[[{]([^\]}]*)[\]}]/g)) for (const n of identifiers(m[1]!)) names.add(n);
  return names;
}

function ejsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? ejsFiles(full) : e.name.endsWith('.ejs') ? [full] : [];
  });
}

/**
 * Compiles every `.ejs` under `dirs` into EJS's cache. Includes name their file from the core views
 * folder (`include('/partials/field')`): resolved without the filesystem check EJS makes for a
 * relative path on every include.
 */
export function precompileViews(dirs: string[], views: string): void {
  const files = dirs.flatMap(ejsFiles).map((file) => {
    const source = readFileSync(file, 'utf8');
    const code = codeOf(source);
    return { file, source, declared: declared(code), used: identifiers(code) };
  });
  for (const f of files) {
    const destructuredLocals = [...f.used].filter((n) => !JS_WORDS.has(n) && !EJS_NAMES.has(n) && !(n in globalThis) && !f.declared.has(n));
    // `cache: true` in the options the template keeps: its includes are looked up in the cache too.
    const fn = ejs.compile(f.source, { filename: f.file, root: views, views: [views], cache: true, _with: false, destructuredLocals, rmWhitespace: true, escape: escapeHtml });
    ejs.cache.set(f.file, fn);
  }
}

const HTML_SPECIAL = /[&<>'"]/;
const HTML_SPECIALS = /[&<>'"]/g;
const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

/**
 * EJS's own escape (same entities, same '' for null and undefined) without its replace() on
 * values that hold nothing to escape: most of a page (names, e-mails, ids) and ~400 calls a list.
 */
export function escapeHtml(value: unknown): string {
  const s = value === undefined || value === null ? '' : String(value);
  return HTML_SPECIAL.test(s) ? s.replace(HTML_SPECIALS, (c) => HTML_ENTITIES[c]!) : s;
}
