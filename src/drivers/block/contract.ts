import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { BlockImageTooLarge, BlockNotFound, GiB, type BlockDriver } from './driver.js';

export interface BlockContractHooks {
  /** Bytes of a volume or snapshot as a guest would read them. */
  read(d: BlockDriver, id: string, start: number, length: number, kind?: 'volume' | 'snapshot'): Promise<Buffer>;
  /** Names of temporary files currently present. */
  tmpFiles(d: BlockDriver): Promise<string[]>;
  /** Leaves a temporary file behind as a crash would; undefined when the driver has none. */
  plantTmp?: (d: BlockDriver) => Promise<void>;
  /** Bytes actually allocated for a volume (sparse files), when the driver can tell. */
  allocated?: (d: BlockDriver, id: string) => Promise<number>;
}

const id = () => `t-${randomBytes(6).toString('hex')}`;

/** A qcow2 header claiming `virtual` bytes (enough for the magic and size fields). */
export function qcow2Header(virtual: number): Buffer {
  const b = Buffer.alloc(512);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(3, 4);
  b.writeBigUInt64BE(BigInt(virtual), 24);
  return b;
}

async function* failing(chunks: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < chunks; i++) {
    yield randomBytes(4096);
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('image source broke');
}

/**
 * The BlockDriver contract (driver.ts), run against every implementation by block.test.ts.
 * `make` returns a fresh, empty driver.
 */
export function blockDriverContract(name: string, make: () => Promise<BlockDriver>, hooks: BlockContractHooks): void {
  describe(`BlockDriver contract: ${name}`, () => {
    it('create makes a sparse raw volume of N GiB; again is a no-op', async () => {
      const d = await make();
      const v = id();
      await d.create(v, 2);
      const info = await d.info(v);
      assert.equal(info?.sizeBytes, 2 * GiB);
      assert.equal(info?.format, 'raw');
      assert.ok(info.path.length > 0);
      if (hooks.allocated) assert.ok((await hooks.allocated(d, v)) < 1024 * 1024, 'blank volumes are sparse');
      await d.create(v, 2);
      assert.deepEqual(await d.info(v), info);
      assert.deepEqual((await hooks.read(d, v, GiB, 16)), Buffer.alloc(16));
      assert.deepEqual((await d.list()).volumes, [v]);
    });

    it('createFromImage copies raw bytes and pads to the volume size', async () => {
      const d = await make();
      const v = id();
      const bytes = Buffer.concat([randomBytes(70_000), Buffer.alloc(2 * 1024 * 1024), randomBytes(5)]);
      const r = await d.createFromImage(v, 1, { stream: Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), diskFormat: 'raw' });
      assert.deepEqual(r, { format: 'raw', converted: false });
      assert.equal((await d.info(v))?.sizeBytes, GiB);
      assert.deepEqual(await hooks.read(d, v, 0, bytes.length), bytes);
      assert.deepEqual(await hooks.read(d, v, bytes.length, 64), Buffer.alloc(64));
    });

    it('createFromImage on an existing volume does not read the source', async () => {
      const d = await make();
      const v = id();
      await d.create(v, 1);
      const src = new Readable({ read() {} });
      await d.createFromImage(v, 1, { stream: src, diskFormat: 'raw' });
      assert.ok(src.destroyed, 'the unread source is destroyed');
      assert.deepEqual(await hooks.read(d, v, 0, 8), Buffer.alloc(8));
    });

    it('an image larger than the volume: BlockImageTooLarge, nothing left behind', async () => {
      const d = await make();
      const v = id();
      // Zeros, so that the part that fits costs neither disk nor memory.
      const zeros = Buffer.alloc(16 * 1024 * 1024);
      const big = Readable.from((async function* () {
        for (let i = 0; i < 65; i++) yield zeros;
      })());
      await assert.rejects(d.createFromImage(v, 1, { stream: big, diskFormat: 'raw' }), BlockImageTooLarge);
      assert.equal(await d.info(v), undefined);
      assert.deepEqual(await hooks.tmpFiles(d), []);
      await assert.rejects(d.createFromImage(v, 1, { stream: Readable.from([qcow2Header(2 * GiB)]), diskFormat: 'qcow2' }), BlockImageTooLarge);
      assert.equal(await d.info(v), undefined);
      assert.deepEqual(await hooks.tmpFiles(d), []);
    });

    it('a failing image source rejects and leaves nothing; the id stays free', async () => {
      const d = await make();
      const v = id();
      await assert.rejects(d.createFromImage(v, 1, { stream: failing(5), diskFormat: 'raw' }), /image source broke/);
      assert.equal(await d.info(v), undefined);
      assert.deepEqual(await hooks.tmpFiles(d), []);
      await d.createFromImage(v, 1, { stream: Readable.from([Buffer.from('ok')]), diskFormat: 'raw' });
      assert.equal((await hooks.read(d, v, 0, 2)).toString(), 'ok');
    });

    it('a qcow2 image is converted when the driver can, else stored as-is with a note', async (t) => {
      const d = await make();
      if (d.capabilities.convertsQcow2) {
        t.skip('converting drivers are checked with a real qcow2 image in their own tests');
        return;
      }
      const v = id();
      const img = Buffer.concat([qcow2Header(GiB / 2), randomBytes(1000)]);
      const r = await d.createFromImage(v, 1, { stream: Readable.from([img]), diskFormat: 'qcow2' });
      assert.equal(r.format, 'qcow2');
      assert.equal(r.converted, false);
      assert.match(r.note ?? '', /as-is/);
      const info = await d.info(v);
      assert.equal(info?.format, 'qcow2');
      assert.equal(info?.sizeBytes, GiB / 2);
      assert.deepEqual(await hooks.read(d, v, 0, img.length), img);
    });

    it('clone copies the bytes into a volume at least as large; missing source: BlockNotFound', async () => {
      const d = await make();
      const [a, b] = [id(), id()];
      const bytes = randomBytes(50_000);
      await d.createFromImage(a, 1, { stream: Readable.from([bytes]), diskFormat: 'raw' });
      await d.clone(a, b, 3);
      assert.equal((await d.info(b))?.sizeBytes, 3 * GiB);
      assert.deepEqual(await hooks.read(d, b, 0, bytes.length), bytes);
      await d.clone(a, b, 3);
      await assert.rejects(d.clone(id(), id(), 1), (e: unknown) => e instanceof BlockNotFound && e.what === 'volume');
      assert.deepEqual(await hooks.tmpFiles(d), []);
    });

    it('snapshot is an independent copy; a volume from it has its bytes; deleting the volume keeps it', async () => {
      const d = await make();
      const [v, s, w] = [id(), id(), id()];
      const bytes = randomBytes(30_000);
      await d.createFromImage(v, 1, { stream: Readable.from([bytes]), diskFormat: 'raw' });
      await d.snapshot(v, s);
      await d.snapshot(v, s);
      assert.equal((await d.snapshotInfo(s))?.sizeBytes, GiB);
      assert.deepEqual(await hooks.read(d, s, 0, bytes.length, 'snapshot'), bytes);
      assert.equal(await d.delete(v), true);
      await d.createFromSnapshot(s, w, 2);
      assert.equal((await d.info(w))?.sizeBytes, 2 * GiB);
      assert.deepEqual(await hooks.read(d, w, 0, bytes.length), bytes);
      assert.deepEqual((await d.list()).snapshots, [s]);
      await assert.rejects(d.snapshot(id(), id()), BlockNotFound);
      await assert.rejects(d.createFromSnapshot(id(), id(), 1), (e: unknown) => e instanceof BlockNotFound && e.what === 'snapshot');
    });

    it('readStream streams the volume bytes from the start; missing: BlockNotFound', async () => {
      const d = await make();
      const v = id();
      const bytes = randomBytes(70_000);
      await d.createFromImage(v, 1, { stream: Readable.from([bytes]), diskFormat: 'raw' });
      const stream = await d.readStream(v);
      const got: Buffer[] = [];
      let n = 0;
      for await (const chunk of stream) {
        got.push(Buffer.from(chunk as Uint8Array));
        n += (chunk as Uint8Array).length;
        if (n >= bytes.length + 10) break;
      }
      stream.destroy();
      const head = Buffer.concat(got);
      assert.deepEqual(head.subarray(0, bytes.length), bytes);
      assert.ok(head.subarray(bytes.length, bytes.length + 10).every((b) => b === 0), 'the rest reads as zeros');
      await assert.rejects(d.readStream(id()), (e: unknown) => e instanceof BlockNotFound && e.what === 'volume');
    });

    it('extend grows and keeps the bytes; a smaller or equal size is a no-op; missing: BlockNotFound', async () => {
      const d = await make();
      const v = id();
      const bytes = randomBytes(10_000);
      await d.createFromImage(v, 1, { stream: Readable.from([bytes]), diskFormat: 'raw' });
      await d.extend(v, 4);
      assert.equal((await d.info(v))?.sizeBytes, 4 * GiB);
      await d.extend(v, 4);
      await d.extend(v, 2);
      assert.equal((await d.info(v))?.sizeBytes, 4 * GiB);
      assert.deepEqual(await hooks.read(d, v, 0, bytes.length), bytes);
      await assert.rejects(d.extend(id(), 2), BlockNotFound);
    });

    it('delete and deleteSnapshot are idempotent and report whether something was removed', async () => {
      const d = await make();
      const [v, s] = [id(), id()];
      await d.create(v, 1);
      await d.snapshot(v, s);
      assert.equal(await d.deleteSnapshot(s), true);
      assert.equal(await d.deleteSnapshot(s), false);
      assert.equal(await d.delete(v), true);
      assert.equal(await d.delete(v), false);
      assert.equal(await d.info(v), undefined);
      assert.equal(await d.snapshotInfo(s), undefined);
      assert.deepEqual(await d.list(), { volumes: [], snapshots: [] });
    });

    it('rejects bad ids and sizes before touching storage', async () => {
      const d = await make();
      for (const bad of ['', '../x', 'a/b', 'x'.repeat(65), 'sp ace']) await assert.rejects(d.create(bad, 1));
      for (const size of [0, -1, 1.5]) await assert.rejects(d.create(id(), size));
      assert.deepEqual(await d.list(), { volumes: [], snapshots: [] });
    });

    it('recover removes leftovers of a crash', async (t) => {
      const d = await make();
      if (!hooks.plantTmp) {
        assert.equal(await d.recover(), 0);
        t.skip('no temporary files in this driver');
        return;
      }
      await hooks.plantTmp(d);
      assert.equal((await hooks.tmpFiles(d)).length, 1);
      assert.equal(await d.recover(), 1);
      assert.deepEqual(await hooks.tmpFiles(d), []);
    });
  });
}
