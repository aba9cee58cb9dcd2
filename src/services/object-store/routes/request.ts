import type { FastifyReply, FastifyRequest } from 'fastify';
import { StratusError, badRequest } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';
import type { TokenVerifier } from '../../../http/auth.js';
import { q } from '../../../core/validate.js';
import type { MetaPatch, ObjectStorage } from '../logic/index.js';
import type { Caller } from '../policy.js';
import type { ListingFormat } from '../views/listing.js';
import { fromWire } from '../views/wire.js';

export interface SwiftDeps {
  storage: ObjectStorage;
  verifier: TokenVerifier;
  log: Logger;
  /** The service prefix, `/swift`. */
  prefix: string;
}

/** A request path split the Swift way; names are percent-decoded and otherwise untouched. */
export interface SwiftPath {
  version: string;
  account: string;
  container: string;
  object: string;
  /** `/<version>/<account>[/<container>[/<object>]]`, decoded: what TempURLs sign. */
  decoded: string;
  /** The same, as sent (still percent-encoded). */
  raw: string;
}

/** Everything a handler gets. Handlers validate, authorize, call logic, render and reply. */
export interface SwiftCall {
  req: FastifyRequest;
  reply: FastifyReply;
  deps: SwiftDeps;
  path: SwiftPath;
  caller: Caller;
  /** The Content-Type header as sent (taken off the request so Fastify never parses it). */
  contentType: string | undefined;
}

export type Handler = (c: SwiftCall) => Promise<unknown>;

const invalidPath = () => new StratusError('PreconditionFailed', 'Invalid UTF8 or contains NULL', 'PreconditionFailed');

function decode(part: string): string {
  let s: string;
  try {
    s = decodeURIComponent(part);
  } catch {
    throw invalidPath();
  }
  if (s.includes('\0')) throw invalidPath();
  return s;
}

/**
 * Splits `<prefix>/v1/<account>/<container>/<object...>` without any normalisation: an
 * object name keeps leading, trailing and repeated slashes exactly.
 */
export function parsePath(url: string, prefix: string): SwiftPath {
  const qi = url.indexOf('?');
  const raw = (qi < 0 ? url : url.slice(0, qi)).slice(prefix.length);
  const m = /^\/(v1(?:\.0)?)(?:\/([^/]*)(?:\/([^/]*)(?:\/([\s\S]*))?)?)?$/.exec(raw);
  if (!m) throw badRequest('Invalid path: expected /v1/<account>[/<container>[/<object>]].');
  const account = decode(m[2] ?? '');
  const container = decode(m[3] ?? '');
  const object = decode(m[4] ?? '');
  if (!account || (!container && object)) throw badRequest('Invalid path: empty account or container name.');
  const decoded = `/${m[1]}/${account}${container ? `/${container}` : ''}${object || m[4] !== undefined ? `/${object}` : ''}`;
  return { version: m[1]!, account, container, object, decoded, raw };
}

/** A request header as one string (UTF-8 decoded), or undefined. */
export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  if (v === undefined) return undefined;
  return fromWire(Array.isArray(v) ? v.join(',') : v);
}

export const query = (req: FastifyRequest, name: string) => q(req.query, name);

/** True for Swift's truthy strings (true, 1, yes, on, t, y). */
export function truthy(v: string | undefined): boolean {
  return v !== undefined && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.trim().toLowerCase());
}

/**
 * `X-<type>-Meta-*` and `X-Remove-<type>-Meta-*` headers as a patch. Underscores in names
 * become hyphens, as they do behind Swift's WSGI server.
 */
export function metaPatch(req: FastifyRequest, type: 'account' | 'container' | 'object'): MetaPatch {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  const setPrefix = `x-${type}-meta-`;
  const removePrefix = `x-remove-${type}-meta-`;
  for (const [name, value] of Object.entries(req.headers)) {
    const v = Array.isArray(value) ? value.join(',') : (value ?? '');
    if (name.startsWith(setPrefix)) set[name.slice(setPrefix.length).replace(/_/g, '-')] = fromWire(v).trim();
    else if (name.startsWith(removePrefix)) {
      const k = name.slice(removePrefix.length).replace(/_/g, '-');
      if (k) remove.push(k);
    }
  }
  return { set, remove };
}

const FORMAT_OF: Record<string, ListingFormat> = {
  'text/plain': 'plain',
  'application/json': 'json',
  'application/xml': 'xml',
  'text/xml': 'xml',
};

/** Listing format from `format=` or, failing that, the Accept header (406 if nothing fits). */
export function listingFormat(req: FastifyRequest): ListingFormat {
  const f = query(req, 'format')?.toLowerCase();
  if (f !== undefined) return f === 'json' || f === 'xml' ? f : 'plain';
  const accept = header(req, 'accept');
  if (!accept) return 'plain';
  const best = bestMatch(accept, Object.keys(FORMAT_OF));
  if (!best) throw new StratusError('NotAcceptable', 'None of the requested formats is available (text/plain, application/json, application/xml).');
  return FORMAT_OF[best]!;
}

/** The offer with the highest q-value in an Accept header (ties: the client's order). */
export function bestMatch(accept: string, offers: string[]): string | undefined {
  let best: { offer: string; q: number } | undefined;
  for (const item of accept.split(',')) {
    const [type = '', ...params] = item.trim().toLowerCase().split(';');
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const qv = qp ? Number(qp.slice(2)) : 1;
    if (!Number.isFinite(qv) || qv <= 0) continue;
    const [major, minor] = type.trim().split('/');
    const offer = offers.find((o) => {
      const [om, on] = o.split('/');
      return (major === '*' || major === om) && (minor === '*' || minor === on);
    });
    if (offer && (!best || qv > best.q)) best = { offer, q: qv };
  }
  return best?.offer;
}
