import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import type { ComputeContext } from './context.js';
import type { Caller } from './models.js';
import type { ImageInfo } from './ports.js';

/**
 * Local copies of images for the driver (nova's `_base` image cache): the driver receives a
 * path, never a stream. A copy is written to a temporary file, fsync'd and renamed, so a
 * crash leaves no half image under a final name; copies are keyed by image id and checksum
 * and shared by every server booted from the same image.
 */
export class ImageCache {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly ctx: ComputeContext) {}

  private fileName(img: ImageInfo): string {
    return `${img.id}-${(img.checksum ?? 'nochecksum').slice(0, 16)}`;
  }

  async path(caller: Caller, img: ImageInfo): Promise<string> {
    const dir = this.ctx.config.imageCacheDir;
    const final = join(dir, this.fileName(img));
    if (await exists(final)) return final;
    const key = final;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetch(caller, img, dir, final).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async fetch(caller: Caller, img: ImageInfo, dir: string, final: string): Promise<string> {
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      const src = await this.ctx.ports.images.open(caller, img.id);
      await pipeline(src, createWriteStream(tmp));
      const fh = await open(tmp, 'r');
      await fh.sync().finally(() => fh.close());
      await rename(tmp, final);
      return final;
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  /** Removes temporary files a crash left behind. */
  async recover(): Promise<void> {
    const dir = this.ctx.config.imageCacheDir;
    const names = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => n.startsWith('.tmp-')).map((n) => rm(join(dir, n), { force: true })));
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
