// Swift reads and server-side operations: ranges, conditional requests, copy, expiry.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/cloud.js';
import { enc, md5hex, mkContainer, put, startSwift, type Swift } from './swift-helpers.js';

/** Splits a multipart/byteranges body into its parts' Content-Range and bytes. */
function parts(buf: Buffer, contentType: string): { range: string; data: Buffer }[] {
  const boundary = /boundary=([^;]+)/.exec(contentType)![1]!;
  const text = buf.toString('latin1');
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((p) => {
      const [head, body] = p.replace(/^\r\n/, '').split('\r\n\r\n') as [string, string];
      return { range: /Content-Range: bytes (.*)/i.exec(head)![1]!.trim(), data: Buffer.from(body.replace(/\r\n$/, ''), 'latin1') };
    });
}

describe('swift: ranges and conditional requests', () => {
  let s: Swift;
  let c: string;
  const data = randomBytes(1000);
  before(async () => {
    s = await startSwift();
    c = await mkContainer(s, 'rd');
    await put(s, c, 'o', data, { 'content-type': 'application/x-test' });
  });
  after(() => s.close());
  const get = (headers: Record<string, string>) => s.req('GET', `/${c}/o`, { headers });

  it('single ranges give 206 with Content-Range', async () => {
    for (const [spec, start, end] of [
      ['bytes=0-9', 0, 9],
      ['bytes=990-', 990, 999],
      ['bytes=-5', 995, 999],
      ['bytes=500-5000', 500, 999],
    ] as const) {
      const r = await get({ range: spec });
      assert.equal(r.status, 206, spec);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/1000`);
      assert.ok(r.buf.equals(data.subarray(start, end + 1)), spec);
    }
  });

  it('several ranges give multipart/byteranges', async () => {
    const r = await get({ range: 'bytes=0-1,10-19,-3' });
    assert.equal(r.status, 206);
    assert.match(r.headers['content-type']!, /^multipart\/byteranges;boundary=/);
    assert.equal(Number(r.headers['content-length']), r.buf.length);
    const p = parts(r.buf, r.headers['content-type']!);
    assert.deepEqual(p.map((x) => x.range), ['0-1/1000', '10-19/1000', '997-999/1000']);
    assert.ok(p[1]!.data.equals(data.subarray(10, 20)));
  });

  it('416 for unsatisfiable ranges; malformed ones are ignored', async () => {
    const r = await get({ range: 'bytes=1000-2000' });
    assert.equal(r.status, 416);
    assert.equal(r.headers['content-range'], 'bytes */1000');
    assert.equal((await get({ range: 'bytes=5-1' })).status, 200);
    assert.equal((await get({ range: 'pages=1-2' })).status, 200);
  });

  it('If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since', async () => {
    const etag = md5hex(data);
    const h = await s.req('HEAD', `/${c}/o`);
    const lm = h.headers['last-modified']!;
    const past = new Date(Date.parse(lm) - 3600_000).toUTCString();
    assert.equal((await get({ 'if-match': etag })).status, 200);
    assert.equal((await get({ 'if-match': `"${etag}"` })).status, 200);
    assert.equal((await get({ 'if-match': 'nope' })).status, 412);
    assert.equal((await get({ 'if-match': '*' })).status, 200);
    const nm = await get({ 'if-none-match': etag });
    assert.equal(nm.status, 304);
    assert.equal(nm.buf.length, 0);
    assert.equal((await get({ 'if-none-match': 'other' })).status, 200);
    assert.equal((await get({ 'if-modified-since': lm })).status, 304);
    assert.equal((await get({ 'if-modified-since': past })).status, 200);
    assert.equal((await get({ 'if-unmodified-since': past })).status, 412);
    assert.equal((await get({ 'if-unmodified-since': lm })).status, 200);
    assert.equal((await get({ 'if-modified-since': 'garbage' })).status, 200);
    assert.equal((await s.req('HEAD', `/${c}/o`, { headers: { 'if-none-match': etag } })).status, 304);
  });

  it('If-None-Match: * on PUT refuses to overwrite (412)', async () => {
    const r = await s.req('PUT', `/${c}/o`, { body: 'new', headers: { 'if-none-match': '*' } });
    assert.equal(r.status, 412);
    assert.equal((await s.req('PUT', `/${c}/fresh`, { body: 'new', headers: { 'if-none-match': '*' } })).status, 201);
    assert.equal((await s.req('PUT', `/${c}/fresh2`, { body: 'new', headers: { 'if-none-match': 'abc' } })).status, 400);
  });
});

describe('swift: copy', () => {
  let s: Swift;
  let a: string;
  let b: string;
  before(async () => {
    s = await startSwift();
    a = await mkContainer(s, 'src');
    b = await mkContainer(s, 'dst');
    await put(s, a, 'orig', 'original bytes', { 'content-type': 'text/x-orig', 'x-object-meta-src': 'yes' });
  });
  after(() => s.close());

  it('PUT with X-Copy-From copies bytes and metadata (201, X-Copied-From)', async () => {
    const r = await s.req('PUT', `/${b}/copy`, { headers: { 'x-copy-from': `/${a}/orig`, 'x-object-meta-extra': '1' } });
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-copied-from'], `${a}/orig`);
    assert.ok(r.headers['x-copied-from-last-modified']);
    assert.equal(r.headers['x-object-meta-src'], 'yes');
    const g = await s.req('GET', `/${b}/copy`);
    assert.equal(g.text, 'original bytes');
    assert.equal(g.headers['content-type'], 'text/x-orig');
    assert.equal(g.headers['x-object-meta-src'], 'yes');
    assert.equal(g.headers['x-object-meta-extra'], '1');
    assert.equal((await s.req('PUT', `/${b}/x`, { headers: { 'x-copy-from': `${a}/missing` } })).status, 404);
    assert.equal((await s.req('PUT', `/${b}/x`, { headers: { 'x-copy-from': 'nocontainer' } })).status, 412);
    assert.equal((await s.req('PUT', `/${b}/x`, { body: 'data', headers: { 'x-copy-from': `${a}/orig` } })).status, 400);
  });

  it('COPY with Destination, X-Fresh-Metadata, and copying onto itself', async () => {
    const drop = await s.req('COPY', `/${a}/orig`, { headers: { destination: `${b}/dropped`, 'x-remove-object-meta-src': 'x' } });
    assert.equal(drop.status, 201);
    assert.equal((await s.req('HEAD', `/${b}/dropped`)).headers['x-object-meta-src'], undefined);
    const r = await s.req('COPY', `/${a}/orig`, { headers: { destination: `${b}/copied`, 'x-fresh-metadata': 'true', 'x-object-meta-new': 'n' } });
    assert.equal(r.status, 201);
    const h = await s.req('HEAD', `/${b}/copied`);
    assert.equal(h.headers['x-object-meta-src'], undefined);
    assert.equal(h.headers['x-object-meta-new'], 'n');
    const self = await s.req('PUT', `/${a}/orig`, { headers: { 'x-copy-from': `${a}/orig`, 'content-type': 'text/x-changed' } });
    assert.equal(self.status, 201);
    const g = await s.req('GET', `/${a}/orig`);
    assert.equal(g.text, 'original bytes');
    assert.equal(g.headers['content-type'], 'text/x-changed');
    assert.equal((await s.req('COPY', `/${a}/orig`)).status, 412);
    assert.equal((await s.req('COPY', `/${a}/orig`, { headers: { destination: `no-such-${Date.now()}/x` } })).status, 404);
  });

  it('copies names with slashes and UTF-8 (percent-encoded headers)', async () => {
    const name = '//dir/ü ☃';
    await put(s, a, name, 'u');
    const r = await s.req('PUT', `/${b}/${enc(name)}`, { headers: { 'x-copy-from': `${a}/${enc(name)}` } });
    assert.equal(r.status, 201);
    assert.equal((await s.req('GET', `/${b}/${enc(name)}`)).text, 'u');
  });
});

describe('swift: expiring objects', () => {
  let s: Swift;
  let c: string;
  before(async () => {
    s = await startSwift({ config: { swift: { expirerIntervalMs: 100 } } });
    c = await mkContainer(s, 'exp');
  });
  after(() => s.close());

  it('X-Delete-After: readable until then, then 404, out of listings, swept from counts', async () => {
    // X-Delete-At is whole seconds, so '3' expires 2 to 3 s from now: room for the HEAD under load.
    await put(s, c, 'soon', 'bye', { 'x-delete-after': '3' });
    await put(s, c, 'stays', 'hi');
    const h = await s.req('HEAD', `/${c}/soon`);
    assert.equal(h.status, 200);
    assert.match(h.headers['x-delete-at']!, /^\d{10}$/);
    await eventually(async () => (await s.req('GET', `/${c}/soon`)).status === 404, 8000);
    assert.deepEqual((await s.req('GET', `/${c}`)).text, 'stays\n');
    await eventually(async () => (await s.req('HEAD', `/${c}`)).headers['x-container-object-count'] === '1', 4000);
  });

  it('X-Delete-At in the past or malformed is refused; POST can set and clear it', async () => {
    const past = Math.floor(Date.now() / 1000) - 10;
    assert.equal((await s.req('PUT', `/${c}/p`, { body: 'x', headers: { 'x-delete-at': String(past) } })).status, 400);
    assert.equal((await s.req('PUT', `/${c}/p`, { body: 'x', headers: { 'x-delete-at': 'soon' } })).status, 400);
    assert.equal((await s.req('PUT', `/${c}/p`, { body: 'x', headers: { 'x-delete-after': '-1' } })).status, 400);
    await put(s, c, 'p', 'x');
    const at = Math.floor(Date.now() / 1000) + 3600;
    assert.equal((await s.req('POST', `/${c}/p`, { headers: { 'x-delete-at': String(at) } })).status, 202);
    assert.equal((await s.req('HEAD', `/${c}/p`)).headers['x-delete-at'], String(at));
    assert.equal((await s.req('POST', `/${c}/p`)).status, 202);
    assert.equal((await s.req('HEAD', `/${c}/p`)).headers['x-delete-at'], undefined);
  });

  it('a container whose objects all expired can be deleted', async () => {
    const d = await mkContainer(s, 'gone');
    await put(s, d, 'x', 'x', { 'x-delete-after': '0' });
    await eventually(async () => (await s.req('DELETE', `/${d}`)).status === 204, 3000);
  });
});
