import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FsBlobStore } from '../../src/drivers/object/fs.js';
import { MemoryBlobStore } from '../../src/drivers/object/memory.js';
import { blobBackedStorage, startRegistry, type RunningRegistry, type StartRegistryOptions } from '../../src/registry/index.js';
import { MEDIA } from '../../src/registry/names.js';

// The OCI distribution API over real HTTP on loopback, once per storage.

/**
 * A storage kind: `open(root)` gives a function that opens the storage kept under `root` (each
 * call a fresh instance over the same data, as after a restart). The registry's records and
 * staged uploads are always files under `root`.
 */
interface Backend {
  name: string;
  open(root: string): () => Pick<StartRegistryOptions, 'dir' | 'storage'>;
}
const BACKENDS: Backend[] = [
  { name: 'FsRegistryStorage', open: (root) => () => ({ dir: root }) },
  {
    name: 'BlobRegistryStorage over MemoryBlobStore',
    open: (root) => {
      const blobs = new MemoryBlobStore();
      return () => ({ storage: blobBackedStorage(blobs, root) });
    },
  },
  { name: 'BlobRegistryStorage over FsBlobStore', open: (root) => () => ({ storage: blobBackedStorage(new FsBlobStore(join(root, 'objects')), root) }) },
];

const digestOf = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let reg: RunningRegistry;

const url = (p: string) => `${reg.url}${p}`;
async function errorCode(r: Response): Promise<string> {
  const body = (await r.json()) as { errors: { code: string; message: string }[] };
  assert.ok(body.errors[0]!.message.length > 0);
  return body.errors[0]!.code;
}
async function pushBlob(name: string, bytes: Uint8Array): Promise<string> {
  const d = digestOf(bytes);
  const r = await fetch(url(`/v2/${name}/blobs/uploads/?digest=${d}`), { method: 'POST', body: new Uint8Array(bytes) });
  assert.equal(r.status, 201, await r.text());
  return d;
}
async function pushImage(name: string, tag: string, mediaType: string = MEDIA.ociManifest): Promise<{ digest: string; bytes: Buffer }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag }));
  const layer = randomBytes(1000);
  const cd = await pushBlob(name, config);
  const ld = await pushBlob(name, layer);
  const docker = mediaType === MEDIA.dockerManifest;
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: docker ? MEDIA.dockerConfig : MEDIA.ociConfig, digest: cd, size: config.length },
      layers: [{ mediaType: docker ? MEDIA.dockerLayerGzip : MEDIA.ociLayerGzip, digest: ld, size: layer.length }],
    }),
  );
  const r = await fetch(url(`/v2/${name}/manifests/${tag}`), { method: 'PUT', body: bytes, headers: { 'Content-Type': mediaType } });
  assert.equal(r.status, 201, await r.text());
  assert.equal(r.headers.get('docker-content-digest'), digestOf(bytes));
  return { digest: digestOf(bytes), bytes };
}

for (const backend of BACKENDS) describe(`OCI registry over ${backend.name}`, () => {
  let dir: string;
  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'stratus-registry-'));
    reg = await startRegistry({ ...backend.open(dir)(), host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await reg?.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  describe('OCI registry: base and blobs', () => {
    it('answers GET /v2/ with the API version header', async () => {
      const r = await fetch(url('/v2/'));
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    });

    it('takes a monolithic upload and serves it by HEAD, GET and Range', async () => {
      const data = randomBytes(70_000);
      const d = await pushBlob('app/one', data);
      const head = await fetch(url(`/v2/app/one/blobs/${d}`), { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '70000');
      assert.equal(head.headers.get('docker-content-digest'), d);
      const get = await fetch(url(`/v2/app/one/blobs/${d}`));
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), data);
      const part = await fetch(url(`/v2/app/one/blobs/${d}`), { headers: { Range: 'bytes=100-199' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), 'bytes 100-199/70000');
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(100, 200));
      const bad = await fetch(url(`/v2/app/one/blobs/${d}`), { headers: { Range: 'bytes=90000-' } });
      assert.equal(bad.status, 416);
      await bad.arrayBuffer();
      // Blobs belong to repositories: another repository does not see it until mounted.
      const other = await fetch(url(`/v2/app/two/blobs/${d}`));
      assert.equal(other.status, 404);
      assert.equal(await errorCode(other), 'BLOB_UNKNOWN');
    });

    it('takes a chunked upload (POST, PATCH with Content-Range, status, PUT ?digest)', async () => {
      const data = randomBytes(300_000);
      const start = await fetch(url('/v2/app/chunked/blobs/uploads/'), { method: 'POST' });
      assert.equal(start.status, 202);
      const loc = start.headers.get('location')!;
      assert.match(loc, /^\/v2\/app\/chunked\/blobs\/uploads\/[0-9a-f-]{36}$/);
      const p1 = await fetch(url(loc), { method: 'PATCH', body: data.subarray(0, 100_000), headers: { 'Content-Range': '0-99999', 'Content-Type': 'application/octet-stream' } });
      assert.equal(p1.status, 202);
      assert.equal(p1.headers.get('range'), '0-99999');
      const wrong = await fetch(url(loc), { method: 'PATCH', body: data.subarray(0, 10), headers: { 'Content-Range': '0-9' } });
      assert.equal(wrong.status, 416);
      assert.equal(wrong.headers.get('range'), '0-99999');
      await wrong.arrayBuffer();
      const status = await fetch(url(loc));
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), '0-99999');
      const p2 = await fetch(url(loc), { method: 'PATCH', body: data.subarray(100_000, 250_000) });
      assert.equal(p2.status, 202);
      const d = digestOf(data);
      const done = await fetch(url(`${loc}?digest=${d}`), { method: 'PUT', body: data.subarray(250_000) });
      assert.equal(done.status, 201, await done.text());
      assert.equal(done.headers.get('location'), `/v2/app/chunked/blobs/${d}`);
      assert.deepEqual(Buffer.from(await (await fetch(url(`/v2/app/chunked/blobs/${d}`))).arrayBuffer()), data);
      const gone = await fetch(url(loc));
      assert.equal(gone.status, 404);
      assert.equal(await errorCode(gone), 'BLOB_UPLOAD_UNKNOWN');
    });

    it('rejects content that does not match its digest, and keeps nothing of it', async () => {
      const data = Buffer.from('real content');
      const lie = digestOf('other content');
      const r = await fetch(url(`/v2/app/bad/blobs/uploads/?digest=${lie}`), { method: 'POST', body: data });
      assert.equal(r.status, 400);
      assert.equal(await errorCode(r), 'DIGEST_INVALID');
      assert.equal((await fetch(url(`/v2/app/bad/blobs/${lie}`), { method: 'HEAD' })).status, 404);
      assert.equal((await fetch(url(`/v2/app/bad/blobs/${digestOf(data)}`), { method: 'HEAD' })).status, 404);
      const start = await fetch(url('/v2/app/bad/blobs/uploads/'), { method: 'POST' });
      const loc = start.headers.get('location')!;
      const put = await fetch(url(`${loc}?digest=${lie}`), { method: 'PUT', body: data });
      assert.equal(put.status, 400);
      assert.equal(await errorCode(put), 'DIGEST_INVALID');
      assert.equal((await fetch(url(loc))).status, 404);
      const noDigest = await fetch(url('/v2/app/bad/blobs/uploads/?digest=sha512:abc'), { method: 'POST', body: data });
      assert.equal(noDigest.status, 400);
      assert.equal(await errorCode(noDigest), 'DIGEST_INVALID');
    });

    it('keeps an upload intact when a chunk is cut off mid-body', async () => {
      const start = await fetch(url('/v2/app/cut/blobs/uploads/'), { method: 'POST' });
      const loc = start.headers.get('location')!;
      await fetch(url(loc), { method: 'PATCH', body: Buffer.alloc(1000, 1) });
      await new Promise<void>((resolve) => {
        const req = request(url(loc), { method: 'PATCH', headers: { 'Content-Length': 100_000 } });
        req.on('error', () => resolve());
        req.write(Buffer.alloc(50_000, 2), () => setTimeout(() => req.destroy(), 50));
      });
      let range = '';
      for (let i = 0; i < 50 && range !== '0-999'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        range = (await fetch(url(loc))).headers.get('range') ?? '';
      }
      assert.equal(range, '0-999');
    });

    it('mounts a blob from another repository without uploading it', async () => {
      const d = await pushBlob('app/src', Buffer.from('shared layer'));
      const r = await fetch(url(`/v2/app/dst/blobs/uploads/?mount=${d}&from=app/src`), { method: 'POST' });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('location'), `/v2/app/dst/blobs/${d}`);
      assert.equal((await fetch(url(`/v2/app/dst/blobs/${d}`), { method: 'HEAD' })).status, 200);
      const miss = await fetch(url(`/v2/app/dst2/blobs/uploads/?mount=${digestOf('nothing')}&from=app/src`), { method: 'POST' });
      assert.equal(miss.status, 202, 'an unknown mount falls back to a new upload');
    });
  });

  describe('OCI registry: manifests, tags and catalog', () => {
    it('stores a manifest by tag and serves it by tag and by digest', async () => {
      const { digest, bytes } = await pushImage('team/project/web', 'v1');
      for (const ref of ['v1', digest]) {
        const r = await fetch(url(`/v2/team/project/web/manifests/${ref}`), { headers: { Accept: MEDIA.ociManifest } });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), MEDIA.ociManifest);
        assert.equal(r.headers.get('docker-content-digest'), digest);
        assert.deepEqual(Buffer.from(await r.arrayBuffer()), bytes);
      }
      const head = await fetch(url('/v2/team/project/web/manifests/v1'), { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(bytes.length));
      const refused = await fetch(url('/v2/team/project/web/manifests/v1'), { headers: { Accept: MEDIA.dockerManifest } });
      assert.equal(refused.status, 404);
      assert.equal(await errorCode(refused), 'MANIFEST_UNKNOWN');
    });

    it('stores Docker schema 2 manifests and lists, and resolves an index for clients that cannot read one', async () => {
      const amd = await pushImage('multi', 'amd64', MEDIA.dockerManifest);
      const arm = await pushImage('multi', 'arm64');
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA.ociIndex,
          manifests: [
            { mediaType: MEDIA.ociManifest, digest: arm.digest, size: arm.bytes.length, platform: { os: 'linux', architecture: 'arm64' } },
            { mediaType: MEDIA.dockerManifest, digest: amd.digest, size: amd.bytes.length, platform: { os: 'linux', architecture: 'amd64' } },
          ],
        }),
      );
      const put = await fetch(url('/v2/multi/manifests/latest'), { method: 'PUT', body: index, headers: { 'Content-Type': MEDIA.ociIndex } });
      assert.equal(put.status, 201, await put.text());
      const all = await fetch(url('/v2/multi/manifests/latest'), { headers: { Accept: `${MEDIA.ociIndex}, ${MEDIA.dockerManifest}` } });
      assert.equal(all.headers.get('content-type'), MEDIA.ociIndex);
      await all.arrayBuffer();
      const old = await fetch(url('/v2/multi/manifests/latest'), { headers: { Accept: MEDIA.dockerManifest } });
      assert.equal(old.status, 200);
      assert.equal(old.headers.get('docker-content-digest'), amd.digest);
      await old.arrayBuffer();
    });

    it('checks a manifest before storing it', async () => {
      const body = (layers: unknown[]) => JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: MEDIA.ociConfig, digest: digestOf('nope'), size: 4 }, layers });
      const missing = await fetch(url('/v2/check/manifests/v1'), { method: 'PUT', body: body([]), headers: { 'Content-Type': MEDIA.ociManifest } });
      assert.equal(missing.status, 400);
      assert.equal(await errorCode(missing), 'MANIFEST_BLOB_UNKNOWN');
      const junk = await fetch(url('/v2/check/manifests/v1'), { method: 'PUT', body: '{"schemaVersion":', headers: { 'Content-Type': MEDIA.ociManifest } });
      assert.equal(await errorCode(junk), 'MANIFEST_INVALID');
      const { bytes } = await pushImage('check', 'ok');
      const lie = await fetch(url(`/v2/check/manifests/${digestOf('x')}`), { method: 'PUT', body: new Uint8Array(bytes), headers: { 'Content-Type': MEDIA.ociManifest } });
      assert.equal(lie.status, 400);
      assert.equal(await errorCode(lie), 'DIGEST_INVALID');
      const big = await fetch(url('/v2/check/manifests/big'), { method: 'PUT', body: Buffer.alloc(5 << 20, 32), headers: { 'Content-Type': MEDIA.ociManifest } });
      assert.equal(big.status, 413);
    });

    it('lists tags and the catalog, paginated with Link', async () => {
      for (const t of ['a', 'b', 'c']) await pushImage('pager', t);
      const first = await fetch(url('/v2/pager/tags/list?n=2'));
      assert.deepEqual(await first.json(), { name: 'pager', tags: ['a', 'b'] });
      assert.equal(first.headers.get('link'), '</v2/pager/tags/list?n=2&last=b>; rel="next"');
      assert.deepEqual(await (await fetch(url('/v2/pager/tags/list?n=2&last=b'))).json(), { name: 'pager', tags: ['c'] });
      const cat = (await (await fetch(url('/v2/_catalog'))).json()) as { repositories: string[] };
      assert.ok(cat.repositories.includes('team/project/web') && cat.repositories.includes('pager'), JSON.stringify(cat));
      assert.deepEqual(cat.repositories, [...cat.repositories].sort());
      const page = await fetch(url('/v2/_catalog?n=1'));
      assert.equal(((await page.json()) as { repositories: string[] }).repositories.length, 1);
      assert.match(page.headers.get('link')!, /rel="next"/);
      const unknown = await fetch(url('/v2/never/pushed/tags/list'));
      assert.equal(unknown.status, 404);
      assert.equal(await errorCode(unknown), 'NAME_UNKNOWN');
    });

    it('deletes tags and manifests', async () => {
      const { digest } = await pushImage('del', 'one');
      await pushImage('del', 'two');
      assert.equal((await fetch(url('/v2/del/manifests/two'), { method: 'DELETE' })).status, 202);
      assert.equal((await fetch(url('/v2/del/manifests/two'))).status, 404);
      assert.equal((await fetch(url(`/v2/del/manifests/${digest}`), { method: 'DELETE' })).status, 202);
      const gone = await fetch(url('/v2/del/manifests/one'));
      assert.equal(gone.status, 404, 'the tag went with its manifest');
      assert.equal(await errorCode(gone), 'MANIFEST_UNKNOWN');
      assert.equal((await fetch(url(`/v2/del/manifests/${digest}`), { method: 'DELETE' })).status, 404);
    });

    it('answers bad requests with OCI errors, never a 500', async () => {
      const cases: [string, string, RequestInit?][] = [
        ['GET', '/v2/UPPER/manifests/latest'],
        ['GET', '/v2/a..b/tags/list'],
        ['GET', '/v2/ok/manifests/bad tag'],
        ['GET', '/v2/ok/manifests/sha256:123'],
        ['GET', '/v2/ok/blobs/not-a-digest'],
        ['GET', '/v2/%zz/tags/list'],
        ['GET', '/v2/ok/tags/list?n=-1'],
        ['GET', '/v2/pager/tags/list?n=abc'],
        ['GET', '/nothing/here'],
        ['POST', '/v2/'],
        ['PUT', '/v2/ok/blobs/uploads/not-an-upload?digest=sha256:0'],
        ['PATCH', '/v2/ok/blobs/uploads/00000000-0000-0000-0000-000000000000'],
        ['PUT', '/v2/ok/manifests/v1', { body: 'null', headers: { 'Content-Type': MEDIA.ociManifest } }],
        ['PUT', '/v2/ok/manifests/v1', { body: '{"schemaVersion":2,"layers":"x"}' }],
        ['PUT', '/v2/ok/manifests/v1', { body: '{"schemaVersion":2,"manifests":[{}]}', headers: { 'Content-Type': MEDIA.ociIndex } }],
        ['PUT', '/v2/ok/manifests/-bad', { body: '{}' }],
        ['DELETE', '/v2/ok/blobs/uploads/'],
        ['POST', '/v2/ok/blobs/uploads/?mount=junk&from=../etc', { body: '' }],
      ];
      for (const [method, path, init] of cases) {
        const r = await fetch(url(path), { method, ...init });
        assert.ok(r.status >= 400 && r.status < 500 || (method === 'POST' && r.status === 202), `${method} ${path} gave ${r.status}`);
        if (r.status >= 400) assert.ok((await errorCode(r)).length > 0, `${method} ${path} has an OCI error body`);
        else await r.arrayBuffer();
      }
    });
  });

  describe('OCI registry: restart and recovery', () => {
    it('keeps blobs, manifests, tags and uploads in progress across a restart, and clears a crash’s leftovers', async () => {
      const d2 = await fsp.mkdtemp(join(tmpdir(), 'stratus-registry-'));
      const open = backend.open(d2);
      let r2: RunningRegistry | undefined;
      try {
        r2 = await startRegistry({ ...open(), host: '127.0.0.1', port: 0 });
        const data = Buffer.from('persisted');
        const d = digestOf(data);
        assert.equal((await fetch(`${r2.url}/v2/keep/blobs/uploads/?digest=${d}`, { method: 'POST', body: data })).status, 201);
        const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: MEDIA.ociConfig, digest: d, size: data.length }, layers: [] }));
        const put = await fetch(`${r2.url}/v2/keep/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'Content-Type': MEDIA.ociManifest } });
        assert.equal(put.status, 201, await put.text());
        // An upload in progress, resumed after the restart (its running hash is gone by then).
        const big = randomBytes(200_000);
        const loc = (await fetch(`${r2.url}/v2/keep/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
        assert.equal((await fetch(`${r2.url}${loc}`, { method: 'PATCH', body: big.subarray(0, 120_000) })).status, 202);
        await r2.close();
        r2 = undefined;
        // What a crash leaves: a half-written record, and an upload created without its name.
        await fsp.mkdir(join(d2, 'tmp'), { recursive: true });
        await fsp.writeFile(join(d2, 'tmp', 'half-written'), 'x');
        const halfUpload = join(d2, 'uploads', '11111111-2222-3333-4444-555555555555');
        await fsp.mkdir(halfUpload, { recursive: true });
        await fsp.writeFile(join(halfUpload, 'data'), 'partial');
        r2 = await startRegistry({ ...open(), host: '127.0.0.1', port: 0 });
        assert.deepEqual(Buffer.from(await (await fetch(`${r2.url}/v2/keep/blobs/${d}`)).arrayBuffer()), data);
        const m = await fetch(`${r2.url}/v2/keep/manifests/v1`, { headers: { Accept: MEDIA.ociManifest } });
        assert.equal(m.status, 200);
        assert.deepEqual(Buffer.from(await m.arrayBuffer()), manifest);
        assert.deepEqual(await fsp.readdir(join(d2, 'tmp')).catch(() => []), []);
        assert.equal(await fsp.stat(halfUpload).catch(() => undefined), undefined, 'the half-created upload is gone');
        const status = await fetch(`${r2.url}${loc}`);
        assert.equal(status.status, 204);
        assert.equal(status.headers.get('range'), '0-119999');
        const lie = await fetch(`${r2.url}${loc}?digest=${digestOf('not it')}`, { method: 'PUT', body: big.subarray(120_000) });
        assert.equal(lie.status, 400);
        assert.equal(await errorCode(lie), 'DIGEST_INVALID');
        const loc2 = (await fetch(`${r2.url}/v2/keep/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
        await fetch(`${r2.url}${loc2}`, { method: 'PATCH', body: big.subarray(0, 120_000) });
        await r2.close();
        r2 = await startRegistry({ ...open(), host: '127.0.0.1', port: 0 });
        const done = await fetch(`${r2.url}${loc2}?digest=${digestOf(big)}`, { method: 'PUT', body: big.subarray(120_000) });
        assert.equal(done.status, 201, await done.text());
        assert.deepEqual(Buffer.from(await (await fetch(`${r2.url}/v2/keep/blobs/${digestOf(big)}`)).arrayBuffer()), big);
      } finally {
        await r2?.close();
        await fsp.rm(d2, { recursive: true, force: true });
      }
    });
  });
});
