import { isObject, type Json } from '../../../core/validate.js';
import { E } from '../errors.js';
import type { Conv } from './convert.js';
import * as c from './convert.js';

/** One request attribute: whether POST/PUT may set it, and its converter. */
export interface AttrSpec {
  post?: boolean;
  put?: boolean;
  required?: boolean;
  conv: Conv;
}

export type AttrMap = Record<string, AttrSpec>;

/** Standard attributes every resource takes. */
export const STANDARD: AttrMap = {
  name: { post: true, put: true, conv: c.str(255) },
  description: { post: true, put: true, conv: c.str(255) },
  tenant_id: { post: true, conv: c.str(255) },
  project_id: { post: true, conv: c.str(255) },
  tags: { post: true, conv: c.tags },
};

/** Read-only attributes clients echo back: refused with Neutron's "not allowed" message. */
const READ_ONLY = ['id', 'status', 'created_at', 'updated_at', 'revision_number'];

/**
 * Validates one resource body against an attribute map, like Neutron's API layer: unknown
 * attributes and attributes the verb may not set are 400s, values go through their converter.
 * Returns only the attributes that were given, still keyed by wire name.
 */
export function parseAttrs(item: unknown, member: string, map: AttrMap, verb: 'POST' | 'PUT'): Json {
  if (!isObject(item)) throw E.attr(`Invalid input for ${member}: the body must be a JSON object.`);
  const unknown = Object.keys(item).filter((k) => !(k in map) && !READ_ONLY.includes(k));
  if (unknown.length) throw E.attr(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  const out: Json = {};
  for (const [k, v] of Object.entries(item)) {
    const spec = map[k];
    if (!spec || !(verb === 'POST' ? spec.post : spec.put)) throw E.notAllowed(k, verb);
    out[k] = spec.conv(v, k);
  }
  if (verb === 'POST') {
    for (const [k, spec] of Object.entries(map))
      if (spec.required && out[k] === undefined) throw E.attr(`Failed to parse request. Required attribute '${k}' not specified`);
  }
  return out;
}

/** The single resource of a PUT body, `{"<member>": {...}}`. */
export function memberBody(body: unknown, member: string): unknown {
  if (body === undefined || body === null) throw E.attr('Resource body required');
  if (!isObject(body) || !(member in body)) throw E.attr(`Unable to find '${member}' in request body`);
  return body[member];
}

/**
 * A POST body: `{"<member>": {...}}` or, for bulk creation, `{"<collection>": [{...}, ...]}`.
 * Returns the items and whether the request was a bulk one.
 */
export function createBody(body: unknown, member: string, collection: string): { items: unknown[]; bulk: boolean } {
  if (body === undefined || body === null) throw E.attr('Resource body required');
  if (isObject(body) && Array.isArray(body[collection])) {
    const items = body[collection] as unknown[];
    if (items.length === 0) throw E.attr('Resources required');
    if (items.length > 1000) throw E.attr('Bulk requests are limited to 1000 resources');
    return { items, bulk: true };
  }
  return { items: [memberBody(body, member)], bulk: false };
}

/** Project named in a body through `tenant_id` or `project_id` (they must agree). */
export function bodyProject(b: Json): string | undefined {
  const t = b.tenant_id as string | undefined;
  const p = b.project_id as string | undefined;
  if (t !== undefined && p !== undefined && t !== p) throw E.attr(`'project_id' and 'tenant_id' do not match`);
  return p ?? t;
}

/** `If-Match: revision_number=N` (the revision-if-match extension). */
export function ifMatch(headers: Record<string, string | string[] | undefined>): number | undefined {
  const raw = headers['if-match'];
  const h = Array.isArray(raw) ? raw[0] : raw;
  if (!h) return undefined;
  const m = /^\s*revision_number=(\d+)\s*$/.exec(h);
  if (!m) {
    if (h.trim().startsWith('revision_number')) throw E.attr(`Invalid If-Match header: ${h}`);
    return undefined;
  }
  return Number(m[1]);
}
