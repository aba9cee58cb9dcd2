import type { StorageContext } from './context.js';
import { entityTooLarge } from './errors.js';
import type { LargeObjects, ReadCheck } from './large.js';
import type { Meta, ObjectLocation, ObjectRecord } from './models.js';
import type { ObjectAttrs, Objects, PutOptions } from './objects.js';
import { openRange } from './reader.js';

export interface CopyOptions {
  /** Attributes given with the copy request; they override the source's. */
  contentType?: string;
  meta: Meta;
  contentDisposition?: string;
  contentEncoding?: string;
  deleteAt?: number;
  /** Source metadata names to drop (X-Remove-Object-Meta-*). */
  removeMeta?: string[];
  /** Start from no metadata instead of the source's (X-Fresh-Metadata). */
  freshMetadata?: boolean;
  /** Copy a large object's manifest rather than its assembled bytes (multipart-manifest=get). */
  manifestOnly?: boolean;
  put?: PutOptions;
}

/**
 * Server-side copy: the destination gets its own blob with the source's bytes (a large object
 * is assembled into one object unless `manifestOnly`), so either can change or go later.
 */
export async function copyObject(
  deps: { ctx: StorageContext; objects: Objects; large: LargeObjects },
  src: ObjectLocation,
  dst: ObjectLocation,
  o: CopyOptions,
  check: ReadCheck,
): Promise<{ record: ObjectRecord; source: ObjectRecord }> {
  const source = await deps.objects.head(src);
  const attrs = copiedAttrs(source, o);
  if (o.manifestOnly && source.manifest?.type === 'slo') {
    const record = await deps.objects.commit(dst, { blobKey: null, size: source.size, etag: source.etag }, { ...attrs, manifest: source.manifest });
    return { record, source };
  }
  const plan = o.manifestOnly
    ? { size: source.size, etag: source.etag, parts: [{ blobKey: source.blobKey, offset: 0, length: source.size }] }
    : await deps.large.plan(source, check);
  if (plan.size > deps.ctx.config.maxObjectSize) throw entityTooLarge(deps.ctx.config.maxObjectSize);
  if (o.manifestOnly && source.manifest) attrs.manifest = source.manifest;
  const body = plan.size > 0 ? await openRange(deps.ctx.blobs, plan) : undefined;
  try {
    const record = await deps.objects.put(dst, body, attrs, { ...o.put, expectedSize: plan.size });
    return { record, source };
  } finally {
    body?.destroy();
  }
}

function copiedAttrs(source: ObjectRecord, o: CopyOptions): ObjectAttrs {
  const kept = o.freshMetadata ? {} : Object.fromEntries(Object.entries(source.meta).filter(([k]) => !o.removeMeta?.includes(k)));
  const attrs: ObjectAttrs = { contentType: o.contentType ?? source.contentType, meta: { ...kept, ...o.meta } };
  const disposition = o.contentDisposition ?? (o.freshMetadata ? undefined : source.contentDisposition);
  const encoding = o.contentEncoding ?? source.contentEncoding;
  if (disposition !== undefined) attrs.contentDisposition = disposition;
  if (encoding !== undefined) attrs.contentEncoding = encoding;
  if (o.deleteAt !== undefined) attrs.deleteAt = o.deleteAt;
  return attrs;
}
