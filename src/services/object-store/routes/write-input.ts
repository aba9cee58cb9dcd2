import { StratusError, badRequest } from '../../../core/errors.js';
import { checkMetaLimits, type DloManifest, type ObjectAttrs } from '../logic/index.js';
import { entityTooLarge } from '../logic/errors.js';
import { guessContentType } from './mime.js';
import { header, metaPatch, truthy, type SwiftCall } from './request.js';

/**
 * The declared body length of a write: Content-Length, or null for a chunked body. Swift
 * needs one of the two (411) and refuses more than max_file_size up front (413).
 */
export function declaredLength(c: SwiftCall): number | null {
  const te = header(c.req, 'transfer-encoding');
  const cl = header(c.req, 'content-length');
  if (te !== undefined) {
    // NOTE: Swift answers 501 here; a client error is the honest class for it.
    if (te.toLowerCase() !== 'chunked') throw badRequest('Unsupported Transfer-Coding; only chunked is accepted.');
    return null;
  }
  if (cl === undefined) throw new StratusError('BadRequest', 'Missing Content-Length or Transfer-Encoding: chunked.', 'LengthRequired');
  if (!/^\d+$/.test(cl)) throw badRequest('Invalid Content-Length.');
  const n = Number(cl);
  const max = c.deps.storage.ctx.config.maxObjectSize;
  if (n > max) throw entityTooLarge(max);
  return n;
}

/** X-Delete-At / X-Delete-After as epoch seconds (400 when not an integer or in the past). */
export function deleteAtOf(c: SwiftCall): number | undefined {
  const now = Date.now() / 1000;
  const at = header(c.req, 'x-delete-at');
  const after = header(c.req, 'x-delete-after');
  let v: number | undefined;
  if (after !== undefined) {
    if (!/^\s*-?\d+\s*$/.test(after)) throw badRequest('Non-integer X-Delete-After');
    if (Number(after) < 0) throw badRequest('X-Delete-After in past');
    v = Math.floor(now) + Number(after);
  } else if (at !== undefined) {
    if (!/^\s*-?\d+(\.\d+)?\s*$/.test(at)) throw badRequest('Non-integer X-Delete-At');
    v = Math.floor(Number(at));
    if (v < now) throw badRequest('X-Delete-At in past');
  }
  if (v !== undefined && v > 9_999_999_999) throw badRequest('X-Delete-At too far in the future');
  return v;
}

/** X-Object-Manifest: `<container>/<prefix>`, percent-encoded. */
export function dloManifestOf(c: SwiftCall): DloManifest | undefined {
  const raw = header(c.req, 'x-object-manifest');
  if (raw === undefined) return undefined;
  let v: string;
  try {
    v = decodeURIComponent(raw);
  } catch {
    throw badRequest('X-Object-Manifest must be UTF-8 and percent-encoded.');
  }
  const i = v.indexOf('/');
  if (i <= 0 || v.startsWith('/')) throw badRequest('X-Object-Manifest must be in the format container/prefix');
  return { type: 'dlo', container: v.slice(0, i), prefix: v.slice(i + 1), raw };
}

/** If-None-Match on a write: only `*` is meaningful (Swift: 400 for anything else). */
export function ifNoneMatchStar(c: SwiftCall): boolean {
  const v = header(c.req, 'if-none-match');
  if (v === undefined) return false;
  if (v.trim() !== '*') throw badRequest('If-None-Match only supports *');
  return true;
}

/** The Content-Type to store: as sent, or guessed from the name (X-Detect-Content-Type too). */
export function contentTypeOf(c: SwiftCall, name: string): string | undefined {
  const sent = c.contentType?.trim();
  if (truthy(header(c.req, 'x-detect-content-type')) || sent === '') return guessContentType(name);
  return sent === undefined ? undefined : sent.replace(/;\s*swift_bytes=\d+/, '');
}

/** Attributes of a PUT or POST from its headers (user metadata replaces the old). */
export function writeAttrs(c: SwiftCall, name: string): Omit<ObjectAttrs, 'contentType'> & { contentType: string | undefined } {
  const meta = metaPatch(c.req, 'object').set;
  checkMetaLimits(meta);
  const attrs: Omit<ObjectAttrs, 'contentType'> & { contentType: string | undefined } = { contentType: contentTypeOf(c, name), meta };
  const disposition = header(c.req, 'content-disposition');
  const encoding = header(c.req, 'content-encoding');
  const deleteAt = deleteAtOf(c);
  const manifest = dloManifestOf(c);
  if (disposition !== undefined) attrs.contentDisposition = disposition;
  if (encoding !== undefined) attrs.contentEncoding = encoding;
  if (deleteAt !== undefined) attrs.deleteAt = deleteAt;
  if (manifest) attrs.manifest = manifest;
  return attrs;
}
