import type { InvalidCause } from '../errors.js';
import { compilePattern, validateValue, type Schema } from './schema.js';
import { isObject } from '../apiserver/registry/util.js';

/**
 * Checks that a CRD's `openAPIV3Schema` is structural (what apiextensions.k8s.io/v1 requires):
 * an object at the root, a `type` on every specified field (except int-or-string and
 * preserve-unknown-fields nodes), `items` on arrays, no `$ref`, `properties` and
 * `additionalProperties` not both, patterns that compile, defaults that validate.
 * Returns field causes under `path` and collects warnings (CEL rules are not enforced here).
 */
export function structuralErrors(schema: Schema, path: string, warnings: string[]): InvalidCause[] {
  const out: InvalidCause[] = [];
  if (schema.type === undefined || schema.type === '') out.push({ field: `${path}.type`, reason: 'FieldValueRequired', message: 'Required value: must not be empty at the root' });
  else if (schema.type !== 'object') out.push({ field: `${path}.type`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(schema.type)}: must be object at the root` });
  node(schema, path, out, warnings, true);
  return out;
}

const TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean'];

function node(s: Schema, path: string, out: InvalidCause[], warnings: string[], root: boolean): void {
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s.type !== undefined && s.type !== '') {
    if (typeof s.type !== 'string' || !TYPES.includes(s.type)) {
      out.push({ field: `${path}.type`, reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(s.type)}: supported values: ${TYPES.map((t) => `"${t}"`).join(', ')}` });
    } else if (intOrString) {
      out.push({ field: `${path}.type`, reason: 'FieldValueForbidden', message: 'Forbidden: must be empty if x-kubernetes-int-or-string is true' });
    }
  } else if (!root && !intOrString && !preserve) {
    out.push({ field: `${path}.type`, reason: 'FieldValueRequired', message: 'Required value: must not be empty for specified object fields' });
  }
  if ('$ref' in s) out.push({ field: `${path}.$ref`, reason: 'FieldValueForbidden', message: 'Forbidden: $ref is not supported' });
  if (s.uniqueItems === true) out.push({ field: `${path}.uniqueItems`, reason: 'FieldValueForbidden', message: 'Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic' });
  if (typeof s.pattern === 'string') {
    const re = compilePattern(s.pattern);
    if (typeof re === 'string') out.push({ field: `${path}.pattern`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(s.pattern)}: must be a valid regular expression, but isn't: ${re}` });
  }
  if (s['x-kubernetes-validations'] !== undefined) {
    warnings.push(`${path}.x-kubernetes-validations: CEL validation rules are not evaluated by this API server (Stratus); objects are checked against the rest of the schema only`);
  }
  const props = s.properties;
  if (props !== undefined) {
    if (!isObject(props)) out.push({ field: `${path}.properties`, reason: 'FieldValueInvalid', message: 'Invalid value: must be an object of schemas' });
    else {
      if (s.type === 'array' || (s.type && s.type !== 'object')) out.push({ field: `${path}.properties`, reason: 'FieldValueForbidden', message: `Forbidden: must be empty for type "${String(s.type)}"` });
      for (const [k, v] of Object.entries(props)) {
        if (isObject(v)) node(v, `${path}.properties[${k}]`, out, warnings, false);
        else out.push({ field: `${path}.properties[${k}]`, reason: 'FieldValueInvalid', message: 'Invalid value: must be a schema object' });
      }
    }
  }
  const add = s.additionalProperties;
  if (isObject(add)) {
    if (props !== undefined) out.push({ field: `${path}.additionalProperties`, reason: 'FieldValueForbidden', message: 'Forbidden: additionalProperties and properties are mutual exclusive' });
    node(add, `${path}.additionalProperties`, out, warnings, false);
  } else if (add === false) {
    out.push({ field: `${path}.additionalProperties`, reason: 'FieldValueForbidden', message: 'Forbidden: additionalProperties cannot be set to false' });
  }
  if (s.type === 'array') {
    if (s.items === undefined) out.push({ field: `${path}.items`, reason: 'FieldValueRequired', message: 'Required value: must be specified' });
    else if (!isObject(s.items)) out.push({ field: `${path}.items`, reason: 'FieldValueForbidden', message: 'Forbidden: items must be a schema object and not an array' });
  }
  if (isObject(s.items)) node(s.items, `${path}.items`, out, warnings, false);
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    const list = s[k];
    if (Array.isArray(list)) list.forEach((x, i) => isObject(x) && combinator(x, `${path}.${k}[${i}]`, out));
  }
  if (s.default !== undefined) {
    if (root) out.push({ field: `${path}.default`, reason: 'FieldValueForbidden', message: 'Forbidden: must not be set at the root' });
    else for (const c of validateValue(s, s.default, `${path}.default`)) out.push({ ...c, field: c.field });
  }
}

/** Inside allOf/anyOf/oneOf only value constraints are allowed (no new types or fields). */
function combinator(s: Schema, path: string, out: InvalidCause[]): void {
  for (const k of ['default', 'description', 'nullable', 'additionalProperties']) {
    if (k in s) out.push({ field: `${path}.${k}`, reason: 'FieldValueForbidden', message: `Forbidden: must be undefined to be structural` });
  }
}
