import { badRequest } from './errors.js';

/**
 * Small request-body validators. They throw BadRequest with a message naming the field, the
 * way Keystone's and Nova's JSON-schema validation does ("Invalid input for field 'name'…").
 */
export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The body must be `{"<key>": {...}}`; returns the inner object. */
export function wrapped(body: unknown, key: string): Json {
  if (!isObject(body)) throw badRequest(`Expecting to find ${key} in request body. The request body must be a JSON object.`);
  const inner = body[key];
  if (!isObject(inner)) throw badRequest(`Invalid input for field '${key}': expected an object.`);
  return inner;
}

interface StrOpts {
  required?: boolean;
  min?: number;
  max?: number;
  nullable?: boolean;
  pattern?: RegExp;
}

function fieldError(field: string, why: string): Error {
  return badRequest(`Invalid input for field '${field}': ${why}`);
}

export function str(o: Json, field: string, opts: StrOpts & { required: true }): string;
export function str(o: Json, field: string, opts?: StrOpts): string | undefined | null;
export function str(o: Json, field: string, opts: StrOpts = {}): string | undefined | null {
  const v = o[field];
  if (v === undefined) {
    if (opts.required) throw fieldError(field, `'${field}' is a required property.`);
    return undefined;
  }
  if (v === null) {
    if (opts.nullable && !opts.required) return null;
    throw fieldError(field, 'None is not of type string.');
  }
  if (typeof v !== 'string') throw fieldError(field, `${JSON.stringify(v)} is not of type string.`);
  const min = opts.min ?? (opts.required ? 1 : 0);
  if ([...v].length < min) throw fieldError(field, `'${v}' is too short.`);
  if (opts.max !== undefined && [...v].length > opts.max) throw fieldError(field, `'${v.slice(0, 40)}…' is too long.`);
  if (opts.pattern && !opts.pattern.test(v)) throw fieldError(field, `'${v}' does not match ${opts.pattern}.`);
  return v;
}

export function bool(o: Json, field: string): boolean | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw fieldError(field, `${JSON.stringify(v)} is not of type boolean.`);
  return v;
}

export function int(o: Json, field: string, opts: { min?: number; max?: number; required?: boolean } = {}): number | undefined {
  const v = o[field];
  if (v === undefined) {
    if (opts.required) throw fieldError(field, `'${field}' is a required property.`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw fieldError(field, `${JSON.stringify(v)} is not of type integer.`);
  if (opts.min !== undefined && v < opts.min) throw fieldError(field, `${v} is less than the minimum of ${opts.min}.`);
  if (opts.max !== undefined && v > opts.max) throw fieldError(field, `${v} is greater than the maximum of ${opts.max}.`);
  return v;
}

export function strList(o: Json, field: string, opts: { max?: number; itemMax?: number } = {}): string[] | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw fieldError(field, 'expected a list of strings.');
  if (opts.max !== undefined && v.length > opts.max) throw fieldError(field, `more than ${opts.max} items.`);
  if (opts.itemMax !== undefined && v.some((x: string) => x.length > opts.itemMax! || x.length === 0))
    throw fieldError(field, `items must be 1 to ${opts.itemMax} characters.`);
  return v as string[];
}

export function obj(o: Json, field: string): Json | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw fieldError(field, `${JSON.stringify(v)} is not of type object.`);
  return v;
}

/** Fields the caller may not set. */
export function forbidFields(o: Json, fields: string[]): void {
  for (const f of fields) if (f in o) throw fieldError(f, `'${f}' cannot be set.`);
}

/** Query string value as a single string (the last one wins when repeated). */
export function q(query: unknown, name: string): string | undefined {
  if (!isObject(query)) return undefined;
  const v = query[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return v === undefined ? undefined : String(v);
}

/** Query boolean: true/false/1/0/yes/no; absent gives undefined; empty (e.g. `?effective`) gives true. */
export function qBool(query: unknown, name: string): boolean | undefined {
  const v = q(query, name);
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (s === '' || s === 'true' || s === '1' || s === 'yes' || s === 'on') return true;
  if (s === 'false' || s === '0' || s === 'no' || s === 'off') return false;
  throw badRequest(`Invalid value for query parameter '${name}': ${v}`);
}
