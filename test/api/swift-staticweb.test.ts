// StaticWeb: index and error pages, HTML listings, for anonymous requests to public containers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkContainer, put, startSwift, type Swift } from './swift-helpers.js';

describe('swift: staticweb', () => {
  let s: Swift;
  let c: string;
  const anon = { token: null };
  before(async () => {
    s = await startSwift();
    c = await mkContainer(s, 'site', { 'X-Container-Read': '.r:*,.rlistings' });
    await put(s, c, 'index.html', '<h1>home</h1>', { 'Content-Type': 'text/html' });
    await put(s, c, 'docs/a.txt', 'A');
    await put(s, c, 'docs/sub/b.txt', 'B');
    await put(s, c, '404error.html', 'nothing here', { 'Content-Type': 'text/html' });
  });
  after(() => s.close());

  it('without web metadata, containers answer as usual', async () => {
    const r = await s.req('GET', `/${c}`, anon);
    assert.equal(r.status, 200);
    assert.match(r.text, /^404error\.html\n/);
  });

  it('serves the index page, redirecting to the trailing-slash path first', async () => {
    assert.equal((await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-Web-Index': 'index.html' } })).status, 204);
    const redirect = await s.req('GET', `/${c}`, anon);
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, `${s.accountPath}/${c}/`);
    const page = await s.req('GET', `/${c}/`, anon);
    assert.equal(page.status, 200);
    assert.equal(page.text, '<h1>home</h1>');
    assert.ok(page.headers.etag && page.headers['x-timestamp']);
    const head = await s.req('HEAD', `/${c}/`, anon);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '13');
    // A token request still gets the listing, unless it asks for web mode.
    assert.match((await s.req('GET', `/${c}`)).text, /index\.html/);
    assert.equal((await s.req('GET', `/${c}/`, { headers: { 'X-Web-Mode': 'true' } })).text, '<h1>home</h1>');
    assert.equal((await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-Web-Index': '' } })).status, 204);
  });

  it('lists the container and pseudo-directories as HTML, with a stylesheet', async () => {
    await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-Web-Listings': 'true', 'X-Container-Meta-Web-Listings-CSS': 'style.css' } });
    const top = await s.req('GET', `/${c}/`, anon);
    assert.equal(top.status, 200);
    assert.match(top.headers['content-type']!, /^text\/html/);
    assert.match(top.text, /<link rel="stylesheet" type="text\/css" href="style.css" \/>/);
    assert.match(top.text, /<a href="docs\/">docs\/<\/a>/);
    assert.match(top.text, /<a href="index.html">index.html<\/a>/);
    assert.equal((await s.req('GET', `/${c}/docs`, anon)).status, 301);
    const docs = await s.req('GET', `/${c}/docs/`, anon);
    assert.equal(docs.status, 200);
    assert.match(docs.text, /href="\.\.\/style.css"/);
    assert.match(docs.text, /<a href="\.\.\/">\.\.\/<\/a>/);
    assert.match(docs.text, /<a href="a.txt">a.txt<\/a>/);
    assert.match(docs.text, /<a href="sub\/">sub\/<\/a>/);
    assert.equal((await s.req('GET', `/${c}/docs/a.txt`, anon)).text, 'A');
  });

  it('answers a missing page with the web-error object and its status', async () => {
    await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-Web-Error': 'error.html' } });
    const r = await s.req('GET', `/${c}/nope`, anon);
    assert.equal(r.status, 404);
    assert.equal(r.text, 'nothing here');
    assert.equal((await s.req('GET', `/${c}/nope/`, anon)).status, 404);
  });

  it('needs read access: a private container stays closed', async () => {
    const p = await mkContainer(s, 'private', { 'X-Container-Meta-Web-Listings': 'true' });
    await put(s, p, 'x', 'x');
    assert.equal((await s.req('GET', `/${p}/`, anon)).status, 401);
    assert.equal((await s.req('GET', `/${p}/x`, anon)).status, 401);
    // Public objects but no .rlistings: pages are served, listings are not.
    const r = await mkContainer(s, 'noindex', { 'X-Container-Read': '.r:*', 'X-Container-Meta-Web-Listings': 'true' });
    await put(s, r, 'x', 'x');
    assert.equal((await s.req('GET', `/${r}/x`, anon)).text, 'x');
    assert.equal((await s.req('GET', `/${r}/`, anon)).status, 401);
  });
});
