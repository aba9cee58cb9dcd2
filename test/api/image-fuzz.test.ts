// Robustness: a few thousand generated bad or odd requests against the image API, from a seeded
// generator, must never produce a 5xx (and the service must still work afterwards).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../support/cloud.js';
import { bytes, createImage, deleteImages, download, PATCH_20, PATCH_21, uploadOk, V2 } from './image-helpers.js';

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const SEED = 20240613;
const ODD_IDS = ['cirros', '', '%00', '%zz', '..%2F..%2Fetc', 'a'.repeat(300), '00000000-0000-0000-0000-000000000000', '12345678-1234-1234-1234-1234567890ab', '-1', '🙂', '%F0%9F%99%82', 'null', '__proto__', 'constructor'];
const ODD_STRINGS = ['', ' ', 'x'.repeat(70_000), '\u0000', '🙂', '<script>', '../', 'true', '1e309', 'active', 'public', 'qcow2'];

function oddValue(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * 12);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor(r() * 2 ** 40) * (r() < 0.3 ? -1 : 1);
    case 3:
      return r() * 1e308;
    case 4:
      return ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)];
    case 5:
      return depth < 3 ? Array.from({ length: Math.floor(r() * 4) }, () => oddValue(r, depth + 1)) : [];
    case 6:
      return depth < 3 ? { [ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)]!.slice(0, 300)]: oddValue(r, depth + 1) } : {};
    case 7:
      return ['bare', 'raw', 'private', 'shared', 'community', 'pending', 'accepted'][Math.floor(r() * 7)];
    default:
      return `s${Math.floor(r() * 1e6)}`;
  }
}

const ATTRS = ['name', 'visibility', 'protected', 'os_hidden', 'owner', 'disk_format', 'container_format', 'min_ram', 'min_disk', 'tags', 'status', 'id', 'size', 'checksum', 'self', 'locations', 'os_glance_x', 'kernel_id', 'custom', '__proto__', 'constructor', 'a/b'];

function oddObject(r: () => number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) Object.defineProperty(o, ATTRS[Math.floor(r() * ATTRS.length)]!, { value: oddValue(r), enumerable: true, configurable: true, writable: true });
  return o;
}

function oddPatch(r: () => number): unknown {
  const n = Math.floor(r() * 3) + 1;
  return Array.from({ length: n }, () => {
    const attr = ATTRS[Math.floor(r() * ATTRS.length)]!;
    const op = ['add', 'replace', 'remove', 'move', 'test', 5][Math.floor(r() * 6)];
    const path = r() < 0.8 ? `/${attr}` : ['', 'name', '//x', '/~2', '/a/b/c', '/tags/-', '/locations/0'][Math.floor(r() * 7)];
    if (r() < 0.3) return { [String(op)]: path, value: oddValue(r) };
    return r() < 0.1 ? oddValue(r) : { op, path, value: oddValue(r) };
  });
}

function oddQuery(r: () => number): string {
  const keys = ['limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'visibility', 'member_status', 'status', 'name', 'size_min', 'size_max', 'created_at', 'protected', 'os_hidden', 'tag', 'foo_min', 'changes-since', 'owner', '__proto__', 'constructor'];
  const vals = ['-1', 'x', 'in:a,"b', 'gt:2020-01-01T00:00:00Z', 'gte:nope', 'name:sideways', '%zz', '', '99999999999999999999', 'true', 'all', 'asc', 'desc', ODD_IDS[Math.floor(r() * ODD_IDS.length)]!];
  const n = Math.floor(r() * 4) + 1;
  return Array.from({ length: n }, () => `${keys[Math.floor(r() * keys.length)]}=${vals[Math.floor(r() * vals.length)]}`).join('&');
}

function generate(count: number, token: string, realIds: string[]): Req[] {
  const r = rng(SEED);
  const out: Req[] = [];
  const anyId = () => (r() < 0.5 ? realIds[Math.floor(r() * realIds.length)]! : ODD_IDS[Math.floor(r() * ODD_IDS.length)]!);
  const json = (v: unknown) => (r() < 0.1 ? '{"unterminated' : JSON.stringify(v) ?? 'null');
  const auth = (): Record<string, string> => (r() < 0.05 ? (r() < 0.5 ? {} : { 'x-auth-token': 'bogus' }) : { 'x-auth-token': token });
  const ctype = (fallback: string) => ({ 'content-type': r() < 0.1 ? ['text/plain', 'application/xml', '', 'application/json; charset=latin1', PATCH_20][Math.floor(r() * 5)]! : fallback });
  for (let i = 0; i < count; i++) {
    const id = anyId();
    const kind = Math.floor(r() * 11);
    const h = auth();
    let req: Req;
    if (kind === 0) req = { method: 'POST', path: `${V2}/images`, headers: { ...h, ...ctype('application/json') }, body: json(r() < 0.8 ? oddObject(r) : oddValue(r)) };
    else if (kind === 1) req = { method: 'PATCH', path: `${V2}/images/${id}`, headers: { ...h, ...ctype(r() < 0.5 ? PATCH_21 : PATCH_20) }, body: json(oddPatch(r)) };
    else if (kind === 2) req = { method: 'GET', path: `${V2}/images?${oddQuery(r)}`, headers: h };
    else if (kind === 3) req = { method: 'GET', path: `${V2}/images/${id}/file`, headers: { ...h, range: ['bytes=', 'bytes=5-1', 'bytes=-', 'bytes=0-0,1-1', 'bytes=99999999999999999999-', 'nonsense', 'bytes=0-'][Math.floor(r() * 7)]! } };
    else if (kind === 4) req = { method: 'PUT', path: `${V2}/images/${id}/${r() < 0.5 ? 'file' : 'stage'}`, headers: { ...h, ...ctype('application/octet-stream') }, body: bytes(Math.floor(r() * 64)) };
    else if (kind === 5) req = { method: ['POST', 'PUT'][Math.floor(r() * 2)]!, path: `${V2}/images/${id}/members${r() < 0.5 ? `/${anyId()}` : ''}`, headers: { ...h, ...ctype('application/json') }, body: json(r() < 0.5 ? { member: oddValue(r) } : { status: oddValue(r) }) };
    else if (kind === 6) req = { method: ['PUT', 'DELETE'][Math.floor(r() * 2)]!, path: `${V2}/images/${id}/tags/${encodeURIComponent(String(oddValue(r)).slice(0, 300)) || 'x'}`, headers: h };
    else if (kind === 7) req = { method: 'POST', path: `${V2}/images/${id}/${['import', 'actions/deactivate', 'actions/reactivate', 'actions/nope'][Math.floor(r() * 4)]}`, headers: { ...h, ...ctype('application/json') }, body: json(r() < 0.5 ? { method: { name: oddValue(r) }, stores: oddValue(r) } : oddValue(r)) };
    else if (kind === 8) req = { method: ['GET', 'DELETE', 'HEAD', 'OPTIONS', 'PUT'][Math.floor(r() * 5)]!, path: `${V2}/${['images', 'schemas', 'info', 'images/' + id + '/members', 'schemas/nope', 'info/usage'][Math.floor(r() * 6)]}/${id}`, headers: h };
    else if (kind === 9) req = { method: 'GET', path: `/image/${['', 'v1', 'v2/', 'v3/images', 'versions?x=1', 'v2/images/' + id + '/members/' + anyId()][Math.floor(r() * 6)]}`, headers: h };
    else req = { method: 'DELETE', path: `${V2}/images/${id}${r() < 0.3 ? '/members/' + anyId() : ''}`, headers: h };
    out.push(req);
  }
  return out;
}

describe('image API: generated bad requests', () => {
  let c: TestCloud;
  let demo: string;
  const ids: string[] = [];

  before(async () => {
    c = await startTestCloud({ config: { image: { quotas: { images: 50, bytes: 1_000_000 } } } });
    demo = await c.token('demo');
    for (let i = 0; i < 3; i++) ids.push((await createImage(c, demo, { name: `fuzz-${i}` })).id);
    await uploadOk(c, demo, ids[0]!, bytes(100));
  });
  after(async () => {
    const admin = await c.token('admin');
    const r = await c.req('GET', `${V2}/images?limit=1000`, { token: admin });
    await deleteImages(c, r.body.images.map((i: any) => i.id));
    await c.close();
  });

  test('1,500 generated requests: no 5xx, and the service still works', { timeout: 120_000 }, async (t) => {
    const reqs = generate(1500, demo, ids);
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < reqs.length; i = next++) {
        const q = reqs[i]!;
        const res = await fetch(c.url + q.path, { method: q.method, headers: q.headers, body: q.method === 'GET' || q.method === 'HEAD' ? undefined : (q.body as BodyInit | undefined) });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) bad.push(`#${i} ${q.method} ${q.path.slice(0, 120)} → ${res.status}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    t.diagnostic(`statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    assert.deepEqual(bad, [], `5xx answers (seed ${SEED}):\n${bad.join('\n')}`);
    assert.equal([...statuses.values()].reduce((a, b) => a + b, 0), 1500);
    const fresh = await createImage(c, demo, { name: 'after-fuzz' });
    await uploadOk(c, demo, fresh.id, bytes(100, 4));
    assert.ok((await download(c, demo, fresh.id)).data.equals(bytes(100, 4)), 'the service still works');
    assert.equal((await c.req('GET', '/health')).status, 200);
  });
});
