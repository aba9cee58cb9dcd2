import { BlobNotFound } from '../../../drivers/object/driver.js';
import { evaluateConditions, lastModifiedSeconds, parseRange, type ObjectRecord, type ReadPlan } from '../../object-store/logic/index.js';
import { invalidRange, noSuchKey, preconditionFailed } from '../errors.js';
import { s3Etag } from '../logic/etag.js';
import { allowAll, header, locationOf, toWire, type S3Call } from '../request.js';
import { sendEmpty } from '../respond.js';
import { objectHeaders, RESPONSE_OVERRIDES, type HeaderMap } from '../views/objects.js';
import { bucketOf } from './buckets.js';

export const getObject = (c: S3Call) => serve(c, true);
export const headObject = (c: S3Call) => serve(c, false);

/** GET/HEAD an object; retried when an overwrite removed the blob between lookup and open. */
async function serve(c: S3Call, withBody: boolean) {
  await bucketOf(c);
  for (let attempt = 0; ; attempt++) {
    try {
      return await serveOnce(c, withBody);
    } catch (e) {
      if (!(e instanceof BlobNotFound) || attempt >= 2 || c.reply.sent) throw e;
    }
  }
}

/** RFC 7232 conditions as S3 applies them: 412 PreconditionFailed or 304 Not Modified. */
function checkConditions(c: S3Call, rec: ObjectRecord, etag: string, headers: HeaderMap): 'ok' | 'not-modified' {
  const cond = {
    ifMatch: header(c, 'if-match'),
    ifNoneMatch: header(c, 'if-none-match'),
    ifModifiedSince: header(c, 'if-modified-since'),
    ifUnmodifiedSince: header(c, 'if-unmodified-since'),
  };
  const r = evaluateConditions({ etag, lastModified: lastModifiedSeconds(rec.timestamp) }, cond);
  if (r === 'failed') throw preconditionFailed(cond.ifMatch !== undefined ? 'If-Match' : 'If-Unmodified-Since');
  if (r === 'not-modified') {
    sendEmpty(c.reply, 304, { ETag: headers.ETag!, 'Last-Modified': headers['Last-Modified']! });
    return 'not-modified';
  }
  return 'ok';
}

function applyOverrides(c: S3Call, headers: HeaderMap): void {
  for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = c.query.get(param);
    if (v !== undefined) headers[name] = toWire(v);
  }
}

async function serveOnce(c: S3Call, withBody: boolean) {
  const { storage } = c.deps;
  const rec = await storage.objects.find(locationOf(c));
  if (!rec) throw noSuchKey(c.target.key);
  const plan: ReadPlan = await storage.plan(rec, allowAll);
  const etag = await s3Etag(storage, rec, plan.etag);
  const headers = objectHeaders(rec, etag);
  if (checkConditions(c, rec, etag, headers) === 'not-modified') return c.reply;
  applyOverrides(c, headers);
  const ranges = parseRange(header(c, 'range'), plan.size);
  if (ranges === 'unsatisfiable') throw invalidRange(plan.size);
  // NOTE: S3 serves one range; a multi-range request gets its first range.
  const r = ranges?.[0];
  if (r) {
    headers['Content-Range'] = `bytes ${r.start}-${r.end}/${plan.size}`;
    headers['Content-Length'] = String(r.end - r.start + 1);
  } else headers['Content-Length'] = String(plan.size);
  const status = r ? 206 : 200;
  if (!withBody) return c.reply.code(status).headers(headers).send();
  const body = await storage.open(plan, r);
  return c.reply.code(status).headers(headers).send(body);
}
