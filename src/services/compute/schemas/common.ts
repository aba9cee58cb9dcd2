import { isIPv4, isIPv6 } from 'node:net';
import { badRequest } from '../../../core/errors.js';
import { UUID_RE } from '../../../core/ids.js';
import { isObject, type Json } from '../../../core/validate.js';

/** Nova's JSON-schema style message for a field. */
export function invalid(field: string, why: string): Error {
  return badRequest(`Invalid input for field/attribute ${field}. Value: ${why}`);
}

/** The body must be `{"<key>": {...}}`. */
export function body(b: unknown, key: string): Json {
  if (!isObject(b)) throw badRequest('The request body must be a JSON object.');
  const inner = b[key];
  if (inner === undefined) throw badRequest(`Invalid input for field/attribute ${key}. Value: None. '${key}' is a required property`);
  if (!isObject(inner)) throw invalid(key, `${JSON.stringify(inner)}. ${JSON.stringify(inner)} is not of type 'object'`);
  return inner;
}

/** Refuses keys outside `allowed` (Nova's additionalProperties: false). */
export function onlyKeys(o: Json, allowed: readonly string[], where: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length) throw badRequest(`Invalid input for field/attribute ${where}. Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
}

/** Nova's `name` type: 1–255 printable characters without leading or trailing spaces. */
export function name(v: unknown, field = 'name', max = 255): string {
  if (typeof v !== 'string') throw invalid(field, `${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'string'`);
  if (v.length === 0 || [...v].length > max) throw invalid(field, `${v.slice(0, 40)}. Length must be 1 to ${max}`);
  if (/^\s|\s$/.test(v)) throw invalid(field, `${v}. Leading and trailing spaces are not allowed`);
  if (/[\p{Cc}]/u.test(v)) throw invalid(field, `${JSON.stringify(v)}. Control characters are not allowed`);
  return v;
}

export function optString(o: Json, field: string, max = 255): string | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(field, `${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'string'`);
  if ([...v].length > max) throw invalid(field, `${v.slice(0, 40)}… is too long`);
  return v;
}

/** An integer, also given as a numeric string (Nova accepts both for counts and sizes). */
export function intLike(v: unknown, field: string, min: number, max = 2 ** 31 - 1): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw invalid(field, `${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'integer'`);
  if (n < min) throw invalid(field, `${n}. ${n} is less than the minimum of ${min}`);
  if (n > max) throw invalid(field, `${n}. ${n} is greater than the maximum of ${max}`);
  return n;
}

/** Booleans as Nova's `boolean` type takes them: true/false and their usual strings. */
export function boolLike(v: unknown, field: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (['true', '1', 'yes', 'on', 't', 'y'].includes(s)) return true;
    if (['false', '0', 'no', 'off', 'f', 'n', ''].includes(s)) return false;
  }
  throw invalid(field, `${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'boolean'`);
}

export function uuidField(v: unknown, field: string): string {
  if (typeof v !== 'string' || !UUID_RE.test(v)) throw invalid(field, `${JSON.stringify(v)}. ${JSON.stringify(v)} is not a 'uuid'`);
  return v;
}

export function ipv4(v: unknown, field: string): string {
  if (typeof v !== 'string' || !isIPv4(v)) throw invalid(field, `${JSON.stringify(v)}. ${JSON.stringify(v)} is not a 'ipv4'`);
  return v;
}

export function ipv6(v: unknown, field: string): string {
  if (typeof v !== 'string' || !isIPv6(v)) throw invalid(field, `${JSON.stringify(v)}. ${JSON.stringify(v)} is not a 'ipv6'`);
  return v;
}

export function ipAny(v: unknown, field: string): string {
  if (typeof v !== 'string' || !(isIPv4(v) || isIPv6(v))) throw invalid(field, `${JSON.stringify(v)}. ${JSON.stringify(v)} is not an IP address`);
  return v;
}

/** Server metadata: string keys of 1–255 characters with string values of at most 255. */
export function metadata(v: unknown, field = 'metadata'): Record<string, string> {
  if (!isObject(v)) throw invalid(field, `${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'object'`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.length === 0 || k.length > 255) throw invalid(field, `${k}. Keys must be 1 to 255 characters`);
    if (typeof val !== 'string') throw invalid(`${field}/${k}`, `${JSON.stringify(val)}. ${JSON.stringify(val)} is not of type 'string'`);
    if (val.length > 255) throw invalid(`${field}/${k}`, `${val.slice(0, 40)}… is too long`);
    out[k] = val;
  }
  return out;
}

/** A reference that may be a bare id or a URL ending in the id (imageRef, flavorRef). */
export function refId(v: string): string {
  const trimmed = v.replace(/\/+$/, '');
  return trimmed.includes('/') ? trimmed.slice(trimmed.lastIndexOf('/') + 1) : trimmed;
}

/** Canonical IPv6 text (RFC 5952), as Nova stores accessIPv6. */
export function canonicalIpv6(v: string): string {
  const url = new URL(`http://[${v}]/`);
  return url.hostname.slice(1, -1);
}
