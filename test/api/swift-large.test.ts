// Swift large objects (DLO, SLO) and the bulk middleware (bulk delete, archive extraction).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { md5hex, mkContainer, put, startSwift, type Swift } from './swift-helpers.js';

/** A tar archive of `files`, made by GNU tar in the given format. */
async function makeTar(files: Record<string, string>, format: 'gnu' | 'pax'): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'swift-tar-'));
  try {
    for (const [name, body] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'src', name)), { recursive: true });
      writeFileSync(join(dir, 'src', name), body);
    }
    await promisify(execFile)('tar', [`--format=${format}`, '-cf', join(dir, 'a.tar'), '-C', join(dir, 'src'), ...Object.keys(files)]);
    return readFileSync(join(dir, 'a.tar'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const etagOfEtags = (etags: string[]) => createHash('md5').update(etags.join('')).digest('hex');

describe('swift: dynamic large objects', () => {
  let s: Swift;
  let c: string;
  const segs = [randomBytes(1000), randomBytes(2000), randomBytes(10)];
  before(async () => {
    s = await startSwift();
    c = await mkContainer(s, 'dlo');
    for (const [i, b] of segs.entries()) await put(s, c, `segs/big/${String(i).padStart(3, '0')}`, b);
    await put(s, c, 'big', '', { 'x-object-manifest': `${c}/segs/big/` });
  });
  after(() => s.close());

  it('GET concatenates the segments by prefix; HEAD shows the manifest and a quoted etag', async () => {
    const all = Buffer.concat(segs);
    const g = await s.req('GET', `/${c}/big`);
    assert.equal(g.status, 200);
    assert.ok(g.buf.equals(all));
    assert.equal(g.headers['content-length'], String(all.length));
    const h = await s.req('HEAD', `/${c}/big`);
    assert.equal(h.headers['x-object-manifest'], `${c}/segs/big/`);
    assert.equal(h.headers.etag, `"${etagOfEtags(segs.map((b) => md5hex(b)))}"`);
    const r = await s.req('GET', `/${c}/big`, { headers: { range: 'bytes=990-1009' } });
    assert.equal(r.status, 206);
    assert.ok(r.buf.equals(all.subarray(990, 1010)));
  });

  it('follows segments added later; multipart-manifest=get returns the manifest itself', async () => {
    const extra = randomBytes(5);
    await put(s, c, 'segs/big/999', extra);
    const g = await s.req('GET', `/${c}/big`);
    assert.ok(g.buf.equals(Buffer.concat([...segs, extra])));
    const m = await s.req('GET', `/${c}/big?multipart-manifest=get`);
    assert.equal(m.buf.length, 0);
    assert.equal(m.headers.etag, md5hex(''));
    assert.equal((await s.req('PUT', `/${c}/bad`, { body: '', headers: { 'x-object-manifest': 'nocontainer' } })).status, 400);
  });
});

describe('swift: static large objects', () => {
  let s: Swift;
  let c: string;
  const segs = [randomBytes(1500), randomBytes(1500), randomBytes(700)];
  const manifest = () => segs.map((b, i) => ({ path: `/${c}/seg${i}`, etag: md5hex(b), size_bytes: b.length }));
  before(async () => {
    s = await startSwift();
    c = await mkContainer(s, 'slo');
    for (const [i, b] of segs.entries()) await put(s, c, `seg${i}`, b);
  });
  after(() => s.close());
  const putManifest = (name: string, body: unknown, headers: Record<string, string> = {}) =>
    s.req('PUT', `/${c}/${name}?multipart-manifest=put`, { body: JSON.stringify(body), headers });

  it('PUT validates and stores; GET streams the segments; HEAD marks it static', async () => {
    const r = await putManifest('slo', manifest(), { 'content-type': 'application/x-big' });
    assert.equal(r.status, 201, r.text);
    const sloEtag = etagOfEtags(segs.map((b) => md5hex(b)));
    assert.equal(r.headers.etag, `"${sloEtag}"`);
    const g = await s.req('GET', `/${c}/slo`);
    assert.ok(g.buf.equals(Buffer.concat(segs)));
    assert.equal(g.headers['x-static-large-object'], 'True');
    assert.equal(g.headers['content-type'], 'application/x-big');
    const rg = await s.req('GET', `/${c}/slo`, { headers: { range: 'bytes=1400-1600,-10' } });
    assert.equal(rg.status, 206);
    assert.match(rg.headers['content-type']!, /multipart\/byteranges/);
    const listed = JSON.parse((await s.req('GET', `/${c}?format=json&prefix=slo`)).text)[0];
    assert.equal(listed.bytes, 3700);
    assert.equal(listed.slo_etag, `"${sloEtag}"`);
  });

  it('multipart-manifest=get returns the stored manifest, format=raw the PUT form', async () => {
    await putManifest('slo2', manifest());
    const m = await s.req('GET', `/${c}/slo2?multipart-manifest=get`);
    assert.equal(m.status, 200);
    const rows = JSON.parse(m.text);
    assert.deepEqual(Object.keys(rows[0]).sort(), ['bytes', 'content_type', 'hash', 'last_modified', 'name']);
    assert.equal(rows[0].name, `/${c}/seg0`);
    const raw = JSON.parse((await s.req('GET', `/${c}/slo2?multipart-manifest=get&format=raw`)).text);
    assert.deepEqual(raw, manifest());
  });

  it('ranged segments, null etag/size and nested manifests', async () => {
    const ranged = [{ path: `/${c}/seg0`, etag: null, size_bytes: null, range: '10-19' }, { path: `${c}/seg2`, range: '-5' }];
    assert.equal((await putManifest('ranged', ranged)).status, 201);
    const g = await s.req('GET', `/${c}/ranged`);
    assert.ok(g.buf.equals(Buffer.concat([segs[0]!.subarray(10, 20), segs[2]!.subarray(695)])));
    const nested = [{ path: `/${c}/ranged` }, { path: `/${c}/seg1` }];
    assert.equal((await putManifest('nested', nested)).status, 201);
    const n = await s.req('GET', `/${c}/nested`);
    assert.ok(n.buf.equals(Buffer.concat([g.buf, segs[1]!])));
  });

  it('refuses bad manifests with 400 and the reasons', async () => {
    const cases: unknown[] = [
      'not json',
      {},
      [],
      [{ path: `/${c}/missing` }],
      [{ path: `/${c}/seg0`, etag: 'ffff' }],
      [{ path: `/${c}/seg0`, size_bytes: 1 }],
      [{ path: 'nocontainer' }],
      [{ path: `/${c}/seg0`, extra: 1 }],
      [{ path: `/${c}/seg0`, range: '50-10' }],
      [{ path: `/${c}/self` }],
    ];
    for (const body of cases) {
      const r = await s.req('PUT', `/${c}/self?multipart-manifest=put`, { body: typeof body === 'string' ? body : JSON.stringify(body) });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    const r = await putManifest('x', [{ path: `/${c}/missing` }, { path: `/${c}/seg0`, etag: 'ffff' }]);
    assert.match(r.text, /missing, 404 Not Found/);
    assert.match(r.text, /seg0, Etag Mismatch/);
    assert.equal((await putManifest('e', manifest(), { etag: 'f'.repeat(32) })).status, 422);
  });

  it('GET of a manifest whose segment changed is a 409', async () => {
    await put(s, c, 'tmpseg', 'aaaa');
    assert.equal((await putManifest('fragile', [{ path: `/${c}/tmpseg` }])).status, 201);
    await put(s, c, 'tmpseg', 'bbbb');
    assert.equal((await s.req('GET', `/${c}/fragile`)).status, 409);
  });

  it('multipart-manifest=delete removes the manifest and its segments', async () => {
    const d = await mkContainer(s, 'sdel');
    await put(s, d, 's1', 'one');
    await put(s, d, 's2', 'two');
    assert.equal((await s.req('PUT', `/${d}/m?multipart-manifest=put`, { body: JSON.stringify([{ path: `/${d}/s1` }, { path: `/${d}/s2` }]) })).status, 201);
    const r = await s.req('DELETE', `/${d}/m?multipart-manifest=delete`, { headers: { accept: 'application/json' } });
    assert.equal(r.status, 200);
    const body = JSON.parse(r.text);
    assert.equal(body['Number Deleted'], 3);
    assert.equal(body['Response Status'], '200 OK');
    assert.equal((await s.req('GET', `/${d}`)).status, 204);
  });
});

describe('swift: bulk delete', () => {
  let s: Swift;
  before(async () => {
    s = await startSwift();
  });
  after(() => s.close());

  it('POST ?bulk-delete deletes objects then containers; reports not-found and errors', async () => {
    const c = await mkContainer(s, 'bulk');
    const full = await mkContainer(s, 'full');
    await put(s, c, 'a b', '1');
    await put(s, c, 'dir/x', '2');
    await put(s, full, 'keep', '3');
    const body = [`/${c}/a%20b`, `/${c}/dir/x`, `/${c}/missing`, `/${c}`, `/${full}`, ''].join('\n');
    const r = await s.req('POST', '?bulk-delete', { body, headers: { accept: 'application/json', 'content-type': 'text/plain' } });
    assert.equal(r.status, 200);
    const rep = JSON.parse(r.text);
    assert.equal(rep['Number Deleted'], 3);
    assert.equal(rep['Number Not Found'], 1);
    assert.equal(rep['Response Status'], '400 Bad Request');
    assert.deepEqual(rep.Errors, [[`/${full}`, '409 Conflict']]);
    assert.equal((await s.req('HEAD', `/${c}`)).status, 404);
  });

  it('DELETE ?bulk-delete with plain text output; empty bodies are an invalid bulk delete', async () => {
    const c = await mkContainer(s, 'bulk2');
    await put(s, c, 'o', '1');
    const r = await s.req('DELETE', '?bulk-delete', { body: `${c}/o\n${c}\n` });
    assert.equal(r.status, 200);
    assert.match(r.text, /^Number Deleted: 2\nNumber Not Found: 0\n/);
    assert.match(r.text, /Response Status: 200 OK/);
    const e = await s.req('POST', '?bulk-delete', { body: '' });
    assert.match(e.text, /Response Status: 400 Bad Request/);
  });

  it('PUT ?extract-archive=tar creates containers and objects from an archive', async () => {
    const top = `arch-${Date.now()}`;
    const tar = await makeTar({ [`${top}/a.txt`]: 'A', [`${top}/deep/${'n'.repeat(150)}`]: 'long name', 'loose.txt': 'top-level' }, 'gnu');
    const r = await s.req('PUT', '?extract-archive=tar', { body: tar, headers: { accept: 'application/json' } });
    assert.equal(r.status, 200);
    const rep = JSON.parse(r.text);
    assert.equal(rep['Number Files Created'], 2);
    assert.deepEqual(rep.Errors, [['loose.txt', '400 Bad Request']]);
    assert.equal((await s.req('GET', `/${top}/a.txt`)).text, 'A');
    assert.equal((await s.req('GET', `/${top}/deep/${'n'.repeat(150)}`)).text, 'long name');
    assert.equal((await s.req('HEAD', `/${top}/a.txt`)).headers['content-type'], 'text/plain');
  });

  it('extracts tar.gz (PAX names) into a container prefix; refuses broken archives', async () => {
    const c = await mkContainer(s, 'untar');
    const tgz = gzipSync(await makeTar({ 'x/ü.bin': 'umlaut', 'y.bin': '' }, 'pax'));
    const r = await s.req('PUT', `/${c}/pre?extract-archive=tar.gz`, { body: tgz });
    assert.equal(r.status, 200);
    assert.match(r.text, /Number Files Created: 2\n/);
    assert.match(r.text, /Response Status: 201 Created/);
    assert.equal((await s.req('GET', `/${c}/pre/x/${encodeURIComponent('ü.bin')}`)).text, 'umlaut');
    assert.equal((await s.req('GET', `/${c}/pre/y.bin`)).text, '');
    assert.equal((await s.req('PUT', '?extract-archive=tar.gz', { body: 'not gzip' })).status, 400);
    assert.equal((await s.req('PUT', '?extract-archive=tar', { body: Buffer.alloc(512, 7) })).status, 400);
    assert.equal((await s.req('PUT', '?extract-archive=zip', { body: 'x' })).status, 400);
  });

  it('another project cannot bulk delete here', async () => {
    const c = await mkContainer(s, 'mine');
    const alt = await s.as('alt_demo');
    const r = await s.raw('POST', `${s.accountPath}?bulk-delete`, { token: alt.token, body: `/${c}` });
    assert.equal(r.status, 403);
    assert.equal((await s.req('HEAD', `/${c}`)).status, 204);
  });
});
