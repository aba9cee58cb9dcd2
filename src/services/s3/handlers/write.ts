import { evaluateConditions, lastModifiedSeconds, type CopyOptions, type ObjectLocation, type ObjectRecord } from '../../object-store/logic/index.js';
import { uploadBody } from '../body.js';
import { invalidArgument, invalidRequest, noSuchKey, preconditionFailed } from '../errors.js';
import { s3Etag } from '../logic/etag.js';
import { checkBucketRef, checkKey } from '../logic/names.js';
import { allowAll, header, locationOf, type S3Call } from '../request.js';
import { sendEmpty, sendXml } from '../respond.js';
import { quoted } from '../views/common.js';
import { copyResultXml } from '../views/objects.js';
import { writeAttrs } from './attrs.js';
import { bucketOf } from './buckets.js';

/** If-None-Match on a write: only `*` (fail when the key exists). */
export function ifNoneMatchStar(c: S3Call): boolean {
  const v = header(c, 'if-none-match');
  if (v === undefined) return false;
  if (v.trim() !== '*') throw invalidArgument('If-None-Match on a write only supports *.', 'If-None-Match', v);
  return true;
}

/** PUT /<bucket>/<key> (PutObject). */
export async function putObject(c: S3Call) {
  checkKey(c.target.key);
  await bucketOf(c);
  const { storage, uploads } = c.deps;
  const attrs = writeAttrs(c);
  const body = uploadBody(c.req.raw, c.req.headers, c.payload, storage.ctx.config.maxObjectSize);
  const loc = locationOf(c);
  const old = await storage.objects.find(loc);
  const rec = await storage.objects.put(loc, body.stream, attrs, { expectedEtag: body.md5Hex, expectedSize: body.length, ifNoneMatch: ifNoneMatchStar(c) });
  await uploads.dropSegments(old, c.target.bucket, rec);
  return sendEmpty(c.reply, 200, { ETag: quoted(rec.etag) });
}

/** `x-amz-copy-source: [/]<bucket>/<key>[?versionId=null]`, percent-encoded. */
export function copySourceOf(c: S3Call): { bucket: string; key: string } {
  const raw = header(c, 'x-amz-copy-source') ?? '';
  const [path = '', version] = raw.replace(/^\//, '').split('?versionId=');
  if (version !== undefined && version !== 'null') throw invalidArgument('Invalid version id specified', 'versionId', version);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw invalidArgument('Invalid copy source encoding.', 'x-amz-copy-source', raw);
  }
  const i = decoded.indexOf('/');
  if (i <= 0 || i === decoded.length - 1) throw invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', raw);
  const src = { bucket: decoded.slice(0, i), key: decoded.slice(i + 1) };
  checkBucketRef(src.bucket);
  checkKey(src.key);
  return src;
}

/** The copy source, after its x-amz-copy-source-if-* conditions (412 when one fails). */
export async function copySource(c: S3Call): Promise<{ loc: ObjectLocation; rec: ObjectRecord }> {
  const src = copySourceOf(c);
  await bucketOf(c, src.bucket);
  const loc = locationOf(c, src.key, src.bucket);
  const rec = await c.deps.storage.objects.find(loc);
  if (!rec) throw noSuchKey(src.key);
  const etag = await s3Etag(c.deps.storage, rec);
  const cond = {
    ifMatch: header(c, 'x-amz-copy-source-if-match'),
    ifNoneMatch: header(c, 'x-amz-copy-source-if-none-match'),
    ifModifiedSince: header(c, 'x-amz-copy-source-if-modified-since'),
    ifUnmodifiedSince: header(c, 'x-amz-copy-source-if-unmodified-since'),
  };
  if (evaluateConditions({ etag, lastModified: lastModifiedSeconds(rec.timestamp) }, cond) !== 'ok') throw preconditionFailed('x-amz-copy-source-If-*');
  return { loc, rec };
}

function directiveOf(c: S3Call): 'COPY' | 'REPLACE' {
  const v = (header(c, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (v !== 'COPY' && v !== 'REPLACE') throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', v);
  return v;
}

/** PUT /<bucket>/<key> with x-amz-copy-source (CopyObject): large sources are assembled. */
export async function copyObject(c: S3Call) {
  checkKey(c.target.key);
  await bucketOf(c);
  const directive = directiveOf(c);
  const src = await copySource(c);
  const dst = locationOf(c);
  if (src.loc.container === dst.container && src.loc.name === dst.name && directive === 'COPY') {
    throw invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const opts: CopyOptions = { meta: {}, put: { ifNoneMatch: ifNoneMatchStar(c) } };
  if (directive === 'REPLACE') Object.assign(opts, writeAttrs(c), { freshMetadata: true });
  const { storage, uploads } = c.deps;
  const old = await storage.objects.find(dst);
  const { record } = await storage.copy(src.loc, dst, opts, allowAll);
  await uploads.dropSegments(old, c.target.bucket, record);
  return sendXml(c.reply, 200, copyResultXml('CopyObjectResult', record, record.etag));
}

/** Deletes a key (and the parts of a multipart object); absent keys are fine, as in S3. */
export async function removeKey(c: S3Call, key: string): Promise<void> {
  const { storage, uploads } = c.deps;
  const loc = locationOf(c, key);
  const rec = await storage.objects.find(loc);
  if (!rec) return;
  await storage.objects.delete(loc).catch((e: { code?: string }) => {
    if (e?.code !== 'NoSuchObject') throw e;
  });
  await uploads.dropSegments(rec, c.target.bucket);
}

/** DELETE /<bucket>/<key> (DeleteObject): 204 whether or not the key existed. */
export async function deleteObject(c: S3Call) {
  checkKey(c.target.key);
  await bucketOf(c);
  await removeKey(c, c.target.key);
  return sendEmpty(c.reply, 204);
}
