import { isObject, type Json } from '../../../core/validate.js';
import { clientError, invalidInput } from '../errors.js';

/**
 * Field readers with WSME's conversions and messages (Aodh's API types are WSME types): ints
 * and floats accept numeric strings, booleans accept "true"/"false", a missing mandatory field
 * is "Mandatory field missing.".
 */
export function mandatory(o: Json, field: string): unknown {
  const v = o[field];
  if (v === undefined || v === null) throw invalidInput(field, 'None', 'Mandatory field missing.');
  return v;
}

export function text(o: Json, field: string, required = false): string | undefined {
  const v = required ? mandatory(o, field) : o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidInput(field, v, `Wrong type. Expected '${'str'}', got '${typeName(v)}'`);
  return v;
}

export function integer(o: Json, field: string, opts: { min?: number; max?: number; def?: number; required?: boolean } = {}): number | undefined {
  const v = opts.required ? mandatory(o, field) : o[field];
  if (v === undefined || v === null) return opts.def;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw invalidInput(field, v, `Wrong type. Expected 'int', got '${typeName(v)}'`);
  if (opts.min !== undefined && n < opts.min) throw invalidInput(field, v, `Value should be greater or equal to ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw invalidInput(field, v, `Value should be lower or equal to ${opts.max}`);
  return n;
}

export function float(o: Json, field: string, required = false): number | undefined {
  const v = required ? mandatory(o, field) : o[field];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw invalidInput(field, v, `Wrong type. Expected 'float', got '${typeName(v)}'`);
  return n;
}

export function boolean(o: Json, field: string, def: boolean): boolean {
  const v = o[field];
  if (v === undefined || v === null) return def;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false|1|0|yes|no|on|off|t|f|y|n)$/i.test(v)) return /^(true|1|yes|on|t|y)$/i.test(v);
  throw invalidInput(field, v, `Wrong type. Expected 'bool', got '${typeName(v)}'`);
}

export function oneOf<T extends string>(o: Json, field: string, values: readonly T[], def?: T): T | undefined {
  const v = o[field];
  if (v === undefined || v === null || v === '') return def;
  if (typeof v !== 'string' || !values.includes(v as T)) throw invalidInput(field, v, `Value should be one of: ${[...values].sort().join(', ')}`);
  return v as T;
}

export function textList(o: Json, field: string): string[] | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidInput(field, v, "Wrong type. Expected '[str]'");
  return v as string[];
}

/** The body (or a nested document) must be a JSON object. */
export function object(v: unknown, field: string): Json {
  if (!isObject(v)) throw invalidInput(field, v, 'Expected a JSON object.');
  return v;
}

/** WSME refuses attributes a type does not declare. */
export function noUnknown(o: Json, allowed: readonly string[], arg: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length) throw clientError(`Unknown attribute for argument ${arg}: ${extra.sort().join(', ')}`);
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (v === null) return 'NoneType';
  return { string: 'str', number: Number.isInteger(v) ? 'int' : 'float', boolean: 'bool', object: 'dict' }[typeof v as string] ?? typeof v;
}
