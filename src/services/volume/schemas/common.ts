import { badRequest } from '../../../core/errors.js';
import { isObject, q, str, type Json } from '../../../core/validate.js';
import type { PageOptions, SortKey } from '../logic/listing.js';

const MAX_INT = 2147483647;

/** Cinder accepts sizes as integers or digit strings; anything else is a 400. */
export function sizeOf(v: unknown, field: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\+?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_INT) {
    throw badRequest(`Invalid input received: ${field} '${typeof v === 'string' ? v : JSON.stringify(v)}' must be an integer and greater than 0.`);
  }
  return n;
}

/** An optional nullable string under one of several names (e.g. name / display_name). */
export function text(o: Json, names: string[], max = 255): string | null | undefined {
  for (const n of names) {
    if (!(n in o)) continue;
    const v = str(o, n, { nullable: true, max });
    return v === undefined ? undefined : v;
  }
  return undefined;
}

/** A metadata object: string keys (1–255) to string values (≤255). */
export function metadataOf(v: unknown, field = 'metadata'): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw badRequest(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(v)}. It must be an object.`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.length < 1 || k.length > 255) throw badRequest(`Invalid input received: metadata keys must be 1 to 255 characters (${JSON.stringify(k.slice(0, 40))}).`);
    if (typeof val !== 'string') throw badRequest(`Invalid input received: the value of metadata key '${k}' must be a string.`);
    if (val.length > 255) throw badRequest(`Invalid input received: the value of metadata key '${k}' is longer than 255 characters.`);
    out[k] = val;
  }
  return out;
}

/** A boolean given as JSON or as a string ("true", "False", "1", …). */
export function boolOf(v: unknown, field: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', 't', '1', 'yes', 'y', 'on'].includes(s)) return true;
    if (['false', 'f', '0', 'no', 'n', 'off'].includes(s)) return false;
  }
  throw badRequest(`Invalid input received: '${typeof v === 'string' ? v : JSON.stringify(v)}' is not a valid boolean value for ${field}.`);
}

/** The object of an action or resource body: `{"<key>": {...}}`, with null taken as {}. */
export function actionBody(body: unknown, key: string): Json {
  if (!isObject(body)) throw badRequest('The request body must be a JSON object.');
  const v = body[key];
  if (v === null || v === undefined) return {};
  if (!isObject(v)) throw badRequest(`Invalid input for field/attribute ${key}. It must be an object.`);
  return v;
}

export function queryBool(query: unknown, name: string): boolean | undefined {
  const v = q(query, name);
  return v === undefined ? undefined : boolOf(v, name);
}

/** limit / marker / sort (`sort=k1:asc,k2` or `sort_key` + `sort_dir`), validated against `keys`. */
export function pageOf(query: unknown, keys: string[], aliases: Record<string, string> = {}): PageOptions {
  const page: PageOptions = { sort: [] };
  const limit = q(query, 'limit');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit)) throw badRequest(`Invalid input received: limit param must be a non-negative integer (${limit.slice(0, 40)}).`);
    page.limit = Math.min(Number(limit), MAX_INT);
  }
  const offset = q(query, 'offset');
  if (offset !== undefined) {
    if (!/^\d+$/.test(offset)) throw badRequest(`Invalid input received: offset param must be a non-negative integer (${offset.slice(0, 40)}).`);
    page.offset = Math.min(Number(offset), MAX_INT);
  }
  const marker = q(query, 'marker');
  if (marker !== undefined) page.marker = marker;
  const sort = q(query, 'sort');
  const sortKey = q(query, 'sort_key');
  const sortDir = q(query, 'sort_dir');
  if (sort !== undefined && (sortKey !== undefined || sortDir !== undefined)) {
    throw badRequest("Invalid input received: The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.");
  }
  const pairs: [string, string | undefined][] = sort !== undefined
    ? sort.split(',').map((p) => p.split(':') as [string, string | undefined])
    : sortKey !== undefined || sortDir !== undefined
      ? (sortKey ?? 'created_at').split(',').map((k, i) => [k, sortDir?.split(',')[i] ?? sortDir?.split(',')[0]])
      : [['created_at', 'desc']];
  for (const [rawKey, rawDir] of pairs) {
    const key = aliases[rawKey.trim()] ?? rawKey.trim();
    const dir = (rawDir ?? 'desc').trim().toLowerCase();
    if (!keys.includes(key)) throw badRequest(`Invalid input received: Invalid sort key ${rawKey.slice(0, 40)}.`);
    if (dir !== 'asc' && dir !== 'desc') throw badRequest("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.");
    page.sort.push({ key, dir } as SortKey);
  }
  return page;
}

/**
 * The `metadata` filter: clients send a Python dict literal (`{'k': 'v'}`, as cinderclient and
 * tempest urlencode a dict) or JSON.
 */
export function metadataFilter(raw: string): Record<string, string> {
  try {
    const v: unknown = JSON.parse(raw);
    return metadataOf(v, 'metadata');
  } catch {
    // not JSON; try the Python literal
  }
  const body = raw.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) throw badRequest('Invalid input received: the metadata filter must be a dictionary.');
  const out: Record<string, string> = {};
  const item = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*(,|$)/y;
  const inner = body.slice(1, -1);
  let pos = 0;
  while (inner.slice(pos).trim() !== '') {
    item.lastIndex = pos;
    const m = item.exec(inner);
    if (!m) throw badRequest('Invalid input received: the metadata filter must be a dictionary of strings.');
    out[(m[1] ?? m[2])!.replace(/\\(.)/g, '$1')] = (m[3] ?? m[4])!.replace(/\\(.)/g, '$1');
    pos = item.lastIndex;
  }
  return out;
}
