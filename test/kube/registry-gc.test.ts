import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { MemoryBlobStore } from '../../src/drivers/object/memory.js';
import { blobBackedStorage, collectGarbage } from '../../src/registry/index.js';
import { MEDIA } from '../../src/registry/names.js';

// Garbage collection over the BlobStore-backed storage (what the cluster runs): the unit tests
// next to gc.ts cover the rules with the file storage; this checks the BlobStore's keys go.

const digestOf = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const HOUR = 3600_000;

it('registry gc removes unreferenced BlobStore keys after the grace period and keeps referenced ones', async (t) => {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'stratus-reggc-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  const blobs = new MemoryBlobStore();
  const s = blobBackedStorage(blobs, dir);
  await s.recover();
  const push = async (text: string) => {
    const id = await s.createUpload('lib/kept');
    await s.appendUpload(id, (async function* () {
      yield Buffer.from(text);
    })());
    await s.commitUpload(id, digestOf(text));
    return digestOf(text);
  };
  const cfg = await push('cfg');
  const layer = await push('layer');
  const gone = await push('gone');
  const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg, size: 3 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: 5 }] }));
  await s.putManifest('lib/kept', { digest: digestOf(m), mediaType: MEDIA.ociManifest, bytes: m }, 'v1');
  const keys = async () => {
    const out: string[] = [];
    for await (const k of blobs.keys('registry')) out.push(k.slice('registry/sha256/'.length));
    return out.sort();
  };
  assert.equal((await keys()).length, 4);
  assert.equal((await collectGarbage(s)).waiting, 1);
  const r = await collectGarbage(s, { now: () => Date.now() + 2 * HOUR });
  assert.deepEqual(r.swept, [{ digest: gone, size: 4 }]);
  assert.deepEqual(await keys(), [cfg, layer, digestOf(m)].map((d) => d.slice(7)).sort());
});
