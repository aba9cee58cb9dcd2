import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { DirRecordsStorage, exists, syncDir } from './dir-records.js';
import { digestInvalid } from './errors.js';
import { hexOf, isDigest } from './names.js';

/**
 * The registry's data as files under one directory: the records of DirRecordsStorage, plus
 *
 * ```
 * blobs/sha256/<hex>                                  write-once content (layers, configs, manifests)
 * ```
 *
 * Content is fsync'd, then hard-linked into place (so a digest is written once) and its
 * directory fsync'd. See BlobRegistryStorage for the same registry over Stratus's BlobStore.
 */
export class FsRegistryStorage extends DirRecordsStorage {
  private blobPath(digest: string): string {
    if (!isDigest(digest)) throw digestInvalid(`unsupported digest ${digest}: use sha256:<64 hex>`);
    return join(this.dir, 'blobs', 'sha256', hexOf(digest));
  }

  async blobSize(digest: string): Promise<number | undefined> {
    const st = await fsp.stat(this.blobPath(digest)).catch(() => undefined);
    return st?.isFile() ? st.size : undefined;
  }

  async openBlob(digest: string, range?: { start: number; end: number }): Promise<Readable> {
    const fh = await fsp.open(this.blobPath(digest), 'r');
    return fh.createReadStream({ ...(range ?? {}), highWaterMark: 1 << 20 });
  }

  protected async storeVerified(staged: string, digest: string): Promise<void> {
    const fh = await fsp.open(staged, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await linkOnce(staged, this.blobPath(digest));
  }

  protected async storeBytes(digest: string, bytes: Buffer): Promise<void> {
    const path = this.blobPath(digest);
    if (await exists(path)) return;
    const tmp = await this.tmpFile(bytes);
    try {
      await linkOnce(tmp, path);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  protected async readBytes(digest: string): Promise<Buffer | undefined> {
    return fsp.readFile(this.blobPath(digest)).catch(() => undefined);
  }

  async contentDigests(): Promise<string[]> {
    const hexes = await fsp.readdir(join(this.dir, 'blobs', 'sha256')).catch(() => [] as string[]);
    return hexes.map((h) => `sha256:${h}`).filter(isDigest);
  }

  protected async deleteBytes(digest: string): Promise<void> {
    await fsp.rm(this.blobPath(digest), { force: true });
  }
}

/** Hard-links `src` to `dst` unless `dst` exists (same digest, same content), then syncs the directory. */
async function linkOnce(src: string, dst: string): Promise<void> {
  await fsp.mkdir(dirname(dst), { recursive: true });
  await fsp.link(src, dst).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  await syncDir(dirname(dst));
}
