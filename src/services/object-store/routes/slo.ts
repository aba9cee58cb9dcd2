import { badRequest } from '../../../core/errors.js';
import { SLO_LIMITS, httpDate, type ObjectLocation, type SegmentRef } from '../logic/index.js';
import { entityTooLarge, invalidManifest } from '../logic/errors.js';
import { isObject } from '../../../core/validate.js';
import { readCheck } from './access.js';
import { readSmallBody } from './body.js';
import { guessContentType } from './mime.js';
import { header, type SwiftCall } from './request.js';
import { respond } from './respond.js';
import { declaredLength, ifNoneMatchStar, writeAttrs } from './write-input.js';

const KEYS = new Set(['path', 'etag', 'size_bytes', 'range']);

/** One entry of a `multipart-manifest=put` body: {path, etag, size_bytes[, range]}. */
function segmentRef(item: unknown, i: number, problems: string[]): SegmentRef | undefined {
  const bad = (why: string) => void problems.push(`Index ${i}: ${why}`);
  if (!isObject(item)) return bad('not a JSON object');
  const extra = Object.keys(item).filter((k) => !KEYS.has(k));
  if (extra.length) return bad(`extraneous keys ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
  const { path, etag, size_bytes: size, range } = item;
  if (typeof path !== 'string') return bad('"path" must be a string');
  const p = path.startsWith('/') ? path.slice(1) : path;
  const slash = p.indexOf('/');
  if (slash <= 0 || slash === p.length - 1) return bad('path does not refer to an object. Path must be of the form /container/object.');
  const ref: SegmentRef = { container: p.slice(0, slash), name: p.slice(slash + 1) };
  if (etag !== undefined && etag !== null && typeof etag !== 'string') return bad('"etag" must be a string or null');
  if (typeof etag === 'string') ref.etag = etag;
  const sizeNum = typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : size;
  if (sizeNum !== undefined && sizeNum !== null && (typeof sizeNum !== 'number' || !Number.isSafeInteger(sizeNum) || sizeNum < 0)) return bad('"size_bytes" must be an integer or null');
  if (typeof sizeNum === 'number') ref.size = sizeNum;
  if (range !== undefined && typeof range !== 'string') return bad('"range" must be a string');
  if (typeof range === 'string') ref.range = range;
  return ref;
}

export function parseManifest(text: string): SegmentRef[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw badRequest('Manifest must be valid JSON.');
  }
  if (!Array.isArray(doc)) throw badRequest('Manifest must be a list of segments.');
  if (doc.length > SLO_LIMITS.maxSegments) throw entityTooLarge(SLO_LIMITS.maxSegments);
  const problems: string[] = [];
  const refs = doc.map((item, i) => segmentRef(item, i, problems));
  if (problems.length) throw invalidManifest(`Errors:\n${problems.join('\n')}`);
  return refs as SegmentRef[];
}

/** PUT ?multipart-manifest=put: validates the segments and stores a static large object. */
export async function putSlo(c: SwiftCall, loc: ObjectLocation) {
  const length = declaredLength(c);
  if (length !== null && length > SLO_LIMITS.maxManifestSize) throw entityTooLarge(SLO_LIMITS.maxManifestSize);
  const refs = parseManifest(await readSmallBody(c.req.body, SLO_LIMITS.maxManifestSize));
  const check = readCheck(c);
  for (const container of new Set(refs.map((r) => r.container))) await check(loc.account, container);
  const { manifest, contentType, ...attrs } = writeAttrs(c, loc.name);
  if (manifest) throw badRequest('A static large object cannot also have X-Object-Manifest.');
  const etag = header(c.req, 'etag');
  const rec = await c.deps.storage.large.putSlo(
    loc,
    refs,
    { ...attrs, contentType: contentType ?? guessContentType(loc.name) },
    { ifNoneMatch: ifNoneMatchStar(c), ...(etag ? { expectedEtag: etag } : {}) },
  );
  return respond(c.reply, 201, { Etag: `"${rec.etag}"`, 'Last-Modified': httpDate(rec.timestamp) });
}
