// Swift objects over real HTTP: writes, reads, metadata, names kept exactly, streaming.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { enc, md5hex, mkContainer, put, rawSocket, startSwift, statusOf, type Swift } from './swift-helpers.js';

describe('swift: objects', () => {
  let s: Swift;
  let c: string;
  before(async () => {
    s = await startSwift();
    c = await mkContainer(s, 'obj');
  });
  after(() => s.close());
  const path = (name: string) => `/${c}/${enc(name)}`;

  it('PUT 201 with md5 Etag; GET, HEAD and DELETE as Swift answers them', async () => {
    const data = randomBytes(3000);
    const p = await put(s, c, 'blob.bin', data);
    assert.equal(p.headers.etag, md5hex(data));
    assert.ok(p.headers['last-modified']);
    const g = await s.req('GET', path('blob.bin'));
    assert.equal(g.status, 200);
    assert.ok(g.buf.equals(data));
    assert.equal(g.headers['content-length'], '3000');
    assert.equal(g.headers.etag, md5hex(data));
    assert.equal(g.headers['accept-ranges'], 'bytes');
    assert.match(g.headers['x-timestamp']!, /^\d{10}\.\d{5}$/);
    const h = await s.req('HEAD', path('blob.bin'));
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], '3000');
    assert.equal(h.buf.length, 0);
    assert.equal((await s.req('DELETE', path('blob.bin'))).status, 204);
    assert.equal((await s.req('GET', path('blob.bin'))).status, 404);
    assert.equal((await s.req('HEAD', path('blob.bin'))).status, 404);
    assert.equal((await s.req('DELETE', path('blob.bin'))).status, 404);
    assert.equal((await s.req('PUT', `/no-such-container-${Date.now()}/x`, { body: 'x' })).status, 404);
  });

  it('checks a client Etag: 422 on mismatch and nothing stored; quoted Etags accepted', async () => {
    const bad = await s.req('PUT', path('etag'), { body: 'abc', headers: { etag: md5hex('abd') } });
    assert.equal(bad.status, 422);
    assert.equal((await s.req('HEAD', path('etag'))).status, 404);
    await put(s, c, 'etag', 'abc', { etag: `"${md5hex('abc')}"` });
  });

  it('keeps Content-Type (JSON bodies stay bytes), or guesses it from the name', async () => {
    const notJson = '{"broken": ';
    await put(s, c, 'doc', notJson, { 'content-type': 'application/json' });
    const g = await s.req('GET', path('doc'));
    assert.equal(g.text, notJson);
    assert.equal(g.headers['content-type'], 'application/json');
    await put(s, c, 'odd', 'x', { 'content-type': 'not a media type; x' });
    assert.equal((await s.req('HEAD', path('odd'))).headers['content-type'], 'not a media type; x');
    await put(s, c, 'notes.txt', 'x');
    assert.equal((await s.req('HEAD', path('notes.txt'))).headers['content-type'], 'text/plain');
    await put(s, c, 'noext', 'x');
    assert.equal((await s.req('HEAD', path('noext'))).headers['content-type'], 'application/octet-stream');
    await put(s, c, 'page.html', 'x', { 'content-type': 'text/plain', 'x-detect-content-type': 'true' });
    assert.equal((await s.req('HEAD', path('page.html'))).headers['content-type'], 'text/html');
  });

  it('keeps Content-Disposition and Content-Encoding', async () => {
    await put(s, c, 'z', 'zz', { 'content-disposition': 'attachment; filename="z.gz"', 'content-encoding': 'gzip' });
    const h = await s.req('HEAD', path('z'));
    assert.equal(h.headers['content-disposition'], 'attachment; filename="z.gz"');
    assert.equal(h.headers['content-encoding'], 'gzip');
  });

  it('object metadata: set on PUT, replaced by POST (202), empty values kept', async () => {
    await put(s, c, 'm', 'x', { 'X-Object-Meta-One': '1', 'X-Object-Meta-Two': '2' });
    let h = await s.req('HEAD', path('m'));
    assert.equal(h.headers['x-object-meta-one'], '1');
    const p = await s.req('POST', path('m'), { headers: { 'X-Object-Meta-Three': '3', 'X-Object-Meta-Empty': '', 'Content-Type': 'text/x-new' } });
    assert.equal(p.status, 202);
    h = await s.req('HEAD', path('m'));
    assert.equal(h.headers['x-object-meta-one'], undefined);
    assert.equal(h.headers['x-object-meta-three'], '3');
    assert.equal(h.headers['x-object-meta-empty'], '');
    assert.equal(h.headers['content-type'], 'text/x-new');
    assert.equal(h.headers.etag, md5hex('x'));
    assert.equal((await s.req('POST', path('missing'), { headers: { 'X-Object-Meta-A': '1' } })).status, 404);
    const tooMany: Record<string, string> = {};
    for (let i = 0; i < 91; i++) tooMany[`X-Object-Meta-K${i}`] = 'v';
    assert.equal((await s.req('PUT', path('many'), { body: 'x', headers: tooMany })).status, 400);
    assert.equal((await s.req('PUT', path('long'), { body: 'x', headers: { 'X-Object-Meta-L': 'v'.repeat(257) } })).status, 400);
  });

  it('keeps object names exactly: slashes, double slashes, leading slash, dots, UTF-8', async () => {
    const names = ['a/b', '//x//y', '/lead', 'trail/', 'ü/☃ x', '..', 'd/./e/../f', 'q?mark#hash', 'n'.repeat(1024)];
    for (const n of names) {
      await put(s, c, n, `body of ${n}`);
      const g = await s.req('GET', path(n));
      assert.equal(g.status, 200, n);
      assert.equal(g.text, `body of ${n}`);
    }
    const listed = JSON.parse((await s.req('GET', `/${c}?format=json`)).text).map((o: any) => o.name);
    for (const n of names) assert.ok(listed.includes(n), `${n} listed`);
    assert.equal((await s.req('PUT', path('n'.repeat(1025)), { body: 'x' })).status, 400);
    assert.equal((await s.req('PUT', path('é'.repeat(513)), { body: 'x' })).status, 400);
  });

  it('streams chunked uploads and large objects with identical bytes', async () => {
    const parts = Array.from({ length: 40 }, (_, i) => randomBytes(256 * 1024 + i));
    const all = Buffer.concat(parts);
    async function* gen() {
      for (const p of parts) yield p;
    }
    const r = await s.req('PUT', path('chunked'), { body: gen(), headers: { 'transfer-encoding': 'chunked' } });
    assert.equal(r.status, 201);
    assert.equal(r.headers.etag, md5hex(all));
    const g = await s.req('GET', path('chunked'));
    assert.ok(g.buf.equals(all));
  });

  it('handles Expect: 100-continue', async () => {
    const data = randomBytes(50_000);
    const host = new URL(s.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: host.hostname,
        port: host.port,
        method: 'PUT',
        path: `${s.accountPath}${path('continued')}`,
        headers: { 'x-auth-token': s.token, 'content-length': data.length, expect: '100-continue' },
      });
      let continued = false;
      req.on('continue', () => {
        continued = true;
        req.end(data);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(continued ? (res.statusCode ?? 0) : -1);
      });
      req.on('error', reject);
    });
    assert.equal(status, 201);
    assert.ok((await s.req('GET', path('continued'))).buf.equals(data));
  });

  it('411 without a length; a body cut short leaves no object', async () => {
    const head = `PUT ${s.accountPath}${path('nolen')} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${s.token}\r\nConnection: close\r\n\r\n`;
    assert.equal(statusOf(await rawSocket(s, head)), 411);
    const cut = `PUT ${s.accountPath}${path('cut')} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${s.token}\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`;
    await rawSocket(s, cut, { endAfterWrite: true, waitMs: 300 });
    assert.equal((await s.req('HEAD', path('cut'))).status, 404);
  });
});
