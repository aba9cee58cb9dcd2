import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobExists, BlobNotFound, type BlobStore } from '../drivers/object/driver.js';
import { DirRecordsStorage } from './dir-records.js';
import { blobUnknown, digestInvalid } from './errors.js';
import { hexOf, isDigest } from './names.js';

/** The BlobStore namespace holding the registry's content: `registry/sha256/<hex>`. */
export const REGISTRY_BLOB_NAMESPACE = 'registry';

/**
 * The registry over Stratus's BlobStore: layers, configs and manifest bytes are blobs under
 * `registry/sha256/<hex>`, while the small mutable records (repository links, tags, manifest
 * media types) and the staged bytes of uploads in progress stay in `dir` (see DirRecordsStorage).
 *
 * A commit checks the staged bytes against the digest first (a running hash kept while chunks
 * arrive, or a pass over the file after a restart), and only then streams them into
 * `BlobStore.put`, whose own sha256 is checked again; so wrong bytes never sit under a digest's
 * key, even for a moment. Keys are write-once, which is exactly content addressing: a key that
 * already exists holds the same bytes, and is success. A crash after the put but before the
 * repository link leaves an unlinked blob, which is harmless (the retried push finds it).
 *
 * NOTE: `recover()` does not call `BlobStore.recover()`: the store is shared with other services
 * and its owner (main.ts) recovers it once at start-up, before anyone writes.
 * NOTE: deleting a manifest or unlinking a blob never deletes its bytes by itself; the garbage
 * collector (gc.ts) removes what no manifest references, listing them with `BlobStore.keys`.
 */
export class BlobRegistryStorage extends DirRecordsStorage {
  constructor(
    private readonly blobs: BlobStore,
    dir: string,
  ) {
    super(dir);
  }

  private key(digest: string): string {
    if (!isDigest(digest)) throw digestInvalid(`unsupported digest ${digest}: use sha256:<64 hex>`);
    return `${REGISTRY_BLOB_NAMESPACE}/sha256/${hexOf(digest)}`;
  }

  async blobSize(digest: string): Promise<number | undefined> {
    return (await this.blobs.stat(this.key(digest)))?.size;
  }

  async openBlob(digest: string, range?: { start: number; end: number }): Promise<Readable> {
    return this.blobs.open(this.key(digest), range).catch((e: unknown) => {
      throw e instanceof BlobNotFound ? blobUnknown(digest) : e;
    });
  }

  protected async storeVerified(staged: string, digest: string, size: number): Promise<void> {
    const key = this.key(digest);
    if (await this.blobs.stat(key)) return;
    let stored;
    try {
      stored = await this.blobs.put(key, createReadStream(staged, { highWaterMark: 1 << 20 }), { hashes: ['sha256'] });
    } catch (e) {
      if (e instanceof BlobExists) return; // a concurrent push of the same content won
      throw e;
    }
    if (stored.hashes.sha256 !== hexOf(digest) || stored.size !== size) {
      await this.blobs.delete(key);
      throw digestInvalid(`the upload changed while it was being stored (got sha256:${stored.hashes.sha256}, ${stored.size} bytes); push it again`, { expected: digest });
    }
  }

  protected async storeBytes(digest: string, bytes: Buffer): Promise<void> {
    const key = this.key(digest);
    if (await this.blobs.stat(key)) return;
    await this.blobs.put(key, Readable.from([bytes])).catch((e: unknown) => {
      if (!(e instanceof BlobExists)) throw e;
    });
  }

  /**
   * Also moves content an FsRegistryStorage left in `dir/blobs/sha256/` (the same directory
   * layout otherwise) into the BlobStore, so switching a registry directory over keeps its
   * images. Each file is removed only once its blob is stored and checked; a file whose bytes do
   * not match its name is left where it is.
   */
  override async recover(): Promise<void> {
    await super.recover();
    const legacy = join(this.dir, 'blobs', 'sha256');
    for (const hex of await fsp.readdir(legacy).catch(() => [] as string[])) {
      const file = join(legacy, hex);
      const digest = `sha256:${hex}`;
      if (!isDigest(digest)) continue;
      const size = (await fsp.stat(file)).size;
      const key = this.key(digest);
      if (!(await this.blobs.stat(key))) {
        const stored = await this.blobs.put(key, createReadStream(file, { highWaterMark: 1 << 20 }), { hashes: ['sha256'] }).catch((e: unknown) => {
          if (e instanceof BlobExists) return undefined;
          throw e;
        });
        if (stored && (stored.hashes.sha256 !== hex || stored.size !== size)) {
          await this.blobs.delete(key);
          continue;
        }
      }
      await fsp.unlink(file);
    }
    await fsp.rmdir(legacy).catch(() => {});
    await fsp.rmdir(join(this.dir, 'blobs')).catch(() => {});
  }

  protected async readBytes(digest: string): Promise<Buffer | undefined> {
    let stream: Readable;
    try {
      stream = await this.blobs.open(this.key(digest));
    } catch (e) {
      if (e instanceof BlobNotFound) return undefined;
      throw e;
    }
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks);
  }

  async contentDigests(): Promise<string[]> {
    const prefix = `${REGISTRY_BLOB_NAMESPACE}/sha256/`;
    const out: string[] = [];
    for await (const k of this.blobs.keys(REGISTRY_BLOB_NAMESPACE)) if (k.startsWith(prefix) && isDigest(`sha256:${k.slice(prefix.length)}`)) out.push(`sha256:${k.slice(prefix.length)}`);
    return out;
  }

  protected async deleteBytes(digest: string): Promise<void> {
    await this.blobs.delete(this.key(digest));
  }
}

/** The registry's storage for main.ts: content in `blobs`, records and staged uploads in `dir`. */
export function blobBackedStorage(blobs: BlobStore, dir: string): BlobRegistryStorage {
  return new BlobRegistryStorage(blobs, dir);
}
