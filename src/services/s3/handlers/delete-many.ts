import { readSmallBody } from '../body.js';
import { invalidRequest, malformedXml, S3Error, toS3Error } from '../errors.js';
import { checkKey } from '../logic/names.js';
import { header, type S3Call } from '../request.js';
import { sendXml } from '../respond.js';
import { deleteResultXml } from '../views/objects.js';
import { childNamed, childrenNamed, childText, parseXml } from '../xml.js';
import { bucketOf } from './buckets.js';
import { removeKey } from './write.js';

/** S3 takes at most 1,000 keys per DeleteObjects request. */
export const MAX_DELETE_KEYS = 1000;
const BODY_LIMIT = 2 * 1024 * 1024;

/** `<Delete><Quiet>…</Quiet><Object><Key>…</Key></Object>…</Delete>`. */
export function parseDelete(xml: string): { quiet: boolean; keys: string[] } {
  const root = parseXml(xml);
  if (root.name !== 'Delete') throw malformedXml();
  const objects = childrenNamed(root, 'Object');
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw malformedXml();
  const keys = objects.map((o) => {
    const key = childNamed(o, 'Key');
    if (!key || key.text === '') throw malformedXml();
    return key.text;
  });
  const quiet = (childText(root, 'Quiet') ?? 'false').trim().toLowerCase();
  if (quiet !== 'true' && quiet !== 'false') throw malformedXml();
  return { quiet: quiet === 'true', keys };
}

/** S3 requires an integrity check on this request: Content-MD5 or an x-amz-checksum-*. */
function requireDigest(c: S3Call): void {
  const has = header(c, 'content-md5') !== undefined || Object.keys(c.req.headers).some((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-trailer');
  if (!has) throw invalidRequest('Missing required header for this request: Content-MD5');
}

/** POST /<bucket>?delete (DeleteObjects): each key is reported deleted or with its error. */
export async function deleteObjects(c: S3Call) {
  await bucketOf(c);
  requireDigest(c);
  const body = await readSmallBody(c.req.raw, c.req.headers, c.payload, BODY_LIMIT);
  const { quiet, keys } = parseDelete(body.toString('utf8'));
  const deleted: string[] = [];
  const errors: { key: string; error: S3Error }[] = [];
  for (const key of keys) {
    try {
      checkKey(key);
      await removeKey(c, key);
      if (!quiet) deleted.push(key);
    } catch (e) {
      const error = toS3Error(e);
      if (!error) throw e;
      errors.push({ key, error });
    }
  }
  return sendXml(c.reply, 200, deleteResultXml(deleted, errors));
}
