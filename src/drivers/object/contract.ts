import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { BlobExists, BlobNotFound, BlobTooLarge, type BlobStore } from './driver.js';

export interface BlobContractHooks {
  /** Names of temporary files currently present (implementations without any return []). */
  tmpFiles(store: BlobStore): Promise<string[]>;
  /** Leaves a temporary file behind as a crash would; undefined when the store has none. */
  plantTmp?: (store: BlobStore) => Promise<void>;
}

/** Reads a blob fully. */
export async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

async function listKeys(store: BlobStore, ns: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.keys(ns)) out.push(k);
  return out.sort();
}

/** A source that yields `chunks` chunks of `size` bytes, then fails. */
async function* failingSource(chunks: number, size: number, err = new Error('source broke')): AsyncIterable<Uint8Array> {
  for (let i = 0; i < chunks; i++) {
    yield randomBytes(size);
    await new Promise((r) => setImmediate(r));
  }
  throw err;
}

async function* chunked(buf: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');

/**
 * The BlobStore contract (driver.ts), run against every implementation by object.test.ts.
 * `make` returns a fresh, empty store.
 */
export function blobStoreContract(name: string, make: () => Promise<BlobStore>, hooks: BlobContractHooks): void {
  describe(`BlobStore contract: ${name}`, () => {
    it('put then open returns the same bytes, with size and md5', async () => {
      const s = await make();
      const data = randomBytes(200_000);
      const r = await s.put('ns/one', Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
      assert.equal(r.size, data.length);
      assert.equal(r.hashes.md5, md5(data));
      assert.deepEqual(await readAll(await s.open('ns/one')), data);
      assert.deepEqual(await s.stat('ns/one'), { size: data.length });
    });

    it('accepts any async iterable of bytes as the source, and an empty one', async () => {
      const s = await make();
      const data = randomBytes(70_000);
      const r = await s.put('ns/iter', chunked(data, 4096));
      assert.equal(r.size, data.length);
      assert.deepEqual(await readAll(await s.open('ns/iter')), data);
      const e = await s.put('ns/empty', Readable.from([]));
      assert.equal(e.size, 0);
      assert.equal(e.hashes.md5, 'd41d8cd98f00b204e9800998ecf8427e');
      assert.deepEqual(await s.stat('ns/empty'), { size: 0 });
      assert.equal((await readAll(await s.open('ns/empty'))).length, 0);
    });

    it('computes the requested hashes correctly (md5 always)', async () => {
      const s = await make();
      const data = randomBytes(100_003);
      const r = await s.put('ns/hashed', chunked(data, 7777), { hashes: ['sha512', 'sha256', 'md5'] });
      assert.equal(r.hashes.md5, md5(data));
      assert.equal(r.hashes.sha256, sha('sha256', data));
      assert.equal(r.hashes.sha512, sha('sha512', data));
      const plain = await s.put('ns/plain', chunked(data, 7777));
      assert.deepEqual(Object.keys(plain.hashes), ['md5']);
      const known = await s.put('ns/known', Readable.from([Buffer.from('hello')]), { hashes: ['sha512'] });
      assert.equal(known.hashes.md5, '5d41402abc4b2a76b9719d911017c592');
      assert.equal(
        known.hashes.sha512,
        '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043',
      );
    });

    it('range reads are inclusive', async () => {
      const s = await make();
      const data = Buffer.from('0123456789abcdefghij');
      await s.put('ns/range', Readable.from([data]));
      const range = async (start: number, end: number) => (await readAll(await s.open('ns/range', { start, end }))).toString();
      assert.equal(await range(0, 0), '0');
      assert.equal(await range(0, 9), '0123456789');
      assert.equal(await range(10, 19), 'abcdefghij');
      assert.equal(await range(5, 5), '5');
      assert.equal(await range(19, 19), 'j');
      const big = randomBytes(300_000);
      await s.put('ns/bigrange', chunked(big, 65536));
      assert.deepEqual(await readAll(await s.open('ns/bigrange', { start: 65530, end: 200_000 })), big.subarray(65530, 200_001));
    });

    it('open and stat of a missing key: BlobNotFound and undefined', async () => {
      const s = await make();
      await assert.rejects(s.open('ns/missing'), (e: unknown) => e instanceof BlobNotFound && e.key === 'ns/missing');
      assert.equal(await s.stat('ns/missing'), undefined);
    });

    it('keys are write-once: put on an existing key rejects with BlobExists and keeps the original', async () => {
      const s = await make();
      await s.put('ns/once', Readable.from([Buffer.from('first')]));
      await assert.rejects(s.put('ns/once', Readable.from([Buffer.from('second!')])), (e: unknown) => e instanceof BlobExists);
      assert.equal((await readAll(await s.open('ns/once'))).toString(), 'first');
      assert.deepEqual(await hooks.tmpFiles(s), []);
    });

    it('concurrent puts to one key: exactly one wins and the stored bytes are the winner\'s', async () => {
      const s = await make();
      const a = randomBytes(150_000);
      const b = randomBytes(150_000);
      const results = await Promise.allSettled([s.put('ns/race', chunked(a, 8192)), s.put('ns/race', chunked(b, 8192))]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(ok.length, 1, 'exactly one put succeeds');
      assert.ok((failed[0] as PromiseRejectedResult).reason instanceof BlobExists);
      const winner = results[0]!.status === 'fulfilled' ? a : b;
      assert.deepEqual(await readAll(await s.open('ns/race')), winner);
      // Small blobs finish in lockstep, which is where a check-then-rename loses.
      for (let i = 0; i < 40; i++) {
        const r = await Promise.allSettled([s.put(`ns/race${i}`, Readable.from([Buffer.from('a')])), s.put(`ns/race${i}`, Readable.from([Buffer.from('b')]))]);
        assert.equal(r.filter((x) => x.status === 'fulfilled').length, 1, `round ${i}`);
      }
      assert.deepEqual(await hooks.tmpFiles(s), []);
    });

    it('maxBytes: at the limit is fine; beyond it BlobTooLarge and nothing is left behind', async () => {
      const s = await make();
      const ok = await s.put('ns/limit', Readable.from([randomBytes(1000)]), { maxBytes: 1000 });
      assert.equal(ok.size, 1000);
      await assert.rejects(s.put('ns/toolarge', chunked(randomBytes(5000), 512), { maxBytes: 1000 }), (e: unknown) => e instanceof BlobTooLarge && e.limit === 1000);
      assert.equal(await s.stat('ns/toolarge'), undefined);
      await assert.rejects(s.open('ns/toolarge'), BlobNotFound);
      assert.deepEqual(await listKeys(s, 'ns'), ['ns/limit']);
      assert.deepEqual(await hooks.tmpFiles(s), []);
      // The key is still free.
      await s.put('ns/toolarge', Readable.from([Buffer.from('small')]), { maxBytes: 1000 });
    });

    it('a source that fails midway rejects, and leaves nothing visible and no temporary file', async () => {
      const s = await make();
      await assert.rejects(s.put('ns/broken', failingSource(10, 16_384)), /source broke/);
      assert.equal(await s.stat('ns/broken'), undefined);
      assert.deepEqual(await listKeys(s, 'ns'), []);
      assert.deepEqual(await hooks.tmpFiles(s), []);
      // Failing before the first byte as well (the temporary file may still be opening then).
      // One at a time: this is where an rm() can overtake the open() of the temporary file.
      async function* atOnce(): AsyncIterable<Uint8Array> {
        throw new Error('source broke');
      }
      async function* afterOne(): AsyncIterable<Uint8Array> {
        yield Buffer.from('a');
        throw new Error('source broke');
      }
      for (let i = 0; i < 150; i++) {
        await assert.rejects(s.put('ns/early', atOnce()), /source broke/);
        await assert.rejects(s.put('ns/early', afterOne()), /source broke/);
      }
      assert.equal(await s.stat('ns/early'), undefined);
      assert.deepEqual(await hooks.tmpFiles(s), []);
      // A destroyed Node stream too, several times, while writes are in flight.
      for (let i = 0; i < 20; i++) {
        let started = false;
        const src = new Readable({
          read() {
            if (started) return;
            started = true;
            this.push(randomBytes(1000 + i * 1000));
            setTimeout(() => this.destroy(new Error('client went away')), i % 3);
          },
        });
        await assert.rejects(s.put('ns/broken', src), /client went away/);
      }
      assert.equal(await s.stat('ns/broken'), undefined);
      assert.deepEqual(await hooks.tmpFiles(s), []);
      await s.put('ns/broken', Readable.from([Buffer.from('ok')]));
      assert.equal((await readAll(await s.open('ns/broken'))).toString(), 'ok');
    });

    it('delete is idempotent and returns whether something was removed; the key can be written again', async () => {
      const s = await make();
      await s.put('ns/del', Readable.from([Buffer.from('x')]));
      assert.equal(await s.delete('ns/del'), true);
      assert.equal(await s.delete('ns/del'), false);
      assert.equal(await s.delete('ns/never'), false);
      assert.equal(await s.stat('ns/del'), undefined);
      await assert.rejects(s.open('ns/del'), BlobNotFound);
      await s.put('ns/del', Readable.from([Buffer.from('again')]));
      assert.equal((await readAll(await s.open('ns/del'))).toString(), 'again');
    });

    it('keys(namespace) lists committed keys of that namespace only, nested ones included', async () => {
      const s = await make();
      for (const k of ['img/a', 'img/b', 'img/sub/c', 'img2/x', 'other/y']) await s.put(k, Readable.from([Buffer.from(k)]));
      assert.deepEqual(await listKeys(s, 'img'), ['img/a', 'img/b', 'img/sub/c']);
      assert.deepEqual(await listKeys(s, 'img/sub'), ['img/sub/c']);
      assert.deepEqual(await listKeys(s, 'other'), ['other/y']);
      assert.deepEqual(await listKeys(s, 'none'), []);
      await s.delete('img/b');
      assert.deepEqual(await listKeys(s, 'img'), ['img/a', 'img/sub/c']);
    });

    it('rejects invalid keys', async () => {
      const s = await make();
      for (const bad of ['', '../escape', 'a/../b', '/abs', 'a//b', 'a/', 'sp ace', 'a/./b', '..']) {
        await assert.rejects(s.put(bad, Readable.from([Buffer.from('x')])), /invalid blob key/, bad);
        await assert.rejects(s.open(bad), /invalid blob key/, bad);
      }
    });

    it('recover() removes leftover temporary files and keeps committed blobs', async () => {
      const s = await make();
      await s.put('ns/kept', Readable.from([Buffer.from('kept')]));
      if (hooks.plantTmp) {
        await hooks.plantTmp(s);
        await hooks.plantTmp(s);
        assert.equal((await hooks.tmpFiles(s)).length, 2);
        assert.equal(await s.recover(), 2);
      } else {
        assert.equal(await s.recover(), 0);
      }
      assert.deepEqual(await hooks.tmpFiles(s), []);
      assert.equal(await s.recover(), 0);
      assert.equal((await readAll(await s.open('ns/kept'))).toString(), 'kept');
      assert.deepEqual(await listKeys(s, 'ns'), ['ns/kept']);
    });

    it('streams a large blob (16 MiB) correctly', async () => {
      const s = await make();
      const chunk = randomBytes(64 * 1024);
      const hash = createHash('md5');
      async function* big(): AsyncIterable<Uint8Array> {
        for (let i = 0; i < 256; i++) {
          hash.update(chunk);
          yield chunk;
        }
      }
      const r = await s.put('ns/big', big());
      assert.equal(r.size, 16 * 1024 * 1024);
      assert.equal(r.hashes.md5, hash.digest('hex'));
      assert.deepEqual(await s.stat('ns/big'), { size: 16 * 1024 * 1024 });
      const tail = await readAll(await s.open('ns/big', { start: 16 * 1024 * 1024 - 10, end: 16 * 1024 * 1024 - 1 }));
      assert.deepEqual(tail, chunk.subarray(chunk.length - 10));
    });
  });
}
