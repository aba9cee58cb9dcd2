import { httpDate, type AccountInfo, type ContainerRecord, type Meta, type ObjectRecord, type ReadPlan } from '../logic/index.js';
import { toWire } from './wire.js';

export type HeaderMap = Record<string, string>;

/** The one storage policy Stratus has; /info lists it and containers report it. */
export const POLICY_NAME = 'Policy-0';

/** Metadata only owners see (Swift's swift_owner_headers). */
const OWNER_ONLY_META = ['temp-url-key', 'temp-url-key-2'];

function metaHeaders(prefix: string, meta: Meta, owner: boolean): HeaderMap {
  const out: HeaderMap = {};
  for (const [k, v] of Object.entries(meta)) {
    if (!owner && OWNER_ONLY_META.includes(k)) continue;
    out[toWire(`${prefix}${k}`)] = toWire(v);
  }
  return out;
}

export function accountHeaders(info: AccountInfo, owner: boolean): HeaderMap {
  const h: HeaderMap = {
    'X-Account-Container-Count': String(info.containerCount),
    'X-Account-Object-Count': String(info.objectCount),
    'X-Account-Bytes-Used': String(info.bytesUsed),
    'X-Timestamp': info.createdAt,
    'X-Put-Timestamp': info.createdAt,
    ...metaHeaders('X-Account-Meta-', info.meta, owner),
  };
  if (info.containerCount > 0) {
    const p = `X-Account-Storage-Policy-${POLICY_NAME}`;
    h[`${p}-Container-Count`] = String(info.containerCount);
    h[`${p}-Object-Count`] = String(info.objectCount);
    h[`${p}-Bytes-Used`] = String(info.bytesUsed);
  }
  return h;
}

export function containerHeaders(c: ContainerRecord, owner: boolean): HeaderMap {
  const h: HeaderMap = {
    'X-Container-Object-Count': String(c.objectCount),
    'X-Container-Bytes-Used': String(c.bytesUsed),
    'X-Timestamp': c.createdAt,
    'X-Put-Timestamp': c.updatedAt,
    'Last-Modified': httpDate(c.updatedAt),
    'X-Storage-Policy': POLICY_NAME,
    ...metaHeaders('X-Container-Meta-', c.meta, owner),
  };
  if (owner && c.readAcl) h['X-Container-Read'] = toWire(c.readAcl);
  if (owner && c.writeAcl) h['X-Container-Write'] = toWire(c.writeAcl);
  if (owner && c.syncTo) h['X-Container-Sync-To'] = toWire(c.syncTo);
  if (owner && c.syncKey) h['X-Container-Sync-Key'] = toWire(c.syncKey);
  return h;
}

/** Headers of an object GET/HEAD; `plan` gives size and etag as the body will have them. */
export function objectHeaders(o: ObjectRecord, plan: Pick<ReadPlan, 'etag' | 'size'>): HeaderMap {
  const h: HeaderMap = {
    'Content-Type': toWire(o.contentType),
    Etag: plan.etag,
    'Last-Modified': httpDate(o.timestamp),
    'X-Timestamp': o.timestamp,
    'Accept-Ranges': 'bytes',
    ...metaHeaders('X-Object-Meta-', o.meta, true),
  };
  if (o.contentDisposition !== undefined) h['Content-Disposition'] = toWire(o.contentDisposition);
  if (o.contentEncoding !== undefined) h['Content-Encoding'] = toWire(o.contentEncoding);
  if (o.deleteAt !== undefined) h['X-Delete-At'] = String(o.deleteAt);
  if (o.manifest?.type === 'dlo') h['X-Object-Manifest'] = toWire(o.manifest.raw);
  if (o.manifest?.type === 'slo') h['X-Static-Large-Object'] = 'True';
  return h;
}

/** The object's user metadata (a copy's response shows what the new object carries). */
export function userMetaHeaders(o: ObjectRecord): HeaderMap {
  return metaHeaders('X-Object-Meta-', o.meta, true);
}
