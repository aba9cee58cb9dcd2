import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  BlobExists,
  BlobNotFound,
  BlobTooLarge,
  checkKey,
  type BlobStore,
  type HashName,
  type PutOptions,
  type PutResult,
} from './driver.js';

/**
 * Blobs as files under `<root>/data/<key>`. Writes go to `<root>/tmp/`, are fsync'd, then
 * hard-linked into place (atomic, so a key is written once) and the directory is fsync'd, so a crash leaves either the whole blob or
 * only a temporary file that `recover()` removes.
 */
const IO_CHUNK = 1 << 20;

export class FsBlobStore implements BlobStore {
  private readonly dataDir: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.dataDir = join(root, 'data');
    this.tmpDir = join(root, 'tmp');
  }

  private path(key: string): string {
    return join(this.dataDir, checkKey(key));
  }

  async put(key: string, source: Readable | AsyncIterable<Uint8Array>, opts: PutOptions = {}): Promise<PutResult> {
    const final = this.path(key);
    if (await exists(final)) throw new BlobExists(key);
    await fsp.mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const names: HashName[] = ['md5', ...(opts.hashes ?? []).filter((h) => h !== 'md5')];
    const hashes: [HashName, Hash][] = names.map((n) => [n, createHash(n)]);
    // NOTE: 1 MiB buffers: with the 16/64 KiB defaults, large objects moved at a fraction of disk speed.
    const out = createWriteStream(tmp, { flags: 'wx', highWaterMark: IO_CHUNK });
    // Always listen: a write error (ENOSPC, or a write that completes after destroy()) emitted
    // with no listener was an uncaught exception that took the whole process down.
    let outErr: Error | undefined;
    out.on('error', (e) => (outErr ??= e));
    let size = 0;
    try {
      for await (const chunk of source as AsyncIterable<Uint8Array>) {
        size += chunk.length;
        if (opts.maxBytes !== undefined && size > opts.maxBytes) throw new BlobTooLarge(opts.maxBytes);
        for (const [, h] of hashes) h.update(chunk);
        if (outErr) throw outErr;
        if (!out.write(chunk)) await new Promise<void>((resolve, reject) => {
          if (outErr) return reject(outErr);
          const onErr = (e: Error) => {
            out.off('drain', onDrain);
            reject(e);
          };
          const onDrain = () => {
            out.off('error', onErr);
            resolve();
          };
          out.once('error', onErr);
          out.once('drain', onDrain);
        });
      }
      out.end();
      await finished(out);
      const fh = await fsp.open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.mkdir(dirname(final), { recursive: true });
      // link() fails with EEXIST when the key is taken, atomically: an exists() check followed
      // by rename() let two concurrent puts of one key both succeed, the second overwriting.
      await fsp.link(tmp, final).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'EEXIST' ? new BlobExists(key) : e;
      });
      await syncDir(dirname(final));
      await fsp.rm(tmp, { force: true });
    } catch (e) {
      // Wait for the stream to close its file: destroyed while still opening, it creates the
      // file after an immediate rm() has run, which left a temporary file behind.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()).destroy());
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    const digest = Object.fromEntries(hashes.map(([n, h]) => [n, h.digest('hex')])) as PutResult['hashes'];
    return { size, hashes: digest };
  }

  async open(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const p = this.path(key);
    const fh = await fsp.open(p, 'r').catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? new BlobNotFound(key) : e;
    });
    return fh.createReadStream(range ? { start: range.start, end: range.end, highWaterMark: IO_CHUNK } : { highWaterMark: IO_CHUNK });
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    const st = await fsp.stat(this.path(key)).catch(() => undefined);
    return st ? { size: st.size } : undefined;
  }

  async delete(key: string): Promise<boolean> {
    try {
      await fsp.unlink(this.path(key));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async *keys(namespace: string): AsyncIterable<string> {
    const base = join(this.dataDir, checkKey(namespace));
    const walk = async function* (dir: string): AsyncIterable<string> {
      const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) yield* walk(p);
        else yield p;
      }
    };
    for await (const p of walk(base)) yield relative(this.dataDir, p).split(sep).join('/');
  }

  async recover(): Promise<number> {
    const entries = await fsp.readdir(this.tmpDir).catch(() => [] as string[]);
    for (const e of entries) await fsp.rm(join(this.tmpDir, e), { force: true, recursive: true });
    return entries.length;
  }
}

async function exists(p: string): Promise<boolean> {
  return fsp.access(p).then(
    () => true,
    () => false,
  );
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
