import type { ListEntry, ObjectRecord } from '../../object-store/logic/index.js';
import { invalidArgument } from '../errors.js';
import { s3Etag } from '../logic/etag.js';
import { listObjectsPage, MAX_KEYS, uploadsPage, type ObjectPage } from '../logic/listing.js';
import { MAX_PART_NUMBER } from '../logic/uploads.js';
import type { S3Call } from '../request.js';
import { sendXml } from '../respond.js';
import { listPartsXml, listUploadsXml, listV1Xml, listV2Xml, type ListParams } from '../views/listing.js';
import { bucketOf } from './buckets.js';

/** A non-negative integer query parameter, capped (S3 silently caps max-keys at 1,000). */
export function intParam(c: S3Call, name: string, dflt: number, cap: number): number {
  const v = c.query.get(name);
  if (v === undefined || v === '') return dflt;
  if (!/^\d{1,10}$/.test(v)) throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, v);
  return Math.min(Number(v), cap);
}

function encodingOf(c: S3Call): boolean {
  const v = c.query.get('encoding-type');
  if (v === undefined) return false;
  if (v.toLowerCase() !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', v);
  return true;
}

function baseParams(c: S3Call): ListParams {
  return {
    bucket: c.target.bucket,
    prefix: c.query.get('prefix') ?? '',
    delimiter: c.query.get('delimiter') ?? '',
    maxKeys: intParam(c, 'max-keys', MAX_KEYS, MAX_KEYS),
    url: encodingOf(c),
  };
}

/** S3 ETags of the objects on a page (large objects need their manifests). */
async function etagsOf(c: S3Call, entries: ListEntry<ObjectRecord>[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of entries) if ('item' in e && e.item.manifest) out.set(e.name, await s3Etag(c.deps.storage, e.item));
  return out;
}

const TOKEN_PREFIX = 'v1:';
const encodeToken = (name: string) => Buffer.from(TOKEN_PREFIX + name, 'utf8').toString('base64url');
function decodeToken(token: string): string {
  const s = Buffer.from(token, 'base64url').toString('utf8');
  if (!s.startsWith(TOKEN_PREFIX) || encodeToken(s.slice(TOKEN_PREFIX.length)) !== token.replace(/=+$/, '')) {
    throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  }
  return s.slice(TOKEN_PREFIX.length);
}

async function page(c: S3Call, p: ListParams, after: string): Promise<ObjectPage> {
  await bucketOf(c);
  return listObjectsPage(c.deps.storage, c.principal.account, c.target.bucket, { prefix: p.prefix, delimiter: p.delimiter, after, maxKeys: p.maxKeys });
}

/** GET /<bucket> (ListObjects, v1). */
export async function listObjectsV1(c: S3Call) {
  const p = { ...baseParams(c), marker: c.query.get('marker') ?? '' };
  const pg = await page(c, p, p.marker);
  return sendXml(c.reply, 200, listV1Xml(p, pg, await etagsOf(c, pg.entries), c.principal.projectId));
}

/** GET /<bucket>?list-type=2 (ListObjectsV2). */
export async function listObjectsV2(c: S3Call) {
  const base = baseParams(c);
  const token = c.query.get('continuation-token');
  const startAfter = c.query.get('start-after') ?? '';
  const after = token !== undefined ? decodeToken(token) : startAfter;
  const pg = await page(c, base, after);
  const p = { ...base, token, startAfter, fetchOwner: c.query.get('fetch-owner') === 'true', nextToken: pg.truncated && pg.last !== undefined ? encodeToken(pg.last) : undefined };
  return sendXml(c.reply, 200, listV2Xml(p, pg, await etagsOf(c, pg.entries), c.principal.projectId));
}

/** GET /<bucket>?uploads (ListMultipartUploads). */
export async function listUploads(c: S3Call) {
  await bucketOf(c);
  const p = {
    bucket: c.target.bucket,
    prefix: c.query.get('prefix') ?? '',
    delimiter: c.query.get('delimiter') ?? '',
    keyMarker: c.query.get('key-marker') ?? '',
    uploadIdMarker: c.query.get('upload-id-marker') ?? '',
    maxUploads: intParam(c, 'max-uploads', MAX_KEYS, MAX_KEYS),
    url: encodingOf(c),
  };
  const all = await c.deps.uploads.list(c.principal.account, c.target.bucket);
  return sendXml(c.reply, 200, listUploadsXml(p, uploadsPage(all, p)));
}

/** GET /<bucket>/<key>?uploadId=… (ListParts). */
export async function listParts(c: S3Call) {
  await bucketOf(c);
  const { uploads } = c.deps;
  const up = await uploads.get(c.principal.account, c.target.bucket, c.target.key, c.query.get('uploadId') ?? '');
  const marker = intParam(c, 'part-number-marker', 0, MAX_PART_NUMBER);
  const maxParts = intParam(c, 'max-parts', MAX_KEYS, MAX_KEYS);
  const after = (await uploads.parts(up)).filter((x) => x.partNumber > marker);
  const shown = after.slice(0, maxParts);
  return sendXml(c.reply, 200, listPartsXml({ bucket: c.target.bucket, upload: up, marker, maxParts }, shown, after.length > shown.length));
}
