import { UUID_RE } from '../../../core/ids.js';
import { isObject } from '../../../core/validate.js';
import { E } from '../errors.js';
import { normalizeIp, normalizeMac, parseCidr } from '../logic/ip.js';

/**
 * Converters for request attributes, after Neutron's attribute validators: each takes the raw
 * JSON value and the attribute name, and returns the converted value or throws a 400 whose
 * message reads "Invalid input for <attr>. Reason: …".
 */
export type Conv<T = unknown> = (v: unknown, name: string) => T;

export const invalid = (name: string, reason: string) => E.attr(`Invalid input for ${name}. Reason: ${reason}.`);
const show = (v: unknown) => (v === null ? 'None' : typeof v === 'string' ? v : JSON.stringify(v));

export const str =
  (max = 255): Conv<string> =>
  (v, name) => {
    if (typeof v !== 'string') throw invalid(name, `'${show(v)}' is not a valid string`);
    if (v.length > max) throw invalid(name, `'${v.slice(0, 40)}' exceeds maximum length of ${max}`);
    return v;
  };

export const nullable =
  <T>(c: Conv<T>): Conv<T | null> =>
  (v, name) =>
    v === null ? null : c(v, name);

/** Neutron's convert_to_boolean: true/false, "true"/"false" in any case, 1/0. */
export const bool: Conv<boolean> = (v, name) => {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  throw invalid(name, `'${show(v)}' cannot be converted to boolean`);
};

/** Neutron's convert_to_int with a range check. */
export const int =
  (min: number, max: number): Conv<number> =>
  (v, name) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n)) throw invalid(name, `'${show(v)}' is not an integer`);
    if (n < min || n > max) throw invalid(name, `'${n}' is not in range ${min} through ${max}`);
    return n;
  };

export const uuid: Conv<string> = (v, name) => {
  if (typeof v !== 'string' || !UUID_RE.test(v)) throw invalid(name, `'${show(v)}' is not a valid UUID`);
  return v;
};

export const oneOf =
  <T extends string>(values: readonly T[]): Conv<T> =>
  (v, name) => {
    if (typeof v !== 'string' || !values.includes(v as T)) throw invalid(name, `'${show(v)}' is not in [${values.map((x) => `'${x}'`).join(', ')}]`);
    return v as T;
  };

export const list =
  <T>(item: Conv<T>, max = 1000): Conv<T[]> =>
  (v, name) => {
    if (!Array.isArray(v)) throw invalid(name, `'${show(v)}' is not a list`);
    if (v.length > max) throw invalid(name, `more than ${max} items`);
    return v.map((x) => item(x, name));
  };

export const ip: Conv<string> = (v, name) => {
  const out = normalizeIp(v);
  if (out === undefined) throw invalid(name, `'${show(v)}' is not a valid IP address`);
  return out;
};

export const cidrText: Conv<string> = (v, name) => {
  if (typeof v !== 'string' || !parseCidr(v)) throw invalid(name, `'${show(v)}' is not a valid IP subnet`);
  return v;
};

export const mac: Conv<string> = (v, name) => {
  const out = normalizeMac(v);
  if (out === undefined) throw invalid(name, `'${show(v)}' is not a valid MAC address`);
  return out;
};

export const dict: Conv<Record<string, unknown>> = (v, name) => {
  if (v === null) return {};
  if (!isObject(v)) throw invalid(name, `'${show(v)}' is not a dictionary`);
  return v;
};

/** A dictionary with known keys, each converted; unknown keys and missing required ones are errors. */
export const shape =
  <T>(keys: Record<string, { conv: Conv; required?: boolean }>, build: (o: Record<string, unknown>) => T): Conv<T> =>
  (v, name) => {
    if (!isObject(v)) throw invalid(name, `'${show(v)}' is not a dictionary`);
    const extra = Object.keys(v).filter((k) => !(k in keys));
    if (extra.length) throw invalid(name, `Unexpected keys supplied: ${extra.join(', ')}`);
    const out: Record<string, unknown> = {};
    for (const [k, spec] of Object.entries(keys)) {
      if (v[k] === undefined) {
        if (spec.required) throw invalid(name, `Validation of dictionary's keys failed. Expected keys: {'${k}'}`);
        continue;
      }
      out[k] = spec.conv(v[k], name);
    }
    return build(out);
  };

/** Host names as dns_name takes them: labels of letters, digits and hyphens. */
export const dnsName: Conv<string> = (v, name) => {
  const s = str(255)(v, name);
  if (s !== '' && !/^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/.test(s)) throw invalid(name, `'${s}' not a valid PQDN or FQDN`);
  return s;
};

export const tags: Conv<string[]> = (v, name) => {
  const out = list(str(255), 50)(v, name);
  for (const t of out) if (t === '' || t.includes(',')) throw invalid(name, `'${t}' is not a valid tag`);
  return [...new Set(out)];
};
