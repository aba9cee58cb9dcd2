import { createHash } from 'node:crypto';
import { listingDate, type ObjectRecord } from '../logic/index.js';

/**
 * A static large object's manifest as `?multipart-manifest=get` returns it: Swift's stored
 * form (name/hash/bytes/…), or with `format=raw` the form a PUT takes (path/etag/size_bytes).
 */
export function manifestBody(o: ObjectRecord, raw: boolean): { body: string; etag: string } {
  const segs = o.manifest?.type === 'slo' ? o.manifest.segments : [];
  const rows = segs.map((s) => {
    const range = s.range ? `${s.range.start}-${s.range.end}` : undefined;
    if (raw) return { path: `/${s.container}/${s.name}`, etag: s.etag, size_bytes: s.size, ...(range ? { range } : {}) };
    return {
      name: `/${s.container}/${s.name}`,
      hash: s.etag,
      bytes: s.size,
      content_type: s.contentType,
      last_modified: listingDate(s.lastModified),
      ...(range ? { range } : {}),
      ...(s.subSlo ? { sub_slo: true } : {}),
    };
  });
  const body = JSON.stringify(rows);
  return { body, etag: createHash('md5').update(body).digest('hex') };
}
