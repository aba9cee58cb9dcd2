import type { ListEntry, ObjectRecord, ObjectStorage } from '../../object-store/logic/index.js';
import type { UploadRecord } from './uploads.js';

/** Most keys, uploads or parts one listing returns (S3's 1,000). */
export const MAX_KEYS = 1000;

export interface PageOptions {
  prefix: string;
  delimiter: string;
  /** List names after this one (v1 marker, v2 start-after or continuation token). */
  after: string;
  maxKeys: number;
}

export interface ObjectPage {
  /** Objects and common prefixes, in name order, at most maxKeys of them together. */
  entries: ListEntry<ObjectRecord>[];
  truncated: boolean;
  /** The last name returned (a key or a common prefix): where the next page starts. */
  last: string | undefined;
}

/** One page of a bucket listing, common prefixes rolled up as S3 does. */
export async function listObjectsPage(storage: ObjectStorage, account: string, bucket: string, o: PageOptions): Promise<ObjectPage> {
  if (o.maxKeys === 0) {
    await storage.containers.get(account, bucket);
    return { entries: [], truncated: false, last: undefined };
  }
  const all = await storage.containers.listObjects(account, bucket, {
    prefix: o.prefix,
    delimiter: o.delimiter || undefined,
    marker: o.after || undefined,
    limit: o.maxKeys + 1,
  });
  const entries = all.slice(0, o.maxKeys);
  return { entries, truncated: all.length > o.maxKeys, last: entries[entries.length - 1]?.name };
}

export interface UploadPageOptions {
  prefix: string;
  delimiter: string;
  keyMarker: string;
  uploadIdMarker: string;
  maxUploads: number;
}

export interface UploadPage {
  uploads: UploadRecord[];
  prefixes: string[];
  truncated: boolean;
  nextKeyMarker: string | undefined;
  nextUploadIdMarker: string | undefined;
}

/** After the markers: keys past key-marker, or the same key with a later upload (by list order). */
function afterMarkers(all: UploadRecord[], keyMarker: string, uploadIdMarker: string): UploadRecord[] {
  if (!keyMarker) return all;
  const at = uploadIdMarker ? all.findIndex((u) => u.key === keyMarker && u.id === uploadIdMarker) : -1;
  return all.filter((u, i) => u.key > keyMarker || (at >= 0 && u.key === keyMarker && i > at));
}

/** One page of ListMultipartUploads over the bucket's uploads (already in list order). */
export function uploadsPage(all: UploadRecord[], o: UploadPageOptions): UploadPage {
  const page: UploadPage = { uploads: [], prefixes: [], truncated: false, nextKeyMarker: undefined, nextUploadIdMarker: undefined };
  for (const u of afterMarkers(all, o.keyMarker, o.uploadIdMarker)) {
    if (!u.key.startsWith(o.prefix)) continue;
    // A page that ended on a common prefix passes it as the marker: skip what it rolled up.
    if (o.delimiter && o.keyMarker.endsWith(o.delimiter) && u.key.startsWith(o.keyMarker)) continue;
    const i = o.delimiter ? u.key.indexOf(o.delimiter, o.prefix.length) : -1;
    const common = i >= 0 ? u.key.slice(0, i + o.delimiter.length) : undefined;
    if (common !== undefined && page.prefixes[page.prefixes.length - 1] === common) continue;
    if (page.uploads.length + page.prefixes.length >= o.maxUploads) {
      page.truncated = true;
      break;
    }
    if (common !== undefined) {
      page.prefixes.push(common);
      page.nextKeyMarker = common;
      page.nextUploadIdMarker = undefined;
    } else {
      page.uploads.push(u);
      page.nextKeyMarker = u.key;
      page.nextUploadIdMarker = u.id;
    }
  }
  return page;
}
