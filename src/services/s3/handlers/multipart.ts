import { parseRange, type ByteRange } from '../../object-store/logic/index.js';
import { readSmallBody, uploadBody } from '../body.js';
import { invalidArgument, invalidRange, malformedXml } from '../errors.js';
import { checkKey } from '../logic/names.js';
import { MAX_PART_NUMBER } from '../logic/uploads.js';
import { allowAll, header, type S3Call } from '../request.js';
import { sendEmpty, sendXml } from '../respond.js';
import { quoted } from '../views/common.js';
import { completeXml, copyResultXml, initiateXml } from '../views/objects.js';
import { childrenNamed, childText, parseXml } from '../xml.js';
import { writeAttrs } from './attrs.js';
import { bucketOf } from './buckets.js';
import { copySource } from './write.js';

/** Largest part: 5 GiB, as in S3. */
export const MAX_PART_SIZE = 5 * 1024 ** 3;
const COMPLETE_BODY_LIMIT = 4 * 1024 * 1024;

const upload = (c: S3Call) => c.deps.uploads.get(c.principal.account, c.target.bucket, c.target.key, c.query.get('uploadId') ?? '');

/** POST /<bucket>/<key>?uploads (CreateMultipartUpload). */
export async function createUpload(c: S3Call) {
  checkKey(c.target.key);
  await bucketOf(c);
  const up = await c.deps.uploads.create(c.principal.account, c.target.bucket, c.target.key, writeAttrs(c), c.principal.userId);
  return sendXml(c.reply, 200, initiateXml(c.target.bucket, c.target.key, up.id));
}

function partNumberOf(v: string | undefined): number {
  if (v === undefined || !/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > MAX_PART_NUMBER) {
    throw invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, 'partNumber', v);
  }
  return Number(v);
}

/** PUT /<bucket>/<key>?partNumber=N&uploadId=… (UploadPart, or UploadPartCopy with a copy source). */
export async function uploadPart(c: S3Call) {
  const n = partNumberOf(c.query.get('partNumber'));
  await bucketOf(c);
  const up = await upload(c);
  if (header(c, 'x-amz-copy-source') !== undefined) return uploadPartCopy(c, n, up);
  const body = uploadBody(c.req.raw, c.req.headers, c.payload, MAX_PART_SIZE);
  const rec = await c.deps.uploads.putPart(up, n, body.stream, { expectedEtag: body.md5Hex, expectedSize: body.length });
  return sendEmpty(c.reply, 200, { ETag: quoted(rec.etag) });
}

/** `x-amz-copy-source-range: bytes=first-last` within the source. */
function copyRangeOf(c: S3Call, size: number): ByteRange | undefined {
  const v = header(c, 'x-amz-copy-source-range');
  if (v === undefined) return undefined;
  if (!/^bytes=\d+-\d+$/.test(v.trim())) throw invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', 'x-amz-copy-source-range', v);
  const r = parseRange(v, size);
  if (r === undefined || r === 'unsatisfiable' || r[0]!.end !== Number(v.split('-')[1])) throw invalidRange(size);
  return r[0];
}

async function uploadPartCopy(c: S3Call, n: number, up: Awaited<ReturnType<typeof upload>>) {
  const src = await copySource(c);
  const { storage } = c.deps;
  const plan = await storage.plan(src.rec, allowAll);
  const range = copyRangeOf(c, plan.size);
  const length = range ? range.end - range.start + 1 : plan.size;
  if (length > MAX_PART_SIZE) throw invalidArgument('The specified copy source is larger than the maximum allowable size for a copy source: 5368709120', 'x-amz-copy-source-range');
  const body = length > 0 ? await storage.open(plan, range) : undefined;
  try {
    const rec = await c.deps.uploads.putPart(up, n, body, { expectedSize: length });
    return sendXml(c.reply, 200, copyResultXml('CopyPartResult', rec, rec.etag));
  } finally {
    body?.destroy();
  }
}

/** `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…</CompleteMultipartUpload>`. */
export function parseComplete(xml: string): { partNumber: number; etag: string }[] {
  const root = parseXml(xml);
  if (root.name !== 'CompleteMultipartUpload') throw malformedXml();
  const parts = childrenNamed(root, 'Part');
  if (parts.length === 0 || parts.length > MAX_PART_NUMBER) throw malformedXml();
  return parts.map((p) => {
    const num = childText(p, 'PartNumber')?.trim();
    const etag = childText(p, 'ETag');
    if (num === undefined || etag === undefined || !/^\d{1,5}$/.test(num)) throw malformedXml();
    return { partNumber: partNumberOf(num), etag };
  });
}

/** POST /<bucket>/<key>?uploadId=… (CompleteMultipartUpload). */
export async function completeUpload(c: S3Call) {
  await bucketOf(c);
  const up = await upload(c);
  const body = await readSmallBody(c.req.raw, c.req.headers, c.payload, COMPLETE_BODY_LIMIT, false);
  const parts = parseComplete(body.toString('utf8'));
  const done = await c.deps.uploads.complete(up, parts);
  const location = `${c.deps.publicUrl()}/${encodeURIComponent(up.bucket)}/${encodeURIComponent(up.key).replace(/%2F/g, '/')}`;
  return sendXml(c.reply, 200, completeXml(location, up.bucket, up.key, done.etag));
}

/** DELETE /<bucket>/<key>?uploadId=… (AbortMultipartUpload). */
export async function abortUpload(c: S3Call) {
  await bucketOf(c);
  await c.deps.uploads.abort(await upload(c));
  return sendEmpty(c.reply, 204);
}
