import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobExists, BlobNotFound, BlobTooLarge, checkKey, type BlobStore, type PutOptions, type PutResult } from './driver.js';

/** In-memory blob store for tests and `--data-dir :memory:`; same contract as FsBlobStore. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();

  async put(key: string, source: Readable | AsyncIterable<Uint8Array>, opts: PutOptions = {}): Promise<PutResult> {
    checkKey(key);
    if (this.blobs.has(key)) throw new BlobExists(key);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of source as AsyncIterable<Uint8Array>) {
      size += c.length;
      if (opts.maxBytes !== undefined && size > opts.maxBytes) throw new BlobTooLarge(opts.maxBytes);
      chunks.push(Buffer.from(c));
    }
    const data = Buffer.concat(chunks);
    if (this.blobs.has(key)) throw new BlobExists(key);
    this.blobs.set(key, data);
    const hashes = { md5: createHash('md5').update(data).digest('hex') } as PutResult['hashes'];
    for (const h of opts.hashes ?? []) hashes[h] = createHash(h).update(data).digest('hex');
    return { size, hashes };
  }

  async open(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const b = this.blobs.get(checkKey(key));
    if (!b) throw new BlobNotFound(key);
    return Readable.from(range ? [b.subarray(range.start, range.end + 1)] : [b]);
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    const b = this.blobs.get(checkKey(key));
    return b ? { size: b.length } : undefined;
  }

  async delete(key: string): Promise<boolean> {
    return this.blobs.delete(checkKey(key));
  }

  async *keys(namespace: string): AsyncIterable<string> {
    const prefix = checkKey(namespace) + '/';
    for (const k of [...this.blobs.keys()]) if (k.startsWith(prefix)) yield k;
  }

  async recover(): Promise<number> {
    return 0;
  }
}
