// Swift accounts and containers over real HTTP: status codes, metadata, counts, listings.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { enc, mkContainer, put, startSwift, TRANS_ID, type Swift } from './swift-helpers.js';

describe('swift: accounts and containers', () => {
  let s: Swift;
  before(async () => {
    s = await startSwift();
  });
  after(() => s.close());

  it('serves /swift/info with the implemented middleware and the catalog entry', async () => {
    const r = await s.raw('GET', '/swift/info', { token: null });
    assert.equal(r.status, 200);
    const info = JSON.parse(r.text);
    for (const k of ['swift', 'slo', 'dlo', 'bulk_delete', 'tempurl']) assert.ok(info[k], k);
    assert.equal(info.swift.policies[0].name, 'Policy-0');
    const cat = await s.tc.req('GET', '/identity/v3/auth/catalog', { token: s.token });
    const sw = cat.body.catalog.find((c: any) => c.type === 'object-store');
    assert.equal(sw.name, 'swift');
    assert.ok(sw.endpoints.every((e: any) => e.url.endsWith(`/swift/v1/${s.account}`)));
    const hc = await s.raw('GET', '/swift/healthcheck', { token: null });
    assert.equal(hc.text, 'OK');
    assert.match(hc.headers['x-trans-id']!, TRANS_ID);
    assert.match((await s.raw('GET', '/swift/crossdomain.xml', { token: null })).text, /<cross-domain-policy>/);
  });

  it('answers an untouched account with 204 and zero counts, with trans ids', async () => {
    const alt = await s.as('alt_demo');
    for (const method of ['HEAD', 'GET']) {
      const r = await s.raw(method, alt.accountPath, { token: alt.token });
      assert.equal(r.status, 204);
      assert.equal(r.headers['x-account-container-count'], '0');
      assert.equal(r.headers['x-account-object-count'], '0');
      assert.equal(r.headers['x-account-bytes-used'], '0');
      assert.match(r.headers['x-timestamp']!, /^\d+\.\d{5}$/);
      assert.match(r.headers['x-trans-id']!, TRANS_ID);
      assert.equal(r.headers['x-openstack-request-id'], r.headers['x-trans-id']);
      assert.ok(r.headers['content-type']);
    }
  });

  it('sets and removes account metadata with POST (204)', async () => {
    let r = await s.req('POST', '', { headers: { 'X-Account-Meta-Color': 'blue', 'X-Account-Meta-Shape': 'round' } });
    assert.equal(r.status, 204);
    r = await s.req('HEAD', '');
    assert.equal(r.headers['x-account-meta-color'], 'blue');
    r = await s.req('POST', '', { headers: { 'X-Remove-Account-Meta-Color': 'x', 'X-Account-Meta-Shape': '' } });
    assert.equal(r.status, 204);
    r = await s.req('HEAD', '');
    assert.equal(r.headers['x-account-meta-color'], undefined);
    assert.equal(r.headers['x-account-meta-shape'], undefined);
    assert.equal((await s.req('PUT', '')).status, 405);
    assert.equal((await s.req('DELETE', '')).status, 405);
  });

  it('creates a container with 201, then 202; HEAD 204 with counts and policy', async () => {
    const name = `box-${Date.now()}`;
    assert.equal((await s.req('PUT', `/${name}`)).status, 201);
    const again = await s.req('PUT', `/${name}`, { headers: { 'X-Container-Meta-Owner': 'me' } });
    assert.equal(again.status, 202);
    const h = await s.req('HEAD', `/${name}`);
    assert.equal(h.status, 204);
    assert.equal(h.headers['x-container-object-count'], '0');
    assert.equal(h.headers['x-container-bytes-used'], '0');
    assert.equal(h.headers['x-storage-policy'], 'Policy-0');
    assert.equal(h.headers['x-container-meta-owner'], 'me');
    assert.ok(h.headers['last-modified']);
    assert.equal((await s.req('DELETE', `/${name}`)).status, 204);
    assert.equal((await s.req('HEAD', `/${name}`)).status, 404);
    assert.equal((await s.req('DELETE', `/${name}`)).status, 404);
    assert.equal((await s.req('POST', `/${name}`)).status, 404);
  });

  it('container metadata: POST 204, X-Remove, empty values dropped, underscores become hyphens', async () => {
    const c = await mkContainer(s, 'meta', { 'X-Container-Meta-Empty': '', 'X-Container-Meta-Snake_Case': 'v' });
    let h = await s.req('HEAD', `/${c}`);
    assert.equal(h.headers['x-container-meta-empty'], undefined);
    assert.equal(h.headers['x-container-meta-snake-case'], 'v');
    assert.equal((await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-A': '1', 'X-Remove-Container-Meta-Snake-Case': 'x' } })).status, 204);
    h = await s.req('HEAD', `/${c}`);
    assert.equal(h.headers['x-container-meta-a'], '1');
    assert.equal(h.headers['x-container-meta-snake-case'], undefined);
    const utf = await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-Word': Buffer.from('café ☃', 'utf8').toString('latin1') } });
    assert.equal(utf.status, 204);
    h = await s.req('HEAD', `/${c}`);
    assert.equal(Buffer.from(h.headers['x-container-meta-word']!, 'latin1').toString('utf8'), 'café ☃');
  });

  it('refuses bad container names and policies', async () => {
    assert.equal((await s.req('PUT', `/${'n'.repeat(257)}`)).status, 400);
    assert.equal((await s.req('PUT', `/${'n'.repeat(256)}`)).status, 201);
    assert.equal((await s.req('PUT', '/a%2Fb')).status, 400);
    // NOTE: the gateway's router refuses malformed percent-encoding (400) before Swift sees it.
    assert.equal((await s.req('PUT', '/bad%FFname')).status, 400);
    assert.equal((await s.req('PUT', '/nul%00name')).status, 412);
    assert.equal((await s.req('PUT', '/pol', { headers: { 'X-Storage-Policy': 'gold' } })).status, 400);
    assert.equal((await s.req('PUT', '/pol', { headers: { 'X-Storage-Policy': 'Policy-0' } })).status, 201);
    const big = { 'X-Container-Meta-Big': 'v'.repeat(257) };
    assert.equal((await s.req('PUT', '/pol', { headers: big })).status, 400);
  });

  it('counts objects and bytes in container and account headers', async () => {
    const c = await mkContainer(s, 'count');
    await put(s, c, 'a', 'hello');
    await put(s, c, 'b', 'world!');
    await put(s, c, 'a', 'hi');
    const h = await s.req('HEAD', `/${c}`);
    assert.equal(h.headers['x-container-object-count'], '2');
    assert.equal(h.headers['x-container-bytes-used'], '8');
    const a = await s.req('HEAD', '');
    assert.ok(Number(a.headers['x-account-object-count']) >= 2);
    assert.equal(a.headers['x-account-storage-policy-policy-0-object-count'], a.headers['x-account-object-count']);
    assert.equal((await s.req('DELETE', `/${c}`)).status, 409);
    assert.match((await s.req('DELETE', `/${c}`)).text, /There was a conflict when trying to complete your request\./);
    for (const o of ['a', 'b']) assert.equal((await s.req('DELETE', `/${c}/${o}`)).status, 204);
    assert.equal((await s.req('DELETE', `/${c}`)).status, 204);
  });
});

describe('swift: listings', () => {
  let s: Swift;
  let c: string;
  const names = ['a', 'b/1', 'b/2', 'b/c/3', 'd', 'é', '😀'];
  before(async () => {
    s = await startSwift();
    c = await mkContainer(s, 'list');
    for (const n of names) await put(s, c, n, n, { 'content-type': 'text/plain' });
  });
  after(() => s.close());
  const list = async (q: string, headers: Record<string, string> = {}) => s.req('GET', `/${c}?${q}`, { headers });
  const lines = (t: string) => t.split('\n').filter(Boolean);

  it('plain text by default, in UTF-8 byte order', async () => {
    const r = await list('');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type']!, /^text\/plain/);
    assert.deepEqual(lines(r.text), names);
  });

  it('json and xml, by format= or Accept; 406 for nothing acceptable', async () => {
    const j = await list('format=json');
    assert.match(j.headers['content-type']!, /^application\/json/);
    const rows = JSON.parse(j.text);
    assert.deepEqual(Object.keys(rows[0]).sort(), ['bytes', 'content_type', 'hash', 'last_modified', 'name']);
    assert.equal(rows[0].bytes, 1);
    assert.match(rows[0].last_modified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const viaAccept = await list('', { accept: 'application/json' });
    assert.deepEqual(JSON.parse(viaAccept.text), rows);
    const x = await list('format=xml');
    assert.match(x.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<container name="/);
    assert.match(x.text, /<object><name>a<\/name><hash>[0-9a-f]{32}<\/hash><bytes>1<\/bytes><content_type>text\/plain<\/content_type>/);
    assert.match((await list('', { accept: 'text/xml' })).headers['content-type']!, /xml/);
    assert.equal((await list('', { accept: 'image/png' })).status, 406);
  });

  it('prefix, delimiter (subdir entries), marker, end_marker, limit, reverse, path', async () => {
    assert.deepEqual(lines((await list('prefix=b/')).text), ['b/1', 'b/2', 'b/c/3']);
    assert.deepEqual(lines((await list('delimiter=/')).text), ['a', 'b/', 'd', 'é', '😀']);
    assert.deepEqual(lines((await list('prefix=b/&delimiter=/')).text), ['b/1', 'b/2', 'b/c/']);
    const sub = JSON.parse((await list('prefix=b/&delimiter=/&format=json')).text);
    assert.deepEqual(sub[2], { subdir: 'b/c/' });
    assert.deepEqual(lines((await list('marker=b/2')).text), ['b/c/3', 'd', 'é', '😀']);
    assert.deepEqual(lines((await list('end_marker=b/2')).text), ['a', 'b/1']);
    assert.deepEqual(lines((await list('limit=2')).text), ['a', 'b/1']);
    assert.deepEqual(lines((await list('reverse=true&limit=2')).text), ['😀', 'é']);
    assert.deepEqual(lines((await list('reverse=on&marker=b/2')).text), ['b/1', 'a']);
    assert.deepEqual(lines((await list('delimiter=/&marker=b/')).text), ['d', 'é', '😀']);
    assert.deepEqual(lines((await list('path=b')).text), ['b/1', 'b/2']);
    assert.equal((await list('prefix=zzz')).status, 204);
    assert.equal((await list('prefix=zzz&format=json')).text, '[]');
  });

  it('validates listing parameters (412)', async () => {
    assert.equal((await list('limit=10001')).status, 412);
    assert.equal((await list('limit=-1')).status, 412);
    assert.equal((await list('limit=abc')).status, 412);
    assert.equal((await list('delimiter=ab')).status, 412);
    assert.equal((await list('limit=10000')).status, 200);
  });

  it('lists containers in the account with counts', async () => {
    const r = await s.req('GET', `?format=json&prefix=${enc(c)}`);
    assert.equal(r.status, 200);
    const [row] = JSON.parse(r.text);
    assert.equal(row.name, c);
    assert.equal(row.count, names.length);
    assert.equal(row.bytes, names.reduce((n, x) => n + Buffer.byteLength(x), 0));
    const x = await s.req('GET', `?format=xml&prefix=${enc(c)}`);
    assert.match(x.text, /<account name="AUTH_[0-9a-f]+"><container><name>/);
    const plain = await s.req('GET', `?marker=${enc(c)}&end_marker=${enc(c)}z`);
    assert.equal(plain.status, 204);
  });
});
