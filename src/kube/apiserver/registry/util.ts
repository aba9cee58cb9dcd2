import { randomInt } from 'node:crypto';
import type { InvalidCause } from '../../errors.js';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object at `o[k]`, created empty when missing or not an object. */
export function obj(o: Json, k: string): Json {
  const v = o[k];
  if (isObject(v)) return v;
  const fresh: Json = {};
  o[k] = fresh;
  return fresh;
}

/** Array of objects at `o[k]` (non-object elements are skipped by callers). */
export function arr(o: Json | undefined, k: string): unknown[] {
  const v = o?.[k];
  return Array.isArray(v) ? v : [];
}

/** Structural equality of JSON values; key order does not matter. */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEquals(x, bb[i]));
  }
  const ak = Object.keys(a as Json).filter((k) => (a as Json)[k] !== undefined);
  const bk = Object.keys(b as Json).filter((k) => (b as Json)[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEquals((a as Json)[k], (b as Json)[k]));
}

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` + 5 random characters, as upstream (the base is cut to keep ≤ 63). */
export function generateName(base: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return `${base.length > 58 ? base.slice(0, 58) : base}${suffix}`;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Upstream's wording for name errors, so kubectl users see the familiar messages. */
export function dns1123LabelError(v: string): string | undefined {
  if (v.length > 63) return `Invalid value: "${v}": must be no more than 63 characters`;
  if (!DNS1123_LABEL.test(v))
    return `Invalid value: "${v}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;
  return undefined;
}

export function dns1123SubdomainError(v: string): string | undefined {
  if (v.length > 253) return `Invalid value: "${v}": must be no more than 253 characters`;
  if (!DNS1123_SUBDOMAIN.test(v))
    return `Invalid value: "${v}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
  return undefined;
}

export function dns1035LabelError(v: string): string | undefined {
  if (v.length > 63) return `Invalid value: "${v}": must be no more than 63 characters`;
  if (!DNS1035_LABEL.test(v))
    return `Invalid value: "${v}": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`;
  return undefined;
}

/** Collects field errors; `throwIfAny` is done by the caller with KubeError.invalid. */
export class Causes {
  readonly list: InvalidCause[] = [];
  required(field: string): void {
    this.list.push({ field, message: 'Required value', reason: 'FieldValueRequired' });
  }
  invalid(field: string, value: unknown, why: string): void {
    this.list.push({ field, message: `Invalid value: ${show(value)}: ${why}`, reason: 'FieldValueInvalid' });
  }
  raw(field: string, message: string, reason: InvalidCause['reason'] = 'FieldValueInvalid'): void {
    this.list.push({ field, message, reason });
  }
  notSupported(field: string, value: unknown, supported: string[]): void {
    this.list.push({
      field,
      message: `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
      reason: 'FieldValueNotSupported',
    });
  }
  duplicate(field: string, value: unknown): void {
    this.list.push({ field, message: `Duplicate value: ${show(value)}`, reason: 'FieldValueDuplicate' });
  }
  forbidden(field: string, why: string): void {
    this.list.push({ field, message: `Forbidden: ${why}`, reason: 'FieldValueForbidden' });
  }
}

export function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? 'null';
}
