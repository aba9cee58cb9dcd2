import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { FsRegistryStorage } from './fs-storage.js';
import { collectGarbage } from './gc.js';
import { MEDIA } from './names.js';
import { startRegistry } from './server.js';

const digestOf = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const HOUR = 3600_000;
/** A clock `h` hours ahead of now (link times are real file times). */
const later = (h: number) => () => Date.now() + h * HOUR;

async function* bytes(text: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(text);
}

async function storage(t: TestContext): Promise<{ s: FsRegistryStorage; dir: string }> {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'stratus-reggc-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  const s = new FsRegistryStorage(dir);
  await s.recover();
  return { s, dir };
}

/** Uploads `text` as a blob into repository `name` (as a push does); resolves its digest. */
async function pushBlob(s: FsRegistryStorage, name: string, text: string): Promise<string> {
  const id = await s.createUpload(name);
  await s.appendUpload(id, bytes(text));
  const digest = digestOf(text);
  await s.commitUpload(id, digest);
  return digest;
}

/** An OCI image manifest over config `c` and layers `ls` (digests of strings pushed as blobs). */
function imageManifest(c: [string, string], ls: [string, string][]): { digest: string; mediaType: string; bytes: Buffer } {
  const d = ([digest, text]: [string, string], mediaType: string) => ({ mediaType, digest, size: Buffer.byteLength(text) });
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: d(c, 'application/vnd.oci.image.config.v1+json'), layers: ls.map((l) => d(l, 'application/vnd.oci.image.layer.v1.tar')) }));
  return { digest: digestOf(bytes), mediaType: MEDIA.ociManifest, bytes };
}

describe('registry garbage collection', () => {
  it('keeps what manifests reference and sweeps the rest once the grace period is over', async (t) => {
    const { s } = await storage(t);
    const cfg = await pushBlob(s, 'lib/app', 'config-1');
    const layer = await pushBlob(s, 'lib/app', 'layer-1');
    const m = imageManifest([cfg, 'config-1'], [[layer, 'layer-1']]);
    await s.putManifest('lib/app', m, 'v1');
    const orphan = await pushBlob(s, 'lib/app', 'pushed but never used');

    let r = await collectGarbage(s);
    assert.deepEqual(r.swept, [], 'the orphan is within the grace period');
    assert.equal(r.waiting, 1);
    assert.equal(r.referenced, 3, 'manifest, config and layer');
    r = await collectGarbage(s, { now: later(2) });
    assert.deepEqual(r.swept, [{ digest: orphan, size: 21 }]);
    assert.equal(await s.blobSize(orphan), undefined);
    assert.equal(await s.hasBlob('lib/app', orphan), false, 'its repository link went with it');
    for (const d of [cfg, layer, m.digest]) assert.ok((await s.blobSize(d)) !== undefined, `${d} is referenced`);

    // Deleting the manifest leaves its blobs unreferenced: first seen now, swept a grace period later.
    assert.ok(await s.deleteManifest('lib/app', m.digest));
    r = await collectGarbage(s, { now: later(2) });
    assert.equal(r.swept.length, 0);
    assert.equal(r.waiting, 3);
    r = await collectGarbage(s, { now: later(4) });
    assert.deepEqual(r.swept.map((x) => x.digest).sort(), [cfg, layer, m.digest].sort());
    assert.equal(r.bytesFreed, 8 + 7 + m.bytes.length);
    assert.deepEqual(await s.contentDigests(), [], 'no content is left');
    assert.deepEqual(await s.blobLinks(), [], 'no repository links either');
  });

  it('never sweeps a blob uploaded for a manifest not put yet, nor an upload in progress', async (t) => {
    const { s } = await storage(t);
    const cfg = await pushBlob(s, 'lib/race', 'cfg');
    const layer = await pushBlob(s, 'lib/race', 'layer');
    const open = await s.createUpload('lib/race');
    await s.appendUpload(open, bytes('half a layer'));
    // A collection runs between the blob uploads and the manifest put.
    const r = await collectGarbage(s);
    assert.deepEqual(r.swept, []);
    assert.equal(r.waiting, 2);
    const m = imageManifest([cfg, 'cfg'], [[layer, 'layer']]);
    await s.putManifest('lib/race', m, 'v1');
    assert.deepEqual((await collectGarbage(s, { now: later(3) })).swept, [], 'the manifest references them now');
    assert.deepEqual(await s.upload(open), { name: 'lib/race', size: 12 }, 'the upload in progress is untouched');
  });

  it('waits for a push that checked its blobs before sweeping (shared/exclusive gate)', async (t) => {
    const { s } = await storage(t);
    const layer = await pushBlob(s, 'lib/gate', 'old layer');
    const cfg = await pushBlob(s, 'lib/gate', 'old cfg');
    await collectGarbage(s); // both seen unreferenced now
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const m = imageManifest([cfg, 'old cfg'], [[layer, 'old layer']]);
    // A manifest put: its check passed, its write is about to happen when the collection starts.
    const push = s.referencing(async () => {
      assert.ok((await s.blobSize(layer)) !== undefined);
      await held;
      await s.putManifest('lib/gate', m, 'v1');
    });
    let finished = false;
    const gc = collectGarbage(s, { now: later(2) }).then((r) => ((finished = true), r));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(finished, false, 'the collection waits for the push');
    release();
    await push;
    assert.deepEqual((await gc).swept, [], 'the manifest landed first, so its blobs are referenced');
    assert.ok((await s.blobSize(layer)) !== undefined);
  });

  it('keeps index children and their blobs even when the child record is gone; a dry run deletes nothing', async (t) => {
    const { s } = await storage(t);
    const cfg = await pushBlob(s, 'lib/multi', 'c');
    const layer = await pushBlob(s, 'lib/multi', 'l');
    const child = imageManifest([cfg, 'c'], [[layer, 'l']]);
    await s.putManifest('lib/multi', child);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, digest: child.digest, size: child.bytes.length, platform: { os: 'linux', architecture: 'amd64' } }] }));
    await s.putManifest('lib/multi', { digest: digestOf(index), mediaType: MEDIA.ociIndex, bytes: index }, 'latest');
    await s.deleteManifest('lib/multi', child.digest);
    const r = await collectGarbage(s, { now: later(2) });
    assert.deepEqual(r.swept, []);
    assert.equal(r.referenced, 4, 'index, child, config, layer');

    await s.deleteManifest('lib/multi', digestOf(index));
    await collectGarbage(s, { now: later(2) });
    const dry = await collectGarbage(s, { now: later(4), dryRun: true });
    assert.equal(dry.swept.length, 4);
    assert.ok((await s.blobSize(layer)) !== undefined, 'a dry run deletes nothing');
    assert.equal((await collectGarbage(s, { now: later(4) })).swept.length, 4);
  });

  it('stops before deleting anything when a manifest cannot be read', async (t) => {
    const { s, dir } = await storage(t);
    const orphan = await pushBlob(s, 'lib/bad', 'orphan');
    const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] }));
    await s.putManifest('lib/bad', { digest: digestOf(m), mediaType: MEDIA.ociIndex, bytes: m }, 'v1');
    await collectGarbage(s);
    await fsp.writeFile(join(dir, 'blobs', 'sha256', digestOf(m).slice(7)), 'not json');
    await assert.rejects(collectGarbage(s, { now: later(2) }), /garbage collection stopped, nothing deleted: manifest sha256:\w+ \(in lib\/bad\) cannot be parsed/);
    assert.ok((await s.blobSize(orphan)) !== undefined);
  });

  it('runs on demand over HTTP (POST /v2/_stratus/gc) and reports', async (t) => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'stratus-reggc-'));
    t.after(() => fsp.rm(dir, { recursive: true, force: true }));
    const reg = await startRegistry({ dir, host: '127.0.0.1', port: 0, gc: { intervalMs: 0 } });
    t.after(() => reg.close());
    const put = await fetch(`${reg.url}/v2/lib/http/blobs/uploads/?digest=${digestOf('blob')}`, { method: 'POST', body: 'blob' });
    assert.equal(put.status, 201);
    const r = await fetch(`${reg.url}/v2/_stratus/gc?dry_run=true`, { method: 'POST' });
    assert.equal(r.status, 200);
    const report = (await r.json()) as { waiting: number; swept: unknown[]; dryRun: boolean };
    assert.deepEqual([report.waiting, report.swept.length, report.dryRun], [1, 0, true]);
    const wrong = await fetch(`${reg.url}/v2/_stratus/gc`);
    assert.equal(wrong.status, 405);
    assert.match(((await wrong.json()) as { errors: { message: string }[] }).errors[0]!.message, /use POST/);
    assert.equal((await reg.collectGarbage!()).waiting, 1);
  });
});
