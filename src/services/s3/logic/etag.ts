import { createHash } from 'node:crypto';
import type { ObjectRecord, ObjectStorage } from '../../object-store/logic/index.js';

const MAX_DEPTH = 10;

/** S3's multipart ETag: md5 of the concatenated binary md5s of the parts, then `-<count>`. */
export function multipartEtag(partMd5s: string[]): string {
  const h = createHash('md5');
  for (const m of partMd5s) h.update(Buffer.from(m, 'hex'));
  return `${h.digest('hex')}-${partMd5s.length}`;
}

/** The md5s of a static large object's leaf segments, nested manifests expanded. */
async function leafEtags(storage: ObjectStorage, rec: ObjectRecord, depth: number): Promise<string[]> {
  if (rec.manifest?.type !== 'slo' || depth > MAX_DEPTH) return [rec.etag];
  const out: string[] = [];
  for (const s of rec.manifest.segments) {
    const sub = s.subSlo ? await storage.objects.find({ account: rec.account, container: s.container, name: s.name }) : undefined;
    if (sub) out.push(...(await leafEtags(storage, sub, depth + 1)));
    else out.push(s.etag);
  }
  return out;
}

/**
 * The ETag S3 shows for an object (unquoted): the md5 of a plain object; for a static large
 * object (a completed multipart upload, or an SLO made through Swift), the multipart form
 * `<md5 of part md5s>-<parts>`; for a dynamic large object, the etag its read plan gives.
 */
export async function s3Etag(storage: ObjectStorage, rec: ObjectRecord, planEtag?: string): Promise<string> {
  if (rec.manifest?.type === 'slo') return multipartEtag(await leafEtags(storage, rec, 0));
  if (rec.manifest?.type === 'dlo' && planEtag) return planEtag.replace(/^"|"$/g, '');
  return rec.etag;
}
