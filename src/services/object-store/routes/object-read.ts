import { BlobNotFound } from '../../../drivers/object/driver.js';
import {
  evaluateConditions,
  lastModifiedSeconds,
  parseRange,
  unquote,
  type ByteRange,
  type ObjectLocation,
  type ObjectRecord,
  type ReadPlan,
} from '../logic/index.js';
import { invalidRange, preconditionFailed } from '../logic/errors.js';
import { byteranges } from '../views/byteranges.js';
import { objectHeaders, type HeaderMap } from '../views/headers.js';
import { manifestBody } from '../views/manifest.js';
import { toWire } from '../views/wire.js';
import { containerFor, readCheck } from './access.js';
import { header, query, type SwiftCall } from './request.js';
import { respond } from './respond.js';

export const locationOf = (c: SwiftCall): ObjectLocation => ({ account: c.path.account, container: c.path.container, name: c.path.object });

export const getObject = (c: SwiftCall) => serve(c, true);
export const headObject = (c: SwiftCall) => serve(c, false);

/** GET/HEAD an object. Retries when an overwrite removed the blob between lookup and open. */
async function serve(c: SwiftCall, withBody: boolean) {
  await containerFor(c, 'object:read');
  for (let attempt = 0; ; attempt++) {
    try {
      return await serveOnce(c, withBody);
    } catch (e) {
      if (!(e instanceof BlobNotFound) || attempt >= 2 || c.reply.sent) throw e;
    }
  }
}

async function serveOnce(c: SwiftCall, withBody: boolean) {
  const { storage } = c.deps;
  const rec = await storage.objects.head(locationOf(c));
  const manifestGet = query(c.req, 'multipart-manifest') === 'get';
  if (manifestGet && rec.manifest?.type === 'slo') return sendManifest(c, rec, withBody);
  const plan: ReadPlan = manifestGet
    ? { size: rec.size, etag: rec.etag, parts: [{ blobKey: rec.blobKey, offset: 0, length: rec.size }] }
    : await storage.plan(rec, readCheck(c));
  const headers = c.caller.tempUrl ? tempUrlView(c, rec, objectHeaders(rec, plan)) : objectHeaders(rec, plan);
  const cond = evaluateConditions(
    { etag: unquote(plan.etag), lastModified: lastModifiedSeconds(rec.timestamp) },
    { ifMatch: header(c.req, 'if-match'), ifNoneMatch: header(c.req, 'if-none-match'), ifModifiedSince: header(c.req, 'if-modified-since'), ifUnmodifiedSince: header(c.req, 'if-unmodified-since') },
  );
  if (cond === 'failed') throw preconditionFailed();
  if (cond === 'not-modified') return respond(c.reply, 304, { Etag: plan.etag, 'Last-Modified': headers['Last-Modified']!, 'Content-Type': headers['Content-Type']! });
  if (!withBody) return respond(c.reply, 200, { ...headers, 'Content-Length': String(plan.size) });
  const ranges = parseRange(header(c.req, 'range'), plan.size);
  if (ranges === 'unsatisfiable') {
    c.reply.header('Content-Range', `bytes */${plan.size}`);
    throw invalidRange(plan.size);
  }
  return sendBody(c, plan, headers, ranges);
}

async function sendBody(c: SwiftCall, plan: ReadPlan, headers: HeaderMap, ranges: ByteRange[] | undefined) {
  const { storage } = c.deps;
  if (!ranges) {
    const body = await storage.open(plan);
    return c.reply.code(200).headers({ ...headers, 'Content-Length': String(plan.size) }).send(body);
  }
  if (ranges.length === 1) {
    const r = ranges[0]!;
    const body = await storage.open(plan, r);
    const h = { ...headers, 'Content-Length': String(r.end - r.start + 1), 'Content-Range': `bytes ${r.start}-${r.end}/${plan.size}` };
    return c.reply.code(206).headers(h).send(body);
  }
  const multi = await byteranges(ranges, plan.size, headers['Content-Type']!, (r) => storage.open(plan, r));
  return c.reply
    .code(206)
    .headers({ ...headers, 'Content-Type': multi.contentType, 'Content-Length': String(multi.length) })
    .send(multi.body);
}

async function sendManifest(c: SwiftCall, rec: ObjectRecord, withBody: boolean) {
  const m = manifestBody(rec, query(c.req, 'format') === 'raw');
  const headers: HeaderMap = {
    ...objectHeaders(rec, { etag: m.etag, size: Buffer.byteLength(m.body) }),
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(m.body)),
  };
  return respond(c.reply, 200, headers, withBody ? m.body : undefined);
}

/**
 * TempURL responses: a download disposition (`filename=`, `inline`), and no private
 * metadata (Swift's outgoing_remove_headers x-object-meta-*, allowing x-object-meta-public-*).
 */
function tempUrlView(c: SwiftCall, rec: ObjectRecord, headers: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  for (const [k, v] of Object.entries(headers)) {
    const lower = k.toLowerCase();
    if (!lower.startsWith('x-object-meta-') || lower.startsWith('x-object-meta-public-')) out[k] = v;
  }
  const filename = query(c.req, 'filename');
  const quoted = (s: string) => `"${s.replace(/["\\]/g, '')}"`;
  if (query(c.req, 'inline') !== undefined) {
    out['Content-Disposition'] = filename ? toWire(`inline; filename=${quoted(filename)}`) : 'inline';
  } else if (c.req.method === 'GET') {
    const base = filename ?? (rec.name.split('/').filter(Boolean).pop() ?? rec.name);
    out['Content-Disposition'] = toWire(`attachment; filename=${quoted(base)}; filename*=UTF-8''${encodeURIComponent(base)}`);
  }
  return out;
}
