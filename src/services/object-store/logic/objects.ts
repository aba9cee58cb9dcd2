import { randomUUID } from 'node:crypto';
import { BlobTooLarge } from '../../../drivers/object/driver.js';
import type { StoreOps } from '../../../store/index.js';
import { projectOf } from './accounts.js';
import { unquote } from './conditions.js';
import type { Containers } from './containers.js';
import type { StorageContext } from './context.js';
import { entityTooLarge, etagMismatch, incompleteBody, noSuchContainer, noSuchObject, preconditionFailed } from './errors.js';
import {
  BLOB_NAMESPACE,
  KIND,
  containerId,
  objectId,
  type ContainerRecord,
  type ExpiryRecord,
  type Manifest,
  type Meta,
  type ObjectLocation,
  type ObjectRecord,
  type Stamp,
} from './models.js';
import { checkObjectName } from './names.js';
import { quotaExceeded, type QuotaWrite } from './quotas.js';

/** Checks a write against quotas; resolves with the bytes its body may have (see quotas.ts). */
export type QuotaCheck = (loc: ObjectLocation, w: QuotaWrite) => Promise<number | undefined>;

export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

/** The attributes a write sets (a PUT sets all of them; a POST replaces all but contentType). */
export interface ObjectAttrs {
  contentType: string;
  meta: Meta;
  contentDisposition?: string;
  contentEncoding?: string;
  /** Epoch seconds. */
  deleteAt?: number;
  manifest?: Manifest;
}

export interface PutOptions {
  /** Md5 the client expects (hex, quotes allowed); a mismatch stores nothing (EtagMismatch). */
  expectedEtag?: string;
  /** Declared Content-Length; a shorter body stores nothing (IncompleteBody). */
  expectedSize?: number;
  /** If-None-Match: * — fail with PreconditionFailed when the object exists. */
  ifNoneMatch?: boolean;
  /** Keep this timestamp (container sync); the write fails with PreconditionFailed if a newer or equal object exists. */
  timestamp?: Stamp;
}

/** The bytes-and-identity part of a new record, as a write produces it. */
export type ObjectBody = Pick<ObjectRecord, 'blobKey' | 'size' | 'etag'>;

/**
 * Objects. Durability contract: bytes go to a new write-once blob, then one transaction
 * commits the record (and the container's counters), then the replaced blob is deleted. A
 * crash at any point leaves either the old or the new object visible, never a partial one;
 * blobs no record points to are removed at start-up (see recovery.ts).
 */
export class Objects {
  constructor(
    private readonly ctx: StorageContext,
    private readonly containers: Containers,
    private readonly quotas?: QuotaCheck,
  ) {}

  /** The object if it exists and has not expired. */
  async find(loc: ObjectLocation): Promise<ObjectRecord | undefined> {
    const rec = (await this.ctx.store.get<ObjectRecord>(KIND.object, objectId(loc)))?.data;
    return rec && this.visible(rec) ? rec : undefined;
  }

  async head(loc: ObjectLocation): Promise<ObjectRecord> {
    const rec = await this.find(loc);
    if (!rec) throw noSuchObject(loc.name);
    return rec;
  }

  visible(rec: ObjectRecord): boolean {
    return rec.deleteAt === undefined || rec.deleteAt > this.ctx.now();
  }

  /** Streams `body` into a new blob and commits the object. */
  async put(loc: ObjectLocation, body: AsyncIterable<Uint8Array> | undefined, attrs: ObjectAttrs, opts: PutOptions = {}): Promise<ObjectRecord> {
    checkObjectName(loc.name);
    await this.containers.get(loc.account, loc.container);
    const prev = await this.find(loc);
    if (opts.ifNoneMatch && prev) throw preconditionFailed('The object already exists (If-None-Match: *).');
    const allowance = await this.quotas?.(loc, { size: opts.expectedSize ?? 0, replacedSize: prev?.size });
    const stored = body ? await this.store(body, allowance) : { blobKey: null, size: 0, etag: EMPTY_MD5 };
    try {
      if (opts.expectedSize !== undefined && stored.size !== opts.expectedSize) throw incompleteBody(stored.size, opts.expectedSize);
      if (opts.expectedEtag && unquote(opts.expectedEtag).toLowerCase() !== stored.etag) throw etagMismatch();
      return await this.commit(loc, stored, attrs, opts);
    } catch (e) {
      await this.ctx.dropBlob(stored.blobKey);
      throw e;
    }
  }

  /**
   * Writes the bytes to a fresh blob key; an empty body keeps no blob. A body longer than
   * `allowance` (what quotas leave) fails with QuotaExceeded, one longer than max_file_size
   * with EntityTooLarge.
   */
  private async store(body: AsyncIterable<Uint8Array>, allowance?: number): Promise<ObjectBody> {
    const key = `${BLOB_NAMESPACE}/${randomUUID().slice(0, 2)}/${randomUUID()}`;
    this.ctx.noteNewBlob(key);
    const max = this.ctx.config.maxObjectSize;
    const byQuota = allowance !== undefined && allowance < max;
    const res = await this.ctx.blobs.put(key, body, { maxBytes: byQuota ? allowance : max }).catch((e: unknown) => {
      if (!(e instanceof BlobTooLarge)) throw e;
      throw byQuota ? quotaExceeded() : entityTooLarge(e.limit);
    });
    if (res.size === 0) {
      await this.ctx.dropBlob(key);
      return { blobKey: null, size: 0, etag: res.hashes.md5 };
    }
    return { blobKey: key, size: res.size, etag: res.hashes.md5 };
  }

  /**
   * Commits a record for bytes already stored (or none, for manifests) and updates the
   * container's counters in the same transaction; then drops the replaced blob.
   */
  async commit(loc: ObjectLocation, body: ObjectBody, attrs: ObjectAttrs, opts: { ifNoneMatch?: boolean; timestamp?: Stamp } = {}): Promise<ObjectRecord> {
    checkObjectName(loc.name);
    const rec: ObjectRecord = {
      id: objectId(loc),
      account: loc.account,
      projectId: projectOf(loc.account),
      container: loc.container,
      name: loc.name,
      ...body,
      timestamp: opts.timestamp ?? this.ctx.stamps.next(),
      ...attrs,
    };
    const old = await this.ctx.store.tx(async (ops) => {
      const prev = (await ops.get<ObjectRecord>(KIND.object, rec.id))?.data;
      if (opts.ifNoneMatch && prev && this.visible(prev)) throw preconditionFailed('The object already exists (If-None-Match: *).');
      if (opts.timestamp !== undefined && prev && Number(prev.timestamp) >= Number(opts.timestamp)) throw preconditionFailed('A newer object exists.');
      await this.count(ops, loc, prev ? 0 : 1, rec.size - (prev?.size ?? 0));
      if (prev) await ops.update(KIND.object, rec.id, rec);
      else await ops.create(KIND.object, rec.id, rec);
      await this.queueExpiry(ops, rec);
      return prev;
    });
    if (old?.blobKey !== rec.blobKey) await this.ctx.dropBlob(old?.blobKey);
    this.ctx.changed('object', old ? 'updated' : 'created', rec.id, rec.projectId);
    return rec;
  }

  /** POST: replaces metadata and the other attributes; bytes and etag stay. */
  async update(loc: ObjectLocation, attrs: Partial<ObjectAttrs> & { meta: Meta }): Promise<ObjectRecord> {
    const rec = await this.ctx.store.tx(async (ops) => {
      const cur = (await ops.get<ObjectRecord>(KIND.object, objectId(loc)))?.data;
      if (!cur || !this.visible(cur)) throw noSuchObject(loc.name);
      const next: ObjectRecord = { ...cur, timestamp: this.ctx.stamps.next(), meta: attrs.meta };
      for (const k of ['contentDisposition', 'contentEncoding', 'deleteAt'] as const) {
        if (attrs[k] === undefined) delete next[k];
        else (next as unknown as Record<string, unknown>)[k] = attrs[k];
      }
      if (attrs.contentType !== undefined) next.contentType = attrs.contentType;
      // A POST may add or drop a DLO manifest; an SLO stays one.
      if (cur.manifest?.type !== 'slo') {
        if (attrs.manifest?.type === 'dlo') next.manifest = attrs.manifest;
        else delete next.manifest;
      }
      await ops.update(KIND.object, next.id, next);
      await this.queueExpiry(ops, next);
      return next;
    });
    this.ctx.changed('object', 'updated', rec.id, rec.projectId);
    return rec;
  }

  /**
   * Deletes an object. With `expiredAt`, only if it still carries that X-Delete-At and it has
   * passed (the expirer's delete, which must not remove a newer object).
   */
  async delete(loc: ObjectLocation, opts: { expiredAt?: number } = {}): Promise<ObjectRecord> {
    const rec = await this.ctx.store.tx(async (ops) => {
      const cur = (await ops.get<ObjectRecord>(KIND.object, objectId(loc)))?.data;
      if (!cur) throw noSuchObject(loc.name);
      if (opts.expiredAt !== undefined ? cur.deleteAt !== opts.expiredAt || this.visible(cur) : !this.visible(cur)) throw noSuchObject(loc.name);
      await ops.delete(KIND.object, cur.id);
      await ops.delete(KIND.expiry, cur.id);
      await this.count(ops, loc, -1, -cur.size, true);
      return cur;
    });
    await this.ctx.dropBlob(rec.blobKey);
    this.ctx.changed('object', 'deleted', rec.id, rec.projectId);
    return rec;
  }

  private async count(ops: StoreOps, loc: ObjectLocation, objects: number, bytes: number, mayBeGone = false): Promise<void> {
    const id = containerId(loc.account, loc.container);
    const c = (await ops.get<ContainerRecord>(KIND.container, id))?.data;
    if (!c) {
      if (mayBeGone) return;
      throw noSuchContainer(loc.container);
    }
    await ops.update(KIND.container, id, { ...c, objectCount: c.objectCount + objects, bytesUsed: c.bytesUsed + bytes });
  }

  private async queueExpiry(ops: StoreOps, rec: ObjectRecord): Promise<void> {
    await ops.delete(KIND.expiry, rec.id);
    if (rec.deleteAt !== undefined) {
      const e: ExpiryRecord = { id: rec.id, objectId: rec.id, deleteAt: rec.deleteAt };
      await ops.create(KIND.expiry, rec.id, e);
    }
  }
}
