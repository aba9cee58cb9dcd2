import type { Clock } from '../../../core/clock.js';
import { hexId } from '../../../core/ids.js';
import type { Store } from '../../../store/index.js';
import {
  SLO_LIMITS,
  unquote,
  type ObjectAttrs,
  type ObjectLocation,
  type ObjectRecord,
  type ObjectStorage,
  type PutOptions,
  type SegmentRef,
} from '../../object-store/logic/index.js';
import { entityTooSmall, invalidPart, invalidPartOrder, invalidRequest, noSuchUpload } from '../errors.js';
import { multipartEtag } from './etag.js';
import { segmentsContainer } from './names.js';

/** Record kind of an upload in progress (S3's own records; the parts are objects). */
export const UPLOAD_KIND = 's3.upload';
export const MAX_PART_NUMBER = 10_000;

/** The object attributes a multipart upload was created with. */
export type UploadAttrs = Pick<ObjectAttrs, 'contentType' | 'meta' | 'contentDisposition' | 'contentEncoding'>;

export interface UploadRecord {
  /** The upload id. */
  id: string;
  projectId: string;
  account: string;
  bucket: string;
  key: string;
  /** Epoch ms. */
  initiated: number;
  initiatorUserId: string;
  attrs: UploadAttrs;
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  record: ObjectRecord;
}

const partName = (uploadId: string, n: number) => `${uploadId}/${String(n).padStart(5, '0')}`;
const allowAll = async () => {};

/**
 * Multipart uploads. Parts are ordinary objects in the bucket's hidden `<bucket>+segments`
 * container, named `<upload id>/<part number>`; completing an upload commits a static large
 * object whose segments are those parts, so the bytes are never copied and a GET streams them
 * in order. The upload itself is a record of kind `s3.upload`.
 *
 * Crash safety: completing commits the manifest before it removes the upload record; an abort
 * of an upload whose parts a committed object already uses removes only the record.
 */
export class Uploads {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly minPartSize: number,
  ) {}

  async create(account: string, bucket: string, key: string, attrs: UploadAttrs, userId: string): Promise<UploadRecord> {
    const owner = await this.storage.containers.get(account, bucket);
    const seg = segmentsContainer(bucket);
    if (!(await this.storage.containers.find(account, seg))) await this.storage.containers.create(account, seg);
    const rec: UploadRecord = {
      id: hexId(),
      projectId: owner.projectId,
      account,
      bucket,
      key,
      initiated: this.clock.now(),
      initiatorUserId: userId,
      attrs,
    };
    await this.store.create(UPLOAD_KIND, rec.id, rec);
    return rec;
  }

  /** The upload, which must belong to this bucket and key (else NoSuchUpload). */
  async get(account: string, bucket: string, key: string, uploadId: string): Promise<UploadRecord> {
    const rec = /^[0-9a-f]{32}$/.test(uploadId) ? (await this.store.get<UploadRecord>(UPLOAD_KIND, uploadId))?.data : undefined;
    if (!rec || rec.account !== account || rec.bucket !== bucket || rec.key !== key) throw noSuchUpload(uploadId);
    return rec;
  }

  /** Uploads in progress in a bucket, by key, then initiation time. */
  async list(account: string, bucket: string): Promise<UploadRecord[]> {
    const recs = (await this.store.find<UploadRecord>(UPLOAD_KIND, { where: { account, bucket } })).map((r) => r.data);
    return recs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated - b.initiated || (a.id < b.id ? -1 : 1)));
  }

  partLocation(up: UploadRecord, n: number): ObjectLocation {
    return { account: up.account, container: segmentsContainer(up.bucket), name: partName(up.id, n) };
  }

  /** Stores one part (replacing an earlier one with that number). */
  async putPart(up: UploadRecord, n: number, body: AsyncIterable<Uint8Array> | undefined, opts: PutOptions): Promise<ObjectRecord> {
    const loc = this.partLocation(up, n);
    const rec = await this.storage.objects.put(loc, body, { contentType: 'application/octet-stream', meta: {} }, opts);
    if (!(await this.store.get(UPLOAD_KIND, up.id))) {
      // Aborted while the part streamed in.
      await this.storage.objects.delete(loc).catch(() => undefined);
      throw noSuchUpload(up.id);
    }
    return rec;
  }

  /** The stored parts of an upload, by part number. */
  async parts(up: UploadRecord): Promise<PartInfo[]> {
    const entries = await this.storage.containers.listObjects(up.account, segmentsContainer(up.bucket), { prefix: `${up.id}/` }).catch(() => []);
    const out: PartInfo[] = [];
    for (const e of entries) {
      const m = /^\d{5}$/.exec(e.name.slice(up.id.length + 1));
      if (m && 'item' in e) out.push({ partNumber: Number(m[0]), etag: e.item.etag, size: e.item.size, record: e.item });
    }
    return out.sort((a, b) => a.partNumber - b.partNumber);
  }

  /** Removes the upload and its parts (unless a completed object already uses them). */
  async abort(up: UploadRecord): Promise<void> {
    const done = await this.storage.objects.find({ account: up.account, container: up.bucket, name: up.key });
    const used = done ? new Set((await this.storage.large.segmentsOf(done)).map((l) => `${l.container}/${l.name}`)) : new Set<string>();
    const stale = (await this.parts(up)).filter((p) => !used.has(`${p.record.container}/${p.record.name}`));
    await this.deleteObjects(up.account, stale.map((p) => p.record));
    await this.store.delete(UPLOAD_KIND, up.id);
  }

  /**
   * Completes an upload: the listed parts, in ascending order, each present with the given
   * ETag and (but the last) at least the minimum part size, become the object. Parts not
   * listed are removed. Returns the object and its S3 ETag.
   */
  async complete(up: UploadRecord, requested: { partNumber: number; etag: string }[]): Promise<{ record: ObjectRecord; etag: string }> {
    if (requested.length === 0) throw invalidRequest('You must specify at least one part.');
    for (let i = 1; i < requested.length; i++) if (requested[i]!.partNumber <= requested[i - 1]!.partNumber) throw invalidPartOrder();
    const stored = new Map((await this.parts(up)).map((p) => [p.partNumber, p]));
    const chosen = requested.map((r, i) => {
      const p = stored.get(r.partNumber);
      if (!p || unquote(r.etag.trim()).toLowerCase() !== p.etag) throw invalidPart(`Part ${r.partNumber} is missing or has another ETag.`);
      if (i < requested.length - 1 && p.size < this.minPartSize) throw entityTooSmall();
      return p;
    });
    const dest: ObjectLocation = { account: up.account, container: up.bucket, name: up.key };
    const old = await this.storage.objects.find(dest);
    const refs = await this.manifestRefs(up, chosen);
    const record = await this.storage.large.putSlo(dest, refs, up.attrs);
    await this.store.delete(UPLOAD_KIND, up.id);
    const keep = new Set(chosen.map((p) => p.partNumber));
    await this.deleteObjects(up.account, [...stored.values()].filter((p) => !keep.has(p.partNumber)).map((p) => p.record));
    await this.dropSegments(old, up.bucket, record);
    return { record, etag: multipartEtag(chosen.map((p) => p.etag)) };
  }

  /** Segment references; above the SLO segment limit, parts are grouped into sub-manifests. */
  private async manifestRefs(up: UploadRecord, parts: PartInfo[]): Promise<SegmentRef[]> {
    const refOf = (r: ObjectRecord): SegmentRef => ({ container: r.container, name: r.name, etag: r.etag, size: r.size });
    if (parts.length <= SLO_LIMITS.maxSegments) return parts.map((p) => refOf(p.record));
    const subs: SegmentRef[] = [];
    for (let i = 0; i < parts.length; i += SLO_LIMITS.maxSegments) {
      const group = parts.slice(i, i + SLO_LIMITS.maxSegments).map((p) => refOf(p.record));
      const loc = { account: up.account, container: segmentsContainer(up.bucket), name: `${up.id}/manifest-${subs.length}` };
      subs.push(refOf(await this.storage.large.putSlo(loc, group, { contentType: 'application/octet-stream', meta: {} })));
    }
    return subs;
  }

  /**
   * After `old` was replaced or deleted: removes the parts of its multipart upload (segments in
   * the bucket's segments container) that `keep` does not use. Objects made through Swift keep
   * their segments.
   */
  async dropSegments(old: ObjectRecord | undefined, bucket: string, keep?: ObjectRecord): Promise<void> {
    if (old?.manifest?.type !== 'slo') return;
    const seg = segmentsContainer(bucket);
    const kept = keep ? new Set((await this.storage.large.segmentsOf(keep)).map((l) => `${l.container}/${l.name}`)) : new Set<string>();
    const mine = (await this.storage.large.segmentsOf(old)).filter((l) => l.container === seg && !kept.has(`${l.container}/${l.name}`));
    await this.deleteObjects(old.account, mine.map((l) => ({ container: l.container, name: l.name })));
  }

  /** After DeleteBucket: every upload of the bucket, its parts and the segments container. */
  async purgeBucket(account: string, bucket: string): Promise<void> {
    await this.store.deleteWhere(UPLOAD_KIND, { account, bucket });
    const seg = segmentsContainer(bucket);
    const left = await this.storage.containers.objects(account, seg).catch(() => []);
    await this.deleteObjects(account, left);
    await this.storage.containers.delete(account, seg).catch(() => undefined);
  }

  private async deleteObjects(account: string, objs: { container: string; name: string }[]): Promise<void> {
    if (!objs.length) return;
    const targets = objs.map((o) => ({ path: `/${o.container}/${o.name}`, container: o.container, name: o.name }));
    await this.storage.deleteMany(account, targets, allowAll);
  }
}
