// A generated storm of bad requests against the Swift API: every answer is a 4xx (or a
// harmless 2xx/3xx), never a 5xx, and the service keeps working afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { enc, mkContainer, put, rawSocket, startSwift, statusOf, type Res, type Swift } from './swift-helpers.js';

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  token: 'demo' | 'none' | 'bad' | 'reader' | 'alt';
}

/** Deterministic PRNG (mulberry32), so a failure names a case that can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'COPY', 'OPTIONS', 'PATCH'];

function paths(account: string, c: string): string[] {
  const a = `/swift/v1/${account}`;
  return [
    a, `${a}/`, `${a}/${c}`, `${a}/${c}/`, `${a}/${c}/obj`, `${a}/${c}/slo`, `${a}/${c}/dlo`, `${a}/${c}//x//`,
    `${a}/missing-${c}/obj`, `${a}/${'x'.repeat(300)}`, `${a}/${c}/${'y'.repeat(1100)}`, `${a}/%00`, `${a}/${c}/%00x`,
    `${a}/${c}/%C3%28`, `${a}/a%2Fb/c`, `${a}//obj`, `${a}/${c}/${enc('ü/☃')}`, `${a}/${c}/..%2F..%2Fetc`,
    '/swift/v1', '/swift/v1/', '/swift/v1/AUTH_', '/swift/v1/foo', '/swift/v2/AUTH_x', '/swift/v1.0/AUTH_x/c',
    '/swift/v1/AUTH_other/c/o', '/swift/info', '/swift/nothing', `${a}?bulk-delete`, `${a}/${c}/obj?multipart-manifest=put`,
    `${a}/${c}/obj?multipart-manifest=delete`, `${a}/${c}/slo?multipart-manifest=get&format=raw`, `${a}/${c}?limit=99999`,
    `${a}?format=xml&limit=-4&marker=%00`, `${a}/${c}?delimiter=%E2%98%83%E2%98%83&reverse=maybe`, `${a}/${c}/obj?temp_url_sig=x&temp_url_expires=y`,
    `${a}/${c}/obj?temp_url_sig=${'a'.repeat(64)}&temp_url_expires=99999999999&temp_url_ip_range=zzz`, `${a}/${c}?path=%00`,
    `${a}?extract-archive=tar`, `${a}/${c}?extract-archive=tar.gz`, `${a}/${c}/p?extract-archive=bz2`,
  ];
}

const HEADER_CASES: { headers: Record<string, string>; body?: string }[] = [
  { headers: {} },
  { headers: { 'content-length': '99999999999999' } },
  { headers: { 'x-copy-from': 'nocontainer' } },
  { headers: { 'x-copy-from': '/%FF/%FE' } },
  { headers: { 'x-copy-from': '/missing/obj', 'x-copy-from-account': '../../x' } },
  { headers: { destination: '' } },
  { headers: { destination: '%%%/x', 'destination-account': 'AUTH_' } },
  { headers: { 'x-delete-at': 'yesterday' } },
  { headers: { 'x-delete-at': '1' } },
  { headers: { 'x-delete-after': '-5' } },
  { headers: { 'x-delete-after': '1e400' } },
  { headers: { range: 'bytes=-0' } },
  { headers: { range: 'bytes=99999999999999999999-' } },
  { headers: { range: 'bytes=' + Array.from({ length: 60 }, (_, i) => `${i}-${i}`).join(',') } },
  { headers: { 'if-match': '' } },
  { headers: { 'if-none-match': 'W/"x", *, "' } },
  { headers: { 'if-modified-since': 'Mon, 99 Foo 99999 99:99:99 GMT' } },
  { headers: { 'if-unmodified-since': '0' } },
  { headers: { 'x-object-manifest': '/' } },
  { headers: { 'x-object-manifest': '%FF/x' } },
  { headers: { 'x-container-read': '.r:' } },
  { headers: { 'x-container-read': '.r:-' } },
  { headers: { 'x-container-write': '.rlistings' } },
  { headers: { 'x-storage-policy': 'platinum' } },
  { headers: { etag: 'not-an-etag' }, body: 'data' },
  { headers: { 'x-object-meta-': 'empty name' } },
  { headers: { ['x-object-meta-' + 'k'.repeat(200)]: 'v' } },
  { headers: { 'x-container-meta-big': 'v'.repeat(5000) } },
  { headers: { 'x-account-meta-big': 'v'.repeat(300) } },
  { headers: { accept: 'application/nothing' } },
  { headers: { accept: ';;;,,,q=abc' } },
  { headers: { 'content-type': '%%%;;=' }, body: '{}' },
  { headers: { 'content-type': 'application/json' }, body: '{"not": "closed"' },
  { headers: { 'content-type': 'application/json' }, body: '[{"path": 5}]' },
  { headers: {}, body: '[{"path": "/c/o", "size_bytes": -1, "etag": 7}]' },
  { headers: {}, body: '[' + '{"path":"/a/b"},'.repeat(1100) + '{"path":"/a/b"}]' },
  { headers: {}, body: '/%FF\n/\n//\n/c/\n' + 'x'.repeat(2000) },
  { headers: { 'x-fresh-metadata': 'maybe', 'x-detect-content-type': 'true' } },
  { headers: { 'x-auth-token': '' } },
];

describe('swift: generated bad input', () => {
  let s: Swift;
  let c: string;
  const tokens: Record<Case['token'], string | null> = { demo: null, none: null, bad: 'gAAAAA-bogus', reader: null, alt: null };
  before(async () => {
    s = await startSwift();
    c = await mkContainer(s, 'fuzz');
    await put(s, c, 'obj', 'x');
    await put(s, c, 'seg', 'abc');
    await put(s, c, 'dlo', '', { 'x-object-manifest': `${c}/se` });
    await s.req('PUT', `/${c}/slo?multipart-manifest=put`, { body: JSON.stringify([{ path: `/${c}/seg` }]) });
    tokens.demo = s.token;
    tokens.reader = (await s.as('demo_reader', 'demo')).token;
    tokens.alt = (await s.as('alt_demo')).token;
  });
  after(() => s.close());

  function cases(n: number): Case[] {
    const rnd = prng(20240501);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const ps = paths(s.account, c);
    const out: Case[] = [];
    // Every path with every method once, then random combinations of the rest.
    for (const path of ps) for (const method of METHODS) out.push({ method, path, headers: {}, token: 'demo' });
    while (out.length < n) {
      const hc = pick(HEADER_CASES);
      const c: Case = { method: pick(METHODS), path: pick(ps), headers: hc.headers, token: pick(['demo', 'demo', 'none', 'bad', 'reader', 'alt'] as const) };
      if (hc.body !== undefined) c.body = hc.body;
      out.push(c);
    }
    return out;
  }

  it('≥1,000 bad requests: no 5xx, and the service still works', { timeout: 180_000 }, async () => {
    const all = cases(1200);
    assert.ok(all.length >= 1000);
    const bad: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const k = all[next++]!;
        let r: Res;
        try {
          r = await s.raw(k.method, k.path, { token: tokens[k.token], headers: k.headers, body: k.body, fresh: true, timeoutMs: 15_000 });
        } catch (e) {
          bad.push(`${k.method} ${k.path} ${JSON.stringify(k.headers)}: ${(e as Error).message}`);
          continue;
        }
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status >= 500 || r.status < 100) bad.push(`${r.status} ${k.method} ${k.path} ${JSON.stringify(k.headers)} ${k.token}: ${r.text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(bad, [], `statuses: ${JSON.stringify([...statuses])}`);
    assert.ok([...statuses.keys()].some((st) => st >= 400), 'the storm did hit errors');
    // Malformed HTTP itself is refused by Node's parser before any route runs.
    for (const te of ['gzip', 'chunked, gzip', 'identity']) {
      const raw = await rawSocket(s, `PUT ${s.accountPath}/${c}/te HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${s.token}\r\nTransfer-Encoding: ${te}\r\n\r\n`);
      assert.ok(statusOf(raw) >= 400 && statusOf(raw) < 500, `Transfer-Encoding: ${te} → ${raw.slice(0, 40)}`);
    }
    const health = await s.raw('GET', '/health', { token: null });
    assert.equal(health.status, 200);
    await put(s, c, 'after-storm', 'still fine');
    assert.equal((await s.req('GET', `/${c}/after-storm`)).text, 'still fine');
  });
});
