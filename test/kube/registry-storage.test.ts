import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import type { BlobStore } from '../../src/drivers/object/driver.js';
import { FsBlobStore } from '../../src/drivers/object/fs.js';
import { MemoryBlobStore } from '../../src/drivers/object/memory.js';
import { STALE_UPLOAD_MS } from '../../src/registry/dir-records.js';
import { BlobRegistryStorage, FsRegistryStorage, RegistryError, type RegistryStorage } from '../../src/registry/index.js';
import { MEDIA } from '../../src/registry/names.js';

// The RegistryStorage contract (storage.ts), checked against every implementation.

const digestOf = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function* chunks(...parts: Buffer[]): AsyncIterable<Uint8Array> {
  for (const p of parts) {
    yield p;
    await new Promise((r) => setImmediate(r));
  }
}
async function* failing(part: Buffer): AsyncIterable<Uint8Array> {
  yield part;
  await new Promise((r) => setImmediate(r));
  throw new Error('client went away');
}
async function readAll(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(out);
}
async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof RegistryError && e.code === code && e.message.length > 0);
}
async function keys(blobs: BlobStore): Promise<string[]> {
  const out: string[] = [];
  for await (const k of blobs.keys('registry')) out.push(k);
  return out.sort();
}

interface Made {
  storage: RegistryStorage;
  /** The BlobStore behind it, when there is one. */
  blobs?: BlobStore;
  /** Temporary files of the BlobStore (FsBlobStore only). */
  blobTmp?: () => Promise<string[]>;
  /** The directory holding the records and staged uploads. */
  records: string;
}
type Make = (t: TestContext) => Promise<Made>;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'stratus-regstore-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  return dir;
}

const STORAGES: [string, Make][] = [
  ['FsRegistryStorage', async (t) => {
    const dir = await tempDir(t);
    return { storage: new FsRegistryStorage(dir), records: dir };
  }],
  ['BlobRegistryStorage over MemoryBlobStore', async (t) => {
    const dir = await tempDir(t);
    const blobs = new MemoryBlobStore();
    return { storage: new BlobRegistryStorage(blobs, dir), blobs, records: dir };
  }],
  ['BlobRegistryStorage over FsBlobStore', async (t) => {
    const dir = await tempDir(t);
    const blobs = new FsBlobStore(join(dir, 'objects'));
    const blobTmp = () => fsp.readdir(join(dir, 'objects', 'tmp')).catch(() => [] as string[]);
    return { storage: new BlobRegistryStorage(blobs, join(dir, 'records')), blobs, blobTmp, records: join(dir, 'records') };
  }],
];

for (const [label, make] of STORAGES) {
  describe(`RegistryStorage contract: ${label}`, () => {
    it('commits an upload built from several appends and serves it whole and by range', async (t) => {
      const { storage, blobs } = await make(t);
      const data = randomBytes(3 << 20);
      const id = await storage.createUpload('app/web');
      assert.deepEqual(await storage.upload(id), { name: 'app/web', size: 0 });
      assert.equal(await storage.appendUpload(id, chunks(data.subarray(0, 1 << 20))), 1 << 20);
      assert.equal(await storage.appendUpload(id, chunks(data.subarray(1 << 20, 2 << 20), data.subarray(2 << 20))), 3 << 20);
      const d = digestOf(data);
      assert.deepEqual(await storage.commitUpload(id, d), { size: 3 << 20 });
      assert.equal(await storage.upload(id), undefined, 'the upload is gone once committed');
      assert.equal(await storage.hasBlob('app/web', d), true);
      assert.equal(await storage.hasBlob('app/other', d), false);
      assert.equal(await storage.blobSize(d), data.length);
      assert.deepEqual(await readAll(await storage.openBlob(d)), data);
      assert.deepEqual(await readAll(await storage.openBlob(d, { start: 10, end: 19 })), data.subarray(10, 20));
      if (blobs) assert.deepEqual(await keys(blobs), [`registry/sha256/${d.slice(7)}`]);
    });

    it('truncates an upload back when a source fails part-way, and still commits the right content', async (t) => {
      const { storage } = await make(t);
      const good = randomBytes(50_000);
      const id = await storage.createUpload('app/cut');
      await storage.appendUpload(id, chunks(good.subarray(0, 20_000)));
      await assert.rejects(storage.appendUpload(id, failing(randomBytes(10_000))), /client went away/);
      assert.equal((await storage.upload(id))?.size, 20_000);
      await storage.appendUpload(id, chunks(good.subarray(20_000)));
      assert.deepEqual(await storage.commitUpload(id, digestOf(good)), { size: good.length });
      assert.deepEqual(await readAll(await storage.openBlob(digestOf(good))), good);
    });

    it('refuses a second append while one runs', async (t) => {
      const { storage } = await make(t);
      const id = await storage.createUpload('app/busy');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow = storage.appendUpload(
        id,
        (async function* () {
          yield Buffer.from('a');
          await gate;
          yield Buffer.from('b');
        })(),
      );
      await new Promise((r) => setTimeout(r, 20));
      await rejectsWith(storage.appendUpload(id, chunks(Buffer.from('x'))), 'BLOB_UPLOAD_INVALID');
      release();
      assert.equal(await slow, 2);
    });

    it('discards an upload whose content does not match its digest, keeping nothing', async (t) => {
      const { storage, blobs, blobTmp } = await make(t);
      const id = await storage.createUpload('app/bad');
      await storage.appendUpload(id, chunks(Buffer.from('real content')));
      const lie = digestOf('other content');
      await rejectsWith(storage.commitUpload(id, lie), 'DIGEST_INVALID');
      assert.equal(await storage.upload(id), undefined);
      assert.equal(await storage.blobSize(lie), undefined);
      assert.equal(await storage.hasBlob('app/bad', lie), false);
      if (blobs) assert.deepEqual(await keys(blobs), []);
      if (blobTmp) assert.deepEqual(await blobTmp(), []);
      await rejectsWith(storage.commitUpload(id, lie), 'BLOB_UPLOAD_UNKNOWN');
    });

    it('treats content that already exists as success, also for concurrent commits', async (t) => {
      const { storage, blobs } = await make(t);
      const data = randomBytes(100_000);
      const d = digestOf(data);
      const ids = await Promise.all(['a/one', 'a/two', 'a/three'].map((n) => storage.createUpload(n)));
      for (const id of ids) await storage.appendUpload(id, chunks(data));
      const results = await Promise.all(ids.map((id) => storage.commitUpload(id, d)));
      assert.deepEqual(results, ids.map(() => ({ size: data.length })));
      for (const n of ['a/one', 'a/two', 'a/three']) assert.equal(await storage.hasBlob(n, d), true);
      assert.deepEqual(await readAll(await storage.openBlob(d)), data);
      if (blobs) {
        // Content put into the BlobStore by someone else first is success too.
        const other = Buffer.from('already there');
        await blobs.put(`registry/sha256/${digestOf(other).slice(7)}`, Readable.from([other]));
        const id = await storage.createUpload('a/four');
        await storage.appendUpload(id, chunks(other));
        assert.deepEqual(await storage.commitUpload(id, digestOf(other)), { size: other.length });
        assert.equal((await keys(blobs)).length, 2);
      }
    });

    it('cancels uploads and links, unlinks and mounts blobs', async (t) => {
      const { storage } = await make(t);
      const id = await storage.createUpload('app/x');
      assert.equal(await storage.cancelUpload(id), true);
      assert.equal(await storage.cancelUpload(id), false);
      assert.equal(await storage.upload('not-an-id'), undefined);
      await rejectsWith(storage.appendUpload(id, chunks(Buffer.from('late'))), 'BLOB_UPLOAD_UNKNOWN');
      const data = Buffer.from('layer');
      const up = await storage.createUpload('app/x');
      await storage.appendUpload(up, chunks(data));
      await storage.commitUpload(up, digestOf(data));
      await storage.linkBlob('app/y', digestOf(data));
      assert.equal(await storage.hasBlob('app/y', digestOf(data)), true);
      assert.equal(await storage.unlinkBlob('app/x', digestOf(data)), true);
      assert.equal(await storage.unlinkBlob('app/x', digestOf(data)), false);
      assert.equal(await storage.hasBlob('app/x', digestOf(data)), false);
      assert.equal(await storage.blobSize(digestOf(data)), data.length, 'unlinking keeps the bytes (no GC)');
      assert.equal(await storage.hasBlob('app/y', 'sha256:nope'), false);
      assert.equal(await storage.hasBlob('UPPER', digestOf(data)), false);
    });

    it('stores manifests idempotently, moves tags, and deletes a manifest with its tags', async (t) => {
      const { storage } = await make(t);
      const m1 = Buffer.from(JSON.stringify({ schemaVersion: 2, n: 1 }));
      const m2 = Buffer.from(JSON.stringify({ schemaVersion: 2, n: 2 }));
      const r1 = { digest: digestOf(m1), mediaType: MEDIA.ociManifest, bytes: m1 };
      const r2 = { digest: digestOf(m2), mediaType: MEDIA.dockerManifest, bytes: m2 };
      assert.equal(await storage.tags('lib/app'), undefined);
      await storage.putManifest('lib/app', r1, 'latest');
      await storage.putManifest('lib/app', r1, 'latest');
      await storage.putManifest('lib/app', r1, 'v1');
      assert.deepEqual(await storage.getManifest('lib/app', r1.digest), r1);
      assert.equal(await storage.getManifest('lib/other', r1.digest), undefined);
      await storage.putManifest('lib/app', r2, 'latest');
      assert.equal(await storage.resolveTag('lib/app', 'latest'), r2.digest);
      assert.equal(await storage.resolveTag('lib/app', 'v1'), r1.digest);
      assert.deepEqual(await storage.tags('lib/app'), ['latest', 'v1']);
      assert.deepEqual(await storage.repositories(), ['lib/app']);
      await rejectsWith(storage.putManifest('lib/app', { ...r1, bytes: m2 }), 'DIGEST_INVALID');
      await rejectsWith(storage.putManifest('lib/app', r1, '-bad'), 'MANIFEST_INVALID');
      assert.equal(await storage.deleteManifest('lib/app', r1.digest), true);
      assert.deepEqual(await storage.tags('lib/app'), ['latest']);
      assert.equal(await storage.deleteManifest('lib/app', r1.digest), false);
      assert.equal(await storage.deleteTag('lib/app', 'latest'), true);
      assert.equal(await storage.deleteTag('lib/app', 'latest'), false);
      assert.equal(await storage.resolveTag('lib/app', 'latest'), undefined);
      assert.equal(await storage.resolveTag('lib/app', 'bad tag'), undefined);
    });

    it('recovers: keeps fresh uploads, removes stale and half-created ones and temporary files', async (t) => {
      const { storage, records } = await make(t);
      const fresh = await storage.createUpload('app/r');
      await storage.appendUpload(fresh, chunks(Buffer.from('kept')));
      const stale = await storage.createUpload('app/r');
      await storage.putManifest('app/r', { digest: digestOf('{}'), mediaType: MEDIA.ociManifest, bytes: Buffer.from('{}') });
      // What a crash leaves: a record being written, an upload created without its name.
      await fsp.writeFile(join(records, 'tmp', 'half-written'), 'x');
      const half = join(records, 'uploads', '00000000-1111-2222-3333-444444444444');
      await fsp.mkdir(half);
      await fsp.writeFile(join(half, 'data'), 'partial');
      await storage.recover();
      assert.deepEqual(await fsp.readdir(join(records, 'tmp')).catch(() => []), []);
      assert.deepEqual((await fsp.readdir(join(records, 'uploads'))).sort(), [fresh, stale].sort());
      assert.deepEqual(await storage.upload(fresh), { name: 'app/r', size: 4 });
      assert.ok(await storage.upload(stale));
      // An upload nobody touched for longer than STALE_UPLOAD_MS goes; one written to since stays.
      const old = new Date(Date.now() - STALE_UPLOAD_MS - 60_000);
      for (const f of ['name', 'data']) await fsp.utimes(join(records, 'uploads', stale, f), old, old);
      await fsp.utimes(join(records, 'uploads', fresh, 'name'), old, old);
      await storage.recover();
      assert.deepEqual(await storage.upload(fresh), { name: 'app/r', size: 4 });
      assert.equal(await storage.upload(stale), undefined);
      assert.ok(await storage.getManifest('app/r', digestOf('{}')), 'recovery never touches committed data');
    });
  });
}

describe('BlobRegistryStorage over a directory an FsRegistryStorage wrote', () => {
  it('moves the old content into the BlobStore at recover() and serves everything', async (t) => {
    const dir = await tempDir(t);
    const old = new FsRegistryStorage(dir);
    const layer = randomBytes(200_000);
    const id = await old.createUpload('lib/app');
    await old.appendUpload(id, chunks(layer));
    await old.commitUpload(id, digestOf(layer));
    const m = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [{ digest: digestOf(layer) }] }));
    await old.putManifest('lib/app', { digest: digestOf(m), mediaType: MEDIA.ociManifest, bytes: m }, 'v1');
    // A corrupt file (bytes that do not match the name) is left alone, not imported.
    await fsp.writeFile(join(dir, 'blobs', 'sha256', digestOf('good').slice(7)), 'evil');

    const blobs = new FsBlobStore(join(dir, 'objects'));
    const storage = new BlobRegistryStorage(blobs, dir);
    await storage.recover();
    assert.deepEqual(await readAll(await storage.openBlob(digestOf(layer))), layer);
    assert.equal(await storage.hasBlob('lib/app', digestOf(layer)), true);
    assert.equal(await storage.resolveTag('lib/app', 'v1'), digestOf(m));
    assert.deepEqual((await storage.getManifest('lib/app', digestOf(m)))?.bytes, m);
    assert.deepEqual(await keys(blobs), [digestOf(m), digestOf(layer)].map((d) => `registry/sha256/${d.slice(7)}`).sort());
    assert.deepEqual(await fsp.readdir(join(dir, 'blobs', 'sha256')), [digestOf('good').slice(7)]);
    await storage.recover(); // idempotent
    assert.equal((await keys(blobs)).length, 2);
  });
});
