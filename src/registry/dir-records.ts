import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { digestInvalid, RegistryError } from './errors.js';
import { Gate } from './gate.js';
import type { CollectableStorage } from './gc.js';
import { hexOf, isDigest, isName, isTag, sha256Digest } from './names.js';
import type { ManifestRecord, RegistryStorage, UploadState } from './storage.js';

/** Uploads untouched for this long are removed by `recover()` (clients restart them). */
export const STALE_UPLOAD_MS = 24 * 3600_000;

/**
 * The part of a RegistryStorage that lives in a directory: in-progress uploads, repository
 * links, manifest media types and tags. Subclasses say where the content-addressed bytes go
 * (files next to these records, or a `BlobStore`).
 *
 * ```
 * uploads/<uuid>/{name,data}                          uploads in progress (staged bytes)
 * repositories/<name>/_layers/sha256/<hex>            empty marker: the repository holds this blob
 * repositories/<name>/_manifests/sha256/<hex>         the manifest's media type
 * repositories/<name>/_tags/<tag>                     the digest the tag points at
 * tmp/                                                files being written
 * ```
 *
 * Every record is written to `tmp/`, fsync'd, renamed into place and its directory fsync'd.
 * Name components never start with `_`, so the `_layers`/`_manifests`/`_tags` folders cannot
 * collide with nested repositories. Content is checked against its digest *before* it is
 * handed to `storeVerified`, so wrong bytes never reach the content-addressed area.
 */
export abstract class DirRecordsStorage implements RegistryStorage, CollectableStorage {
  private readonly busy = new Set<string>();
  /** Pushes that create references (shared) against garbage collection (exclusive). */
  private readonly gate = new Gate();
  /**
   * Running sha256 of each upload as of its current size, so a commit does not read the staged
   * file again. Lost on restart; the commit then hashes the file.
   */
  private readonly running = new Map<string, { size: number; hash: Hash }>();

  constructor(protected readonly dir: string) {}

  abstract blobSize(digest: string): Promise<number | undefined>;
  abstract openBlob(digest: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Makes the staged file (already checked to hash to `digest`) durable content. Existing content is success. */
  protected abstract storeVerified(staged: string, digest: string, size: number): Promise<void>;
  /** Stores manifest bytes (already checked) as content; existing content is success. */
  protected abstract storeBytes(digest: string, bytes: Buffer): Promise<void>;
  /** The content's bytes, or undefined when absent. Only used for manifests (small). */
  protected abstract readBytes(digest: string): Promise<Buffer | undefined>;
  /** Digests of all stored content. */
  abstract contentDigests(): Promise<string[]>;
  /** Removes the content's bytes (idempotent). */
  protected abstract deleteBytes(digest: string): Promise<void>;

  protected repo(name: string, ...rest: string[]): string {
    if (!isName(name)) throw new RegistryError('NAME_INVALID', 400, `invalid repository name ${name}`);
    return join(this.dir, 'repositories', ...name.split('/'), ...rest);
  }
  private uploadDir(id: string): string | undefined {
    return /^[a-f0-9-]{36}$/.test(id) ? join(this.dir, 'uploads', id) : undefined;
  }

  async createUpload(name: string): Promise<string> {
    const id = randomUUID();
    const d = join(this.dir, 'uploads', id);
    await fsp.mkdir(d, { recursive: true });
    await fsp.writeFile(join(d, 'data'), '');
    // `name` is written last: an upload without it (a crash in between) is invisible and
    // removed by recover().
    await fsp.writeFile(join(d, 'name'), name);
    this.running.set(id, { size: 0, hash: createHash('sha256') });
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
      const prev = this.running.get(id);
      // Work on a copy: a failed append leaves the running hash as it was.
      const hash = prev && prev.size === before ? prev.hash.copy() : undefined;
      const out = createWriteStream(data, { flags: 'a', highWaterMark: 1 << 20 });
      let outErr: Error | undefined;
      out.on('error', (e) => (outErr ??= e));
      let size = before;
      try {
        for await (const chunk of source) {
          if (outErr) throw outErr;
          size += chunk.length;
          hash?.update(chunk);
          if (!out.write(chunk)) await new Promise<void>((resolve, reject) => {
            if (outErr) return reject(outErr);
            const onErr = (e: Error) => (out.off('drain', onDrain), reject(e));
            const onDrain = () => (out.off('error', onErr), resolve());
            out.once('error', onErr).once('drain', onDrain);
          });
        }
        out.end();
        await finished(out);
        if (hash) this.running.set(id, { size, hash });
        else this.running.delete(id);
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
    if (!isDigest(digest)) throw digestInvalid(`unsupported digest ${digest}: use sha256:<64 hex>`);
    const d = this.uploadDir(id)!;
    return this.gate.share(() => this.commitShared(id, d, state, digest));
  }

  private commitShared(id: string, d: string, state: UploadState, digest: string): Promise<{ size: number }> {
    return this.exclusive(id, async () => {
      const data = join(d, 'data');
      const run = this.running.get(id);
      let actual: string;
      if (run && run.size === state.size) actual = `sha256:${run.hash.copy().digest('hex')}`;
      else {
        const h = createHash('sha256');
        for await (const chunk of createReadStream(data, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
        actual = `sha256:${h.digest('hex')}`;
      }
      if (actual !== digest) {
        await this.discard(id, d);
        throw digestInvalid(`the uploaded content has digest ${actual}, not ${digest}; the upload was discarded, push it again`, { expected: digest, actual });
      }
      await this.storeVerified(data, digest, state.size);
      await this.linkBlob(state.name, digest);
      await this.discard(id, d);
      return { size: state.size };
    });
  }

  async cancelUpload(id: string): Promise<boolean> {
    const d = this.uploadDir(id);
    if (!d || !(await this.upload(id))) return false;
    await this.discard(id, d);
    return true;
  }

  private async discard(id: string, d: string): Promise<void> {
    this.running.delete(id);
    await fsp.rm(d, { recursive: true, force: true });
  }

  async linkBlob(name: string, digest: string): Promise<void> {
    if (!isDigest(digest)) throw digestInvalid(`unsupported digest ${digest}: use sha256:<64 hex>`);
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
    if (!isDigest(m.digest) || sha256Digest(m.bytes) !== m.digest) throw digestInvalid(`manifest bytes do not match ${m.digest}`);
    if (tag !== undefined && !isTag(tag)) throw new RegistryError('MANIFEST_INVALID', 400, `invalid tag ${tag}`);
    await this.storeBytes(m.digest, m.bytes);
    await this.writeAtomic(this.repo(name, '_manifests', 'sha256', hexOf(m.digest)), m.mediaType);
    if (tag !== undefined) await this.writeAtomic(this.repo(name, '_tags', tag), m.digest);
  }

  async getManifest(name: string, digest: string): Promise<ManifestRecord | undefined> {
    if (!isName(name) || !isDigest(digest)) return undefined;
    const mediaType = await fsp.readFile(this.repo(name, '_manifests', 'sha256', hexOf(digest)), 'utf8').catch(() => undefined);
    if (mediaType === undefined) return undefined;
    const bytes = await this.readBytes(digest);
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

  // ---- garbage collection (see gc.ts) --------------------------------------------------

  referencing<T>(fn: () => Promise<T>): Promise<T> {
    return this.gate.share(fn);
  }

  collecting<T>(fn: () => Promise<T>): Promise<T> {
    return this.gate.exclusive(fn);
  }

  get gcDir(): string {
    return join(this.dir, 'gc');
  }

  async manifestDigests(name: string): Promise<string[]> {
    const hexes = await fsp.readdir(this.repo(name, '_manifests', 'sha256')).catch(() => [] as string[]);
    return hexes.map((h) => `sha256:${h}`).filter(isDigest);
  }

  async blobLinks(): Promise<{ name: string; digest: string; mtimeMs: number }[]> {
    const out: { name: string; digest: string; mtimeMs: number }[] = [];
    for (const name of await this.repositories()) {
      const dir = this.repo(name, '_layers', 'sha256');
      for (const hex of await fsp.readdir(dir).catch(() => [] as string[])) {
        const st = await fsp.stat(join(dir, hex)).catch(() => undefined);
        if (st && isDigest(`sha256:${hex}`)) out.push({ name, digest: `sha256:${hex}`, mtimeMs: st.mtimeMs });
      }
    }
    return out;
  }

  contentBytes(digest: string): Promise<Buffer | undefined> {
    return this.readBytes(digest);
  }

  /** Unlinks the content from every repository first, so no repository ever offers bytes that are gone. */
  async deleteContent(digest: string): Promise<void> {
    for (const name of await this.repositories()) await this.unlinkBlob(name, digest);
    await this.deleteBytes(digest);
  }

  /**
   * Removes what a crash or an abandoned client left: `tmp/`, uploads a crash left half-created
   * (no `name`), and uploads untouched for `STALE_UPLOAD_MS`. Uploads in progress otherwise
   * survive a restart, so a client can resume them.
   */
  async recover(): Promise<void> {
    const now = Date.now();
    await fsp.rm(join(this.dir, 'tmp'), { recursive: true, force: true });
    const uploads = join(this.dir, 'uploads');
    for (const id of await fsp.readdir(uploads).catch(() => [] as string[])) {
      const d = join(uploads, id);
      const stats = await Promise.all(['name', 'data'].map((f) => fsp.stat(join(d, f)).catch(() => undefined)));
      const newest = Math.max(...stats.map((s) => s?.mtimeMs ?? 0));
      if (!this.uploadDir(id) || stats.some((s) => !s) || now - newest > STALE_UPLOAD_MS) {
        this.running.delete(id);
        await fsp.rm(d, { recursive: true, force: true });
      }
    }
  }

  /** A new fsync'd file under `tmp/`; the caller renames or removes it. */
  protected async tmpFile(content: string | Uint8Array): Promise<string> {
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

export async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function exists(p: string): Promise<boolean> {
  return fsp.access(p).then(
    () => true,
    () => false,
  );
}
