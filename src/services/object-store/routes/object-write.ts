import type { Readable } from 'node:stream';
import { StratusError, badRequest } from '../../../core/errors.js';
import { checkObjectName, httpDate, type ObjectLocation } from '../logic/index.js';
import { bulkReport } from '../views/bulk.js';
import { quotePath } from '../views/wire.js';
import { userMetaHeaders } from '../views/headers.js';
import { containerFor, readCheck, writeCheck } from './access.js';
import { bulkFormat } from './bulk.js';
import { DEFAULT_CONTENT_TYPE, guessContentType } from './mime.js';
import { locationOf } from './object-read.js';
import { header, metaPatch, query, truthy, type SwiftCall } from './request.js';
import { respond } from './respond.js';
import { putSlo } from './slo.js';
import { declaredLength, ifNoneMatchStar, writeAttrs } from './write-input.js';

const ACCEPTED = '<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>';

function noManifestViaTempUrl(c: SwiftCall): void {
  if (c.caller.tempUrl && header(c.req, 'x-object-manifest') !== undefined) throw badRequest('X-Object-Manifest is not allowed with a TempURL.');
}

export async function putObject(c: SwiftCall) {
  const loc = locationOf(c);
  checkObjectName(loc.name);
  await containerFor(c, 'object:write');
  noManifestViaTempUrl(c);
  if (query(c.req, 'multipart-manifest') === 'put') return putSlo(c, loc);
  const copyFrom = header(c.req, 'x-copy-from');
  if (copyFrom !== undefined) {
    const src = copyPath(copyFrom, header(c.req, 'x-copy-from-account') ?? c.path.account, 'X-Copy-From');
    return copy(c, src, loc);
  }
  const length = declaredLength(c);
  const attrs = writeAttrs(c, loc.name);
  const ifNoneMatch = ifNoneMatchStar(c);
  const body = length === 0 ? undefined : (c.req.body as Readable | undefined);
  const opts: Parameters<typeof c.deps.storage.objects.put>[3] = { ifNoneMatch };
  if (length !== null) opts.expectedSize = length;
  const etag = header(c.req, 'etag');
  if (etag) opts.expectedEtag = etag;
  const rec = await c.deps.storage.objects.put(loc, body, { ...attrs, contentType: attrs.contentType ?? guessContentType(loc.name) }, opts);
  return respond(c.reply, 201, { Etag: rec.etag, 'Last-Modified': httpDate(rec.timestamp) });
}

/** COPY with a Destination header: the same as a PUT there with X-Copy-From this object. */
export async function copyObject(c: SwiftCall) {
  const dest = header(c.req, 'destination');
  if (dest === undefined) throw new StratusError('PreconditionFailed', 'Destination header required', 'PreconditionFailed');
  const dst = copyPath(dest, header(c.req, 'destination-account') ?? c.path.account, 'Destination');
  checkObjectName(dst.name);
  await containerFor(c, 'object:write', dst.container, dst.account);
  return copy(c, locationOf(c), dst);
}

/** `<container>/<object>` (leading slash optional, percent-encoded) in a copy header. */
function copyPath(v: string, account: string, what: string): ObjectLocation {
  let s: string;
  try {
    s = decodeURIComponent(v);
  } catch {
    throw badRequest(`${what} header must be UTF-8 and percent-encoded.`);
  }
  if (s.startsWith('/')) s = s.slice(1);
  const i = s.indexOf('/');
  if (i <= 0 || i === s.length - 1) {
    throw new StratusError('PreconditionFailed', `${what} header must be of the form <container name>/<object name>`, 'PreconditionFailed');
  }
  if (!/^AUTH_[^/]+$/.test(account)) throw badRequest(`Invalid account in ${what}-Account.`);
  return { account, container: s.slice(0, i), name: s.slice(i + 1) };
}

async function copy(c: SwiftCall, src: ObjectLocation, dst: ObjectLocation) {
  const cl = header(c.req, 'content-length');
  if ((cl !== undefined && cl !== '0') || header(c.req, 'transfer-encoding') !== undefined) throw badRequest('Copy requests require a zero byte body');
  await containerFor(c, 'object:read', src.container, src.account);
  const attrs = writeAttrs(c, dst.name);
  const opts: Parameters<typeof c.deps.storage.copy>[2] = {
    meta: attrs.meta,
    removeMeta: metaPatch(c.req, 'object').remove,
    freshMetadata: truthy(header(c.req, 'x-fresh-metadata')),
    manifestOnly: query(c.req, 'multipart-manifest') === 'get',
    put: { ifNoneMatch: ifNoneMatchStar(c) },
  };
  if (attrs.contentType !== undefined) opts.contentType = attrs.contentType;
  if (attrs.contentDisposition !== undefined) opts.contentDisposition = attrs.contentDisposition;
  if (attrs.contentEncoding !== undefined) opts.contentEncoding = attrs.contentEncoding;
  if (attrs.deleteAt !== undefined) opts.deleteAt = attrs.deleteAt;
  const { record, source } = await c.deps.storage.copy(src, dst, opts, readCheck(c));
  const headers: Record<string, string> = {
    ...userMetaHeaders(record),
    Etag: record.etag,
    'Last-Modified': httpDate(record.timestamp),
    'X-Copied-From': quotePath(`${src.container}/${src.name}`),
    'X-Copied-From-Last-Modified': httpDate(source.timestamp),
  };
  if (src.account !== c.path.account) headers['X-Copied-From-Account'] = quotePath(src.account);
  return respond(c.reply, 201, headers);
}

/** POST: replaces the object's metadata (and disposition, encoding, expiry, DLO manifest). */
export async function postObject(c: SwiftCall) {
  const loc = locationOf(c);
  await containerFor(c, 'object:write');
  noManifestViaTempUrl(c);
  const { contentType, ...attrs } = writeAttrs(c, loc.name);
  const change: Parameters<typeof c.deps.storage.objects.update>[1] = attrs;
  if (contentType !== undefined) change.contentType = contentType || DEFAULT_CONTENT_TYPE;
  await c.deps.storage.objects.update(loc, change);
  return respond(c.reply, 202, {}, ACCEPTED);
}

export async function deleteObject(c: SwiftCall) {
  const loc = locationOf(c);
  await containerFor(c, 'object:write');
  if (query(c.req, 'multipart-manifest') === 'delete') {
    const res = await c.deps.storage.deleteWithSegments(loc, writeCheck(c));
    const report = bulkReport(res, bulkFormat(c));
    return respond(c.reply, 200, { 'Content-Type': report.contentType }, report.body);
  }
  await c.deps.storage.objects.delete(loc);
  return respond(c.reply, 204, {});
}
