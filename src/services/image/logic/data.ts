import type { Readable } from 'node:stream';
import { badRequest, conflict, forbidden, StratusError } from '../../../core/errors.js';
import { randomToken } from '../../../core/ids.js';
import { BlobTooLarge, type PutResult } from '../../../drivers/object/driver.js';
import type { Caller, ImageContext } from './context.js';
import { imageNotFound, type Images } from './images.js';
import { KIND, type Image, type ImageStatus, type StagedData } from './models.js';
import type { Quotas } from './quotas.js';
import { headerTap, virtualSize } from './vsize.js';

/** Where an image's bytes are kept: `image/<id>-<random>` (write-once; a retry gets a new key). */
export const BLOB_NAMESPACE = 'image';
const newKey = (id: string, kind: 'data' | 'stage') => `${BLOB_NAMESPACE}/${id}-${kind === 'stage' ? 'stage-' : ''}${randomToken(9)}`;

export interface Stored {
  key: string;
  put: PutResult;
  virtualSize: number | null;
}

/**
 * Image data: upload (`PUT …/file`), staging and glance-direct import, download, and the
 * start-up reconciliation of records with blobs.
 *
 * Contract: bytes are streamed into the BlobStore (never buffered whole). The record goes
 * queued → saving → active; when the stream fails or the quota is passed the blob store keeps
 * nothing and the image is put back to `queued`. A blob is referenced by a record only once it
 * is complete, and a blob no record points to is deleted at the next start.
 */
export class ImageData {
  constructor(
    private readonly ctx: ImageContext,
    private readonly images: Images,
    private readonly quotas: Quotas,
  ) {}

  async upload(caller: Caller, id: string, source: AsyncIterable<Uint8Array>, declared?: number): Promise<Image> {
    const img = await this.images.findMutable(caller, id, 'upload data to');
    if (img.status !== 'queued') throw conflict(`Image status transition from ${img.status} to saving is not allowed.`);
    requireFormats(img);
    const left = await this.quotas.remainingBytes(img.owner, declared);
    await this.transition(id, ['queued'], 'saving');
    const stored = await this.store(img, newKey(id, 'data'), source, left, 'saving');
    return this.commit(id, 'saving', stored, (cur) => ({
      ...cur,
      status: 'active',
      blobKey: stored.key,
      ...dataFields(stored),
    }));
  }

  async stage(caller: Caller, id: string, source: AsyncIterable<Uint8Array>, declared?: number): Promise<Image> {
    const img = await this.images.findMutable(caller, id, 'stage data for');
    if (img.status !== 'queued') throw conflict(`Image status transition from ${img.status} to uploading is not allowed.`);
    const left = await this.quotas.remainingBytes(img.owner, declared);
    await this.transition(id, ['queued'], 'uploading');
    const stored = await this.store(img, newKey(id, 'stage'), source, left, 'uploading');
    const staged: StagedData = {
      key: stored.key,
      size: stored.put.size,
      checksum: stored.put.hashes.md5,
      osHashValue: stored.put.hashes.sha512 ?? '',
      virtualSize: stored.virtualSize,
    };
    return this.commit(id, 'uploading', stored, (cur) => ({ ...cur, staged }));
  }

  /** glance-direct: uploading → importing now, → active right after (202 semantics). */
  async importStaged(caller: Caller, id: string): Promise<void> {
    const img = await this.images.findMutable(caller, id, 'import');
    if (img.status !== 'uploading' || !img.staged) throw conflict("Image needs to be staged before 'glance-direct' method can be used.");
    requireFormats(img);
    await this.transition(id, ['uploading'], 'importing');
    setImmediate(() => {
      this.finishImport(id).catch((e: unknown) => this.ctx.log.error(`import of ${id} failed: ${(e as Error).stack ?? String(e)}`));
    });
  }

  /** Moves staged data into place: the staged blob becomes the image's data. Idempotent. */
  async finishImport(id: string): Promise<void> {
    const done = await this.ctx.store.tx(async (tx) => {
      const cur = await this.images.repo.get(id, tx);
      if (!cur || cur.status !== 'importing' || !cur.staged) return undefined;
      const s = cur.staged;
      const next: Image = {
        ...cur,
        status: 'active',
        blobKey: s.key,
        staged: null,
        size: s.size,
        virtualSize: s.virtualSize,
        checksum: s.checksum,
        osHashAlgo: 'sha512',
        osHashValue: s.osHashValue,
        updatedAt: this.ctx.clock.now(),
      };
      return this.images.repo.update(next, tx);
    });
    if (done) this.ctx.changed(KIND.image, 'updated', id, done.owner);
  }

  /** The image to download, after Glance's checks (a deactivated image is admin-only). */
  async readable(caller: Caller, id: string): Promise<Image> {
    const img = await this.images.find(caller, id);
    if (img.status === 'deactivated' && !caller.admin)
      throw forbidden('The requested image has been deactivated. Image data download is prohibited.');
    return img;
  }

  /** Opens the data of an image that has some (`blobKey` set); `range` is inclusive. */
  open(img: Image, range?: { start: number; end: number }): Promise<Readable> {
    if (!img.blobKey) throw new StratusError('NotFound', `Image ${img.id} has no data.`, 'ImageDataNotFound');
    return this.ctx.blobs.open(img.blobKey, range);
  }

  /** Drops the blobs of a deleted image; a failure leaves an orphan for the next start. */
  async drop(img: Image): Promise<void> {
    for (const key of [img.blobKey, img.staged?.key]) {
      if (!key) continue;
      await this.ctx.blobs.delete(key).catch((e: unknown) => this.ctx.log.warn(`could not delete blob ${key} of image ${img.id}: ${String(e)}`));
    }
  }

  private async store(img: Image, key: string, source: AsyncIterable<Uint8Array>, left: number, during: ImageStatus): Promise<Stored> {
    const tap = headerTap(source);
    try {
      const put = await this.ctx.blobs.put(key, tap.stream, { maxBytes: left, hashes: ['sha512'] });
      return { key, put, virtualSize: virtualSize(img.diskFormat, tap.head(), put.size) };
    } catch (e) {
      await this.restore(img.id, during);
      throw this.mapStoreError(e, img);
    }
  }

  /**
   * Records stored bytes on the image if it is still in `during`; otherwise (deleted or changed
   * meanwhile) the blob is deleted and the upload answered 410, as Glance does.
   */
  private async commit(id: string, during: ImageStatus, stored: Stored, apply: (cur: Image) => Image): Promise<Image> {
    let out: Image | undefined;
    try {
      out = await this.ctx.store.tx(async (tx) => {
        const cur = await this.images.repo.get(id, tx);
        if (!cur || cur.status !== during) return undefined;
        return this.images.repo.update({ ...apply(cur), updatedAt: this.ctx.clock.now() }, tx);
      });
    } catch (e) {
      await this.ctx.blobs.delete(stored.key).catch(() => false);
      await this.restore(id, during);
      throw e;
    }
    if (!out) {
      await this.ctx.blobs.delete(stored.key).catch(() => false);
      throw new StratusError('Gone', `Image ${id} could not be found after upload. The image may have been deleted during the upload.`, 'ImageGone');
    }
    this.ctx.changed(KIND.image, 'updated', id, out.owner);
    return out;
  }

  /** Compare-and-set of the status; 409 when someone else moved the image first. */
  private async transition(id: string, from: ImageStatus[], to: ImageStatus): Promise<void> {
    await this.ctx.store.tx(async (tx) => {
      const cur = await this.images.repo.get(id, tx);
      if (!cur) throw imageNotFound(id);
      if (!from.includes(cur.status)) throw conflict(`Image status transition from ${cur.status} to ${to} is not allowed.`);
      await this.images.repo.update({ ...cur, status: to, updatedAt: this.ctx.clock.now() }, tx);
    });
  }

  /** Puts an image back to queued after a failed upload or stage (best effort). */
  private async restore(id: string, from: ImageStatus): Promise<void> {
    try {
      await this.ctx.store.tx(async (tx) => {
        const cur = await this.images.repo.get(id, tx);
        if (!cur || cur.status !== from) return;
        await this.images.repo.update({ ...cur, status: 'queued', size: null, virtualSize: null, updatedAt: this.ctx.clock.now() }, tx);
      });
    } catch (e) {
      this.ctx.log.error(`could not put image ${id} back to queued: ${String(e)}`);
    }
  }

  private mapStoreError(e: unknown, img: Image): unknown {
    if (e instanceof BlobTooLarge) return this.quotas.bytesExceeded(img.owner ?? '-');
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return new StratusError('PayloadTooLarge', 'Image storage media is full.', 'StorageFull');
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e as Error)?.message === 'aborted')
      return badRequest('The upload was interrupted before all data arrived.', 'UploadInterrupted');
    return e;
  }
}

function requireFormats(img: Image): void {
  const missing = [img.diskFormat ? null : 'disk_format', img.containerFormat ? null : 'container_format'].filter((x) => x);
  if (missing.length === 1) throw badRequest(`Property ${missing[0]} must be set prior to saving data.`);
  if (missing.length === 2) throw badRequest(`Properties ${missing.join(', ')} must be set prior to saving data.`);
}

function dataFields(s: Stored): Pick<Image, 'size' | 'virtualSize' | 'checksum' | 'osHashAlgo' | 'osHashValue'> {
  return { size: s.put.size, virtualSize: s.virtualSize, checksum: s.put.hashes.md5, osHashAlgo: 'sha512', osHashValue: s.put.hashes.sha512 ?? null };
}
