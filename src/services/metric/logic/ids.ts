import { createHash } from 'node:crypto';
import { invalidInput } from './errors.js';

const NAMESPACE = Buffer.from('0a7a15ffaa134ac2897c9bdf30ce175b', 'hex');
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A UUID in its dashed lower-case form. */
export function canonicalUuid(s: string): string {
  return s.replace(/-/g, '').toLowerCase().replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
}

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/**
 * Gnocchi's resource id: a UUID stays itself; any other string (up to 255 characters, no
 * '/') becomes the UUID5 of `<value>\0<creator>` in Gnocchi's namespace, so ceilometer's
 * `<instance>-vda` names one resource per creator.
 */
export function resourceUuid(value: string, creator: string): string {
  if (value.includes('/')) throw invalidInput("'/' is not supported in resource id");
  if (isUuid(value)) return canonicalUuid(value);
  if (value.length === 0 || value.length > 255) throw invalidInput('transformable resource id >255 max allowed characters');
  const h = createHash('sha1').update(NAMESPACE).update(`${value}\0${creator}`, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  return canonicalUuid(h.subarray(0, 16).toString('hex'));
}
