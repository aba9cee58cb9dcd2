import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { digestInvalid, RegistryError } from './errors.js';
import { hexOf, isDigest, isName, isTag, sha256Digest } from './names.js';
import type { ManifestRecord, RegistryStorage, UploadState } from './storage.js';

/**
 * The registry's data as files under one directory:
 *
 * ```
 * blobs/sha256/<hex>                                  write-once content (layers, configs, manifests)
 * uploads/<uuid>/{name,data}                          uploads in progress
 * repositories/<name>/_layers/sha256/<hex>            empty marker: the repository holds this blob
 * repositories/<name>/_manifests/sha256/<hex>         the manifest's media type
 * repositories/<name>/_tags/<tag>                     the digest the tag points at
 * tmp/                                                files being written
 * ```
 *
 * Every file is written to `tmp/`, fsync'd, then renamed (or, for blobs, hard-linked, so a
 * key is written once) into place and its directory fsync'd. Name components never start with
 * `_`, so the `_layers`/`_manifests`/`_tags` folders cannot collide with nested repositories.
 */
export class FsRegistryStorage implements RegistryStorage {
  private readonly busy = new Set<string>();

  constructor(private readonly dir: string) {}

  private blobPath(digest: string): string {
    if (!isDigest(digest)) throw digestInvalid(`unsupported digest ${digest}: use sha256:<64 hex>`);
    return join(this.dir, 'blobs', 'sha256', hexOf(digest));
  }
  private repo(name: string, ...rest: string[]): string {
    if (!isName(name)) throw new RegistryError('NAME_INVALID', 400, `invalid repository name ${name}`);
    return join(this.dir, 'repositories', ...name.split('/'), ...rest);
  }
  private uploadDir(id: string): string | undefined {
    return /^[a-f0-9-]{36}$/.test(id) ? join(this.dir, 'uploads', id) : undefined;
  }

  async blobSize(digest: string): Promise<number | undefined> {
    const st = await fsp.stat(this.blobPath(digest)).catch(() => undefined);
    return st?.isFile() ? st.size : undefined;
  }

  async openBlob(digest: string, range?: { start: number; end: number }): Promise<Readable> {
    const fh = await fsp.open(this.blobPath(digest), 'r');
    return fh.createReadStream({ ...(range ?? {}), highWaterMark: 1 << 20 });
  }

  async createUpload(name: string): Promise<string> {
    const id = randomUUID();
    const d = join(this.dir, 'uploads', id);
    await fsp.mkdir(d, { recursive: true });
    await fsp.writeFile(join(d, 'data'), '');
    await fsp.writeFile(join(d, 'name'), name);
    return id;
  }

  async upload(id: string): Promise<UploadState | undefined> {
    const d = this.uploadDir(id);
    if (!d) return undefined;
    try {
      const [name, st] = await Promise.all([fsp.readFile(join(d, 'name'), 'utf8'), fsp.stat(join(d, 'data'))]);
      return { name, size: st.size };
    } catch {
      return undefined;
    }
  }

  private async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy.has(id)) throw new RegistryError('BLOB_UPLOAD_INVALID', 416, `upload ${id} is receiving another request; send chunks one after the other`);
    this.busy.add(id);
    try {
      return await fn();
    } finally {
      this.busy.delete(id);
    }
  }

  async appendUpload(id: string, source: AsyncIterable<Uint8Array>): Promise<number> {
    const state = await this.upload(id);
    if (!state) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 404, `upload ${id} is not in progress`);
    const data = join(this.uploadDir(id)!, 'data');
    return this.exclusive(id, async () => {
      const before = (await fsp.stat(data)).size;
      const out = createWriteStream(data, { flags: 'a', highWaterMark: 1 << 20 });
      let outErr: Error | undefined;
      out.on('error', (e) => (outErr ??= e));
      let size = before;
      try {
        for await (const chunk of source) {
          if (outErr) throw outErr;
          size += chunk.length;
          if (!out.write(chunk)) await new Promise<void>((resolve, reject) => {
            const onErr = (e: Error) => (out.off('drain', onDrain), reject(e));
            const onDrain = () => (out.off('error', onErr), resolve());
            out.once('error', onErr).once('drain', onDrain);
          });
        }
        out.end();
        await finished(out);
        return size;
      } catch (e) {
        if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()).destroy());
        await fsp.truncate(data, before).catch(() => {});
        throw e;
      }
    });
  }

  async commitUpload(id: string, digest: string): Promise<{ size: number }> {
    const state = await this.upload(id);
    if (!state) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 404, `upload ${id} is not in progress`);
    const final = this.blobPath(digest);
    const d = this.uploadDir(id)!;
    return this.exclusive(id, async () => {
      const data = join(d, 'data');
      const h = createHash('sha256');
      for await (const chunk of createReadStream(data, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
      const actual = `sha256:${h.digest('hex')}`;
      if (actual !== digest) {
        await fsp.rm(d, { recursive: true, force: true });
        throw digestInvalid(`the uploaded content has digest ${actual}, not ${digest}; the upload was discarded, push it again`, { expected: digest, actual });
      }
      await fsync(data);
      await linkOnce(data, final);
      await this.linkBlob(state.name, digest);
      await fsp.rm(d, { recursive: true, force: true });
      return { size: state.size };
    });
  }

  async cancelUpload(id: string): Promise<boolean> {
    const d = this.uploadDir(id);
    if (!d || !(await this.upload(id))) return false;
    await fsp.rm(d, { recursive: true, force: true });
    return true;
  }

  async linkBlob(name: string, digest: string): Promise<void> {
    await this.writeAtomic(this.repo(name, '_layers', 'sha256', hexOf(digest)), '');
  }

  async hasBlob(name: string, digest: string): Promise<boolean> {
    if (!isName(name) || !isDigest(digest)) return false;
    return exists(this.repo(name, '_layers', 'sha256', hexOf(digest)));
  }

  async unlinkBlob(name: string, digest: string): Promise<boolean> {
    if (!isName(name) || !isDigest(digest)) return false;
    return fsp.unlink(this.repo(name, '_layers', 'sha256', hexOf(digest))).then(
      () => true,
      () => false,
    );
  }

  async putManifest(name: string, m: ManifestRecord, tag?: string): Promise<void> {
    if (sha256Digest(m.bytes) !== m.digest) throw digestInvalid(`manifest bytes do not match ${m.digest}`);
    const path = this.blobPath(m.digest);
    if (!(await exists(path))) {
      const tmp = await this.tmpFile(m.bytes);
      try {
        await linkOnce(tmp, path);
      } finally {
        await fsp.rm(tmp, { force: true });
      }
    }
    await this.writeAtomic(this.repo(name, '_manifests', 'sha256', hexOf(m.digest)), m.mediaType);
    if (tag !== undefined) {
      if (!isTag(tag)) throw new RegistryError('MANIFEST_INVALID', 400, `invalid tag ${tag}`);
      await this.writeAtomic(this.repo(name, '_tags', tag), m.digest);
    }
  }

  async getManifest(name: string, digest: string): Promise<ManifestRecord | undefined> {
    if (!isName(name) || !isDigest(digest)) return undefined;
    const mediaType = await fsp.readFile(this.repo(name, '_manifests', 'sha256', hexOf(digest)), 'utf8').catch(() => undefined);
    if (mediaType === undefined) return undefined;
    const bytes = await fsp.readFile(this.blobPath(digest)).catch(() => undefined);
    return bytes ? { digest, mediaType, bytes } : undefined;
  }

  async resolveTag(name: string, tag: string): Promise<string | undefined> {
    if (!isName(name) || !isTag(tag)) return undefined;
    const d = await fsp.readFile(this.repo(name, '_tags', tag), 'utf8').catch(() => undefined);
    return d !== undefined && isDigest(d) ? d : undefined;
  }

  async tags(name: string): Promise<string[] | undefined> {
    if (!isName(name) || !(await exists(this.repo(name)))) return undefined;
    if (!(await exists(this.repo(name, '_manifests'))) && !(await exists(this.repo(name, '_layers')))) return undefined;
    const list = await fsp.readdir(this.repo(name, '_tags')).catch(() => [] as string[]);
    return list.filter(isTag).sort();
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    if (!isName(name) || !isTag(tag)) return false;
    return fsp.unlink(this.repo(name, '_tags', tag)).then(
      () => true,
      () => false,
    );
  }

  async deleteManifest(name: string, digest: string): Promise<boolean> {
    if (!isName(name) || !isDigest(digest)) return false;
    const removed = await fsp.unlink(this.repo(name, '_manifests', 'sha256', hexOf(digest))).then(
      () => true,
      () => false,
    );
    if (!removed) return false;
    for (const tag of (await this.tags(name)) ?? []) {
      if ((await this.resolveTag(name, tag)) === digest) await this.deleteTag(name, tag);
    }
    return true;
  }

  async repositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string[]): Promise<void> => {
      const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
      if (entries.some((e) => e.name === '_manifests' || e.name === '_layers')) out.push(prefix.join('/'));
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('_')) await walk(join(dir, e.name), [...prefix, e.name]);
    };
    await walk(join(this.dir, 'repositories'), []);
    return out.filter(isName).sort();
  }

  async recover(): Promise<void> {
    await fsp.rm(join(this.dir, 'tmp'), { recursive: true, force: true });
  }

  private async tmpFile(content: string | Uint8Array): Promise<string> {
    await fsp.mkdir(join(this.dir, 'tmp'), { recursive: true });
    const tmp = join(this.dir, 'tmp', randomUUID());
    const fh = await fsp.open(tmp, 'wx');
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  }

  private async writeAtomic(path: string, content: string): Promise<void> {
    const tmp = await this.tmpFile(content);
    try {
      await fsp.mkdir(dirname(path), { recursive: true });
      await fsp.rename(tmp, path);
      await syncDir(dirname(path));
    } finally {
      await fsp.rm(tmp, { force: true });
    }
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

async function fsync(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(p: string): Promise<boolean> {
  return fsp.access(p).then(
    () => true,
    () => false,
  );
}
