import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import ejs from 'ejs';
import { escapeHtml, precompileViews } from '../../server/http/views';

const render = (file: string, data: Record<string, unknown>) =>
  new Promise<string>((resolve, reject) => ejs.renderFile(file, { ...data, settings: { 'view cache': true } }, (err, html) => (err ? reject(err) : resolve(html))));

describe('precompiled views (no `with`)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'portal-views-'));
  mkdirSync(path.join(dir, 'partials'));
  const files = {
    // Declares `label` itself, while c.ejs reads a local of that name: both must compile.
    'a.ejs': `<% const label = t('title') %><h1><%= label %></h1><p><%= name %></p><%- include('partials/b', { item: 'x & y' }) %>`,
    'partials/b.ejs': `<li><%= item %>|<%= typeof missing === 'undefined' ? 'none' : missing %>|<%= name %></li>`,
    'd.ejs': `<p><%= notPassed %></p>`,
    'c.ejs': `<% for (const [k, v] of Object.entries(map)) { %><%= k %>=<%= v %>;<% } %><%= label %><%= String(n).padStart(3, '0') %>`,
  };
  for (const [name, source] of Object.entries(files)) writeFileSync(path.join(dir, name), source);
  precompileViews([dir], dir);

  it('renders what EJS renders with its default `with (locals)`, includes too', async () => {
    const data = { t: (k: string) => `T:${k}`, name: '<Ana>' };
    const html = await render(path.join(dir, 'a.ejs'), data);
    expect(html).to.equal('<h1>T:title</h1><p>&lt;Ana&gt;</p><li>x &amp; y|none|&lt;Ana&gt;</li>');
    const classic = ejs.render(files['a.ejs'], data, { filename: path.join(dir, 'a.ejs'), cache: false });
    expect(html).to.equal(classic);
  });

  it('keeps JavaScript globals (String, Object) and reads locals a template declares nowhere', async () => {
    expect(await render(path.join(dir, 'c.ejs'), { map: { a: 1, b: 2 }, label: 'L', n: 7 })).to.equal('a=1;b=2;L007');
  });

  it('a local no render passes is undefined, so typeof checks work as before', async () => {
    expect(await render(path.join(dir, 'partials/b.ejs'), { item: 1, name: 'N', missing: 'here' })).to.equal('<li>1|here|N</li>');
    // Compiled by EJS with `with`, this would be "notPassed is not defined": the cache was used.
    expect(await render(path.join(dir, 'd.ejs'), {})).to.equal('<p></p>');
  });

  it('escapes exactly as EJS does, with or without characters to escape', () => {
    const values = ['Maria Silva', '', 'a & b', '<script>alert("x")</script>', "D'Ávila", '&amp;', 'x>y<z', 0, 12345, -1.5, true, null, undefined, { toString: () => '<o>' }, ['a', '<b>']];
    for (const v of values) expect(escapeHtml(v), String(v)).to.equal(ejs.escapeXML(v as string));
  });
});
