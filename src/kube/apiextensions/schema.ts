import type { InvalidCause } from '../errors.js';
import { isObject } from '../apiserver/registry/util.js';

/**
 * Structural OpenAPI v3 schemas of CustomResourceDefinitions (`openAPIV3Schema`), applied to
 * custom objects the way a 1.32 API server does: pruning of fields the schema does not declare,
 * `default` values, then validation with upstream's wording (`spec.replicas: Invalid value:
 * "string": spec.replicas in body must be of type integer: "string"`).
 * CEL rules (`x-kubernetes-validations`) are not evaluated (the CRD gets a warning).
 */

export type Schema = Record<string, unknown>;

function sub(s: Schema, k: string): Schema | undefined {
  const v = s[k];
  return isObject(v) ? v : undefined;
}

/** `spec` + `replicas` → `spec.replicas`; `items` + 0 → `items[0]`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** The JSON type name of a value as upstream reports it (`integer` for whole numbers). */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v; // string, boolean
}

/** A value in an error message: strings quoted, numbers and booleans bare, the rest as JSON. */
export function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? 'null');
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

// ---------------------------------------------------------------------------------------------
// pruning

/** Fields of ObjectMeta kept at the root (anything else under `metadata` is pruned). */
export const OBJECT_META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

/**
 * Removes, in place, every object field the schema does not declare (below a node with
 * `x-kubernetes-preserve-unknown-fields: true` everything is kept; `additionalProperties`
 * declares every key). At the root (`root: true`) `apiVersion`, `kind` and `metadata` stay, and
 * `metadata` keeps only ObjectMeta fields; `x-kubernetes-embedded-resource` objects keep
 * `apiVersion`/`kind`/`metadata` too. Returns the paths removed (`spec.colour`).
 */
export function prune(schema: Schema, value: unknown, root = true): string[] {
  const removed: string[] = [];
  if (root && isObject(value)) {
    if (isObject(value.metadata)) {
      for (const k of Object.keys(value.metadata)) {
        if (!OBJECT_META_FIELDS.has(k)) {
          delete value.metadata[k];
          removed.push(`metadata.${k}`);
        }
      }
    }
    pruneNode(schema, value, '', removed, new Set(['apiVersion', 'kind', 'metadata']));
  } else {
    pruneNode(schema, value, '', removed, new Set());
  }
  return removed;
}

function pruneNode(schema: Schema, value: unknown, path: string, removed: string[], keep: Set<string>): void {
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (Array.isArray(value)) {
    const items = sub(schema, 'items');
    if (items) value.forEach((v, i) => pruneNode(items, v, childPath(path, i), removed, new Set()));
    return;
  }
  if (!isObject(value)) return;
  const props = sub(schema, 'properties');
  const additional = schema.additionalProperties;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  const keepHere = embedded ? new Set([...keep, 'apiVersion', 'kind', 'metadata']) : keep;
  for (const k of Object.keys(value)) {
    const p = childPath(path, k);
    const ps = props && isObject(props[k]) ? (props[k] as Schema) : undefined;
    if (ps) pruneNode(ps, value[k], p, removed, new Set());
    else if (isObject(additional)) pruneNode(additional, value[k], p, removed, new Set());
    else if (keepHere.has(k) || preserve || additional === true) continue;
    else {
      delete value[k];
      removed.push(p);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// defaulting

/**
 * Fills in `default` values, in place: for every declared property that is absent (or null
 * where the schema is not nullable), then recursively through properties,
 * `additionalProperties` and array items. Returns the (possibly replaced) value.
 */
export function applyDefaults(schema: Schema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = sub(schema, 'items');
    if (items) value.forEach((v, i) => (value[i] = applyDefaults(items, v)));
    return value;
  }
  if (!isObject(value)) return value;
  const props = sub(schema, 'properties');
  if (props) {
    for (const [k, ps] of Object.entries(props)) {
      if (!isObject(ps)) continue;
      const absent = !(k in value) || (value[k] === null && ps.nullable !== true);
      if (absent && ps.default !== undefined) value[k] = structuredClone(ps.default);
      if (k in value) value[k] = applyDefaults(ps, value[k]);
    }
  }
  const additional = sub(schema, 'additionalProperties');
  if (additional) for (const k of Object.keys(value)) if (!props || !(k in props)) value[k] = applyDefaults(additional, value[k]);
  return value;
}

// ---------------------------------------------------------------------------------------------
// validation

/**
 * Validates a value against the schema; `path` names the value (`''` for the root object).
 * Returns field causes in upstream's shapes.
 */
export function validateValue(schema: Schema, value: unknown, path = ''): InvalidCause[] {
  const out: InvalidCause[] = [];
  check(schema, value, path, out);
  return out;
}

function typeError(out: InvalidCause[], path: string, want: string, value: unknown): void {
  const got = typeName(value);
  out.push({ field: path, reason: 'FieldValueTypeInvalid', message: `Invalid value: "${got}": ${path} in body must be of type ${want}: "${got}"` });
}

function invalid(out: InvalidCause[], path: string, value: unknown, detail: string): void {
  out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${shown(value)}: ${path} in body ${detail}` });
}

function typeMatches(want: string, value: unknown): boolean {
  switch (want) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

function check(schema: Schema, value: unknown, path: string, out: InvalidCause[]): void {
  if (value === null && schema.nullable === true) return;
  const type = typeof schema.type === 'string' ? schema.type : '';
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) {
      typeError(out, path, 'integer,string', value);
      return;
    }
  } else if (type && !typeMatches(type, value)) {
    typeError(out, path, type, value);
    checkEnum(schema, value, path, out);
    return;
  }
  checkEnum(schema, value, path, out);
  if (typeof value === 'number') checkNumber(schema, value, path, out);
  if (typeof value === 'string') checkString(schema, value, path, out);
  if (Array.isArray(value)) checkArray(schema, value, path, out);
  if (isObject(value)) checkObject(schema, value, path, out);
  checkCombinators(schema, value, path, out);
}

function checkEnum(schema: Schema, value: unknown, path: string, out: InvalidCause[]): void {
  if (!Array.isArray(schema.enum) || schema.enum.length === 0) return;
  if (schema.enum.some((e) => deepEqual(e, value))) return;
  const supported = schema.enum.map((e) => JSON.stringify(typeof e === 'string' ? e : (JSON.stringify(e) ?? 'null'))).join(', ');
  out.push({ field: path, reason: 'FieldValueNotSupported', message: `Unsupported value: ${shown(value)}: supported values: ${supported}` });
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function checkNumber(schema: Schema, v: number, path: string, out: InvalidCause[]): void {
  const max = num(schema.maximum);
  const min = num(schema.minimum);
  if (max !== undefined) {
    if (schema.exclusiveMaximum === true ? v >= max : v > max) invalid(out, path, v, `should be less than ${schema.exclusiveMaximum === true ? '' : 'or equal to '}${max}`);
  }
  if (min !== undefined) {
    if (schema.exclusiveMinimum === true ? v <= min : v < min) invalid(out, path, v, `should be greater than ${schema.exclusiveMinimum === true ? '' : 'or equal to '}${min}`);
  }
  const mult = num(schema.multipleOf);
  if (mult !== undefined && mult > 0 && Math.abs(v / mult - Math.round(v / mult)) > 1e-9) invalid(out, path, v, `should be a multiple of ${mult}`);
}

function checkString(schema: Schema, v: string, path: string, out: InvalidCause[]): void {
  const len = [...v].length;
  const maxLength = num(schema.maxLength);
  const minLength = num(schema.minLength);
  if (maxLength !== undefined && len > maxLength) {
    out.push({ field: path, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${maxLength} bytes` });
  }
  if (minLength !== undefined && len < minLength) invalid(out, path, v, `should be at least ${minLength} chars long`);
  if (typeof schema.pattern === 'string') {
    const re = compilePattern(schema.pattern);
    if (typeof re === 'string') invalid(out, path, v, `should match '${schema.pattern}, but pattern is invalid: ${re}'`);
    else if (!re.test(v)) invalid(out, path, v, `should match '${schema.pattern}'`);
  }
}

/** A schema `pattern` as a RegExp (unanchored, as JSON Schema says), or why it does not compile. */
export function compilePattern(p: string): RegExp | string {
  try {
    return new RegExp(p, 'u');
  } catch (e) {
    return (e as Error).message;
  }
}

function checkArray(schema: Schema, v: unknown[], path: string, out: InvalidCause[]): void {
  const maxItems = num(schema.maxItems);
  const minItems = num(schema.minItems);
  if (maxItems !== undefined && v.length > maxItems) out.push({ field: path, reason: 'FieldValueTooMany', message: `Too many: ${v.length}: must have at most ${maxItems} items` });
  if (minItems !== undefined && v.length < minItems) invalid(out, path, v, `should have at least ${minItems} items`);
  const items = sub(schema, 'items');
  if (items) v.forEach((x, i) => check(items, x, childPath(path, i), out));
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set') {
    v.forEach((x, i) => {
      if (v.findIndex((y) => deepEqual(x, y)) < i) out.push({ field: childPath(path, i), reason: 'FieldValueDuplicate', message: `Duplicate value: ${shown(x)}` });
    });
  }
}

function checkObject(schema: Schema, v: Record<string, unknown>, path: string, out: InvalidCause[]): void {
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
  for (const r of required) if (!(r in v)) out.push({ field: childPath(path, r), reason: 'FieldValueRequired', message: 'Required value' });
  const n = Object.keys(v).length;
  const maxP = num(schema.maxProperties);
  const minP = num(schema.minProperties);
  if (maxP !== undefined && n > maxP) out.push({ field: path, reason: 'FieldValueTooMany', message: `Too many: ${n}: must have at most ${maxP} items` });
  if (minP !== undefined && n < minP) invalid(out, path, v, `should have at least ${minP} properties`);
  const props = sub(schema, 'properties');
  const additional = sub(schema, 'additionalProperties');
  for (const [k, x] of Object.entries(v)) {
    const ps = props && isObject(props[k]) ? (props[k] as Schema) : undefined;
    if (ps) check(ps, x, childPath(path, k), out);
    else if (additional) check(additional, x, childPath(path, k), out);
  }
}

function checkCombinators(schema: Schema, value: unknown, path: string, out: InvalidCause[]): void {
  const list = (k: string) => (Array.isArray(schema[k]) ? (schema[k] as unknown[]).filter(isObject) : []);
  const name = path || '<root>';
  for (const s of list('allOf')) check(s, value, path, out);
  const anyOf = list('anyOf');
  if (anyOf.length && !anyOf.some((s) => validateValue(s, value, path).length === 0)) {
    out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: "": "${name}" must validate at least one schema (anyOf)` });
  }
  const oneOf = list('oneOf');
  if (oneOf.length && oneOf.filter((s) => validateValue(s, value, path).length === 0).length !== 1) {
    out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: "": "${name}" must validate one and only one schema (oneOf)` });
  }
  const not = sub(schema, 'not');
  if (not && validateValue(not, value, path).length === 0) {
    out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: "": "${name}" must not validate the schema (not)` });
  }
}
