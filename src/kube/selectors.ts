import { KubeError } from './errors.js';
import type { KubeObject } from './types.js';

/**
 * Label and field selectors (reference §2.4): the `labelSelector` / `fieldSelector` query
 * strings of list, watch and deletecollection, and the `metav1.LabelSelector` objects of
 * Deployments, ReplicaSets, Services… All pure functions; parse errors are KubeError 400.
 */

export type LabelOperator = 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

/** One AND-ed term. `values` holds one value for Equals/NotEquals/Gt/Lt, none for (Does not)Exist. */
export interface Requirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** AND of its requirements; no requirement matches everything. */
export interface LabelSelector {
  requirements: Requirement[];
}

export interface FieldSelector {
  requirements: { field: string; op: '=' | '!='; value: string }[];
}

// ---------------------------------------------------------------------------------------------
// Label selector: parsing

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string } | { kind: 'end' };

const OPERATOR_CHARS = new Set(['!', '=', '<', '>', ',', '(', ')']);

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '!' && s[i + 1] === '=') {
      out.push({ kind: 'op', text: '!=' });
      i += 2;
    } else if (c === '=' && s[i + 1] === '=') {
      out.push({ kind: 'op', text: '==' });
      i += 2;
    } else if (OPERATOR_CHARS.has(c)) {
      out.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !OPERATOR_CHARS.has(s[j]!) && !/\s/.test(s[j]!)) j++;
      out.push({ kind: 'id', text: s.slice(i, j) });
      i = j;
    }
  }
  out.push({ kind: 'end' });
  return out;
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'end of string' : `'${t.text}'`;
}

function bad(selector: string, why: string): KubeError {
  return KubeError.badRequest(`unable to parse requirement: ${why} (in label selector "${selector}"; expected terms like "app=web", "tier in (a,b)", "!legacy", joined by commas)`);
}

const NAME_PART = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key (optional DNS-subdomain prefix + '/' + name ≤ 63), or undefined. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (!prefix) return `invalid label key "${key}": prefix part must be non-empty`;
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return `invalid label key "${key}": prefix part must be a lowercase DNS subdomain (e.g. example.com)`;
  }
  if (!name) return `invalid label key "${key}": name part must be non-empty`;
  if (name.length > 63) return `invalid label key "${key}": name part must be no more than 63 characters`;
  if (!NAME_PART.test(name)) return `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  return undefined;
}

/** Why `value` is not a valid label value (empty, or ≤ 63 alnum with -_. inside), or undefined. */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `invalid label value "${value}": must be no more than 63 characters`;
  if (!NAME_PART.test(value)) return `invalid label value "${value}": must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  return undefined;
}

/**
 * Parses the string form (`app=web,tier in (a,b),!legacy`). Whitespace is free around tokens;
 * an empty or blank string selects everything. Throws KubeError 400 on bad syntax or invalid
 * keys/values.
 */
export function parseLabelSelector(s: string): LabelSelector {
  const tokens = tokenize(s);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const requirements: Requirement[] = [];
  if (peek().kind === 'end') return { requirements };

  const checkKey = (key: string): void => {
    const err = labelKeyError(key);
    if (err) throw bad(s, err);
  };
  const checkValue = (value: string): void => {
    const err = labelValueError(value);
    if (err) throw bad(s, err);
  };

  for (;;) {
    let t = next();
    if (t.kind === 'op' && t.text === '!') {
      const key = next();
      if (key.kind !== 'id') throw bad(s, `found ${describe(key)}, expected: identifier after '!'`);
      checkKey(key.text);
      requirements.push({ key: key.text, operator: 'DoesNotExist', values: [] });
    } else if (t.kind === 'id') {
      const key = t.text;
      checkKey(key);
      t = peek();
      if (t.kind === 'end' || (t.kind === 'op' && t.text === ',')) {
        requirements.push({ key, operator: 'Exists', values: [] });
      } else if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) {
        next();
        const open = next();
        if (open.kind !== 'op' || open.text !== '(') throw bad(s, `found ${describe(open)}, expected: '(' after '${t.text}'`);
        const values: string[] = [];
        for (;;) {
          let v = next();
          if (v.kind === 'op' && v.text === ')' && values.length === 0) throw bad(s, `for 'in', 'notin' operators, values set can't be empty (key "${key}")`);
          if (v.kind === 'id') {
            values.push(v.text);
            v = next();
          } else if (v.kind === 'op' && (v.text === ',' || v.text === ')')) {
            values.push(''); // `k in (,a)` / `k in (a,)`: an empty value, as upstream accepts
          } else {
            throw bad(s, `found ${describe(v)}, expected: a value or ')'`);
          }
          if (v.kind === 'op' && v.text === ')') break;
          if (!(v.kind === 'op' && v.text === ',')) throw bad(s, `found ${describe(v)}, expected: ',' or ')'`);
        }
        values.forEach(checkValue);
        requirements.push({ key, operator: t.text === 'in' ? 'In' : 'NotIn', values: [...new Set(values)].sort() });
      } else if (t.kind === 'op' && ['=', '==', '!=', '<', '>'].includes(t.text)) {
        next();
        const v = peek();
        let value = '';
        if (v.kind === 'id') {
          value = v.text;
          next();
        } else if (!(v.kind === 'end' || (v.kind === 'op' && v.text === ','))) {
          throw bad(s, `found ${describe(v)}, expected: a value after '${t.text}'`);
        }
        if (t.text === '<' || t.text === '>') {
          if (!/^-?\d+$/.test(value)) throw bad(s, `for 'Gt', 'Lt' operators, the value must be an integer (got "${value}")`);
          requirements.push({ key, operator: t.text === '>' ? 'Gt' : 'Lt', values: [value] });
        } else {
          checkValue(value);
          requirements.push({ key, operator: t.text === '!=' ? 'NotEquals' : 'Equals', values: [value] });
        }
      } else {
        throw bad(s, `found ${describe(t)}, expected: one of '=', '==', '!=', 'in', 'notin', ','`);
      }
    } else {
      throw bad(s, `found ${describe(t)}, expected: '!' or an identifier`);
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (!(sep.kind === 'op' && sep.text === ',')) throw bad(s, `found ${describe(sep)}, expected: ','`);
    if (peek().kind === 'end') throw bad(s, `found end of string, expected: a requirement after ','`);
  }
  return { requirements };
}

// ---------------------------------------------------------------------------------------------
// Label selector: matching, conversion, formatting

function matchesRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Equals':
      return has && value === r.values[0];
    case 'NotEquals':
      return !has || value !== r.values[0];
    case 'In':
      return has && r.values.includes(value!);
    case 'NotIn':
      return !has || !r.values.includes(value!);
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const a = Number(value);
      const b = Number(r.values[0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
  }
}

/** True when every requirement holds; `k!=v` and `k notin (…)` match objects without `k`. */
export function matchesLabels(sel: LabelSelector, labels?: Record<string, string>): boolean {
  const l = labels ?? {};
  return sel.requirements.every((r) => matchesRequirement(r, l));
}

/**
 * metav1.LabelSelector → matcher. `undefined` selects everything (as the string form of an
 * absent selector would); an object with neither field does too, as upstream's
 * `LabelSelectorAsSelector` does. Bad operators, keys or values throw KubeError 400.
 */
export function labelSelectorFromObject(
  sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined,
): LabelSelector {
  const requirements: Requirement[] = [];
  if (!sel) return { requirements };
  const fail = (why: string): KubeError => KubeError.badRequest(`invalid label selector: ${why}`);
  // Bodies come from clients: check the shapes too, so a malformed selector is a 400, never a crash.
  const matchLabels: unknown = sel.matchLabels ?? {};
  const matchExpressions: unknown = sel.matchExpressions ?? [];
  if (typeof matchLabels !== 'object' || matchLabels === null || Array.isArray(matchLabels)) throw fail('matchLabels must be a map of label keys to values');
  if (!Array.isArray(matchExpressions)) throw fail('matchExpressions must be a list of {key, operator, values}');
  for (const [key, value] of Object.entries(matchLabels)) {
    if (typeof value !== 'string') throw fail(`the value of matchLabels "${key}" must be a string`);
    const err = labelKeyError(key) ?? labelValueError(value);
    if (err) throw fail(err);
    requirements.push({ key, operator: 'Equals', values: [value] });
  }
  for (const e of matchExpressions as unknown[]) {
    if (typeof e !== 'object' || e === null) throw fail('each matchExpressions entry must be an object with key and operator');
    const { key, operator, values: rawValues } = e as { key?: unknown; operator?: unknown; values?: unknown };
    if (typeof key !== 'string') throw fail('each matchExpressions entry needs a string "key"');
    const keyErr = labelKeyError(key);
    if (keyErr) throw fail(keyErr);
    if (rawValues !== undefined && rawValues !== null && !(Array.isArray(rawValues) && rawValues.every((v) => typeof v === 'string'))) {
      throw fail(`the values of matchExpressions key "${key}" must be a list of strings`);
    }
    const values = (rawValues ?? []) as string[];
    switch (operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw fail(`for 'In', 'NotIn' operators, values set can't be empty (key "${key}")`);
        for (const v of values) {
          const err = labelValueError(v);
          if (err) throw fail(err);
        }
        requirements.push({ key, operator, values: [...new Set(values)].sort() });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) throw fail(`values set must be empty for exists and does not exist (key "${key}")`);
        requirements.push({ key, operator, values: [] });
        break;
      default:
        throw fail(`${JSON.stringify(operator)} is not a valid label selector operator (use In, NotIn, Exists or DoesNotExist)`);
    }
  }
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { requirements };
}

/** The string form kubectl and Scale.status.selector use: `app=web,tier in (a,b)`. */
export function formatLabelSelector(sel: LabelSelector): string {
  return sel.requirements
    .map((r) => {
      switch (r.operator) {
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        case 'Equals':
          return `${r.key}=${r.values[0] ?? ''}`;
        case 'NotEquals':
          return `${r.key}!=${r.values[0] ?? ''}`;
        case 'In':
          return `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'Gt':
          return `${r.key}>${r.values[0] ?? ''}`;
        case 'Lt':
          return `${r.key}<${r.values[0] ?? ''}`;
      }
    })
    .join(',');
}

// ---------------------------------------------------------------------------------------------
// Field selectors

/** Splits on `sep` characters not escaped by a backslash; keeps the escapes. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function unescapeFieldValue(v: string, selector: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === undefined || !'\\,='.includes(n)) throw KubeError.badRequest(`invalid field selector "${selector}": invalid escape sequence in "${v}" (only \\\\, \\, and \\= are allowed)`);
      out += n;
      i++;
    } else if (c === '=' || c === ',') {
      throw KubeError.badRequest(`invalid field selector "${selector}": unescaped '${c}' in value "${v}" (escape it with a backslash)`);
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Parses `metadata.name=web,status.phase!=Failed`: `=`, `==` and `!=`, comma = AND, values may
 * be empty, `\,` `\=` `\\` escape. Blank selects everything. Throws KubeError 400.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const requirements: FieldSelector['requirements'] = [];
  if (s.trim() === '') return { requirements };
  for (const term of splitUnescaped(s, ',')) {
    const m = /^([^=!]*?)\s*(!=|==|=)(.*)$/s.exec(term);
    const field = m?.[1]?.trim() ?? '';
    if (!m || !field) {
      throw KubeError.badRequest(`invalid field selector "${s}": can't understand "${term}" (expected terms like "metadata.name=web" or "status.phase!=Failed", joined by commas)`);
    }
    requirements.push({ field, op: m[2] === '!=' ? '!=' : '=', value: unescapeFieldValue(m[3]!, s) });
  }
  return { requirements };
}

/** The value at a dotted path as a selector compares it: missing or non-scalar → "". */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return '';
}

/**
 * True when every term holds on `obj`. Any dotted path works (`spec.nodeName`,
 * `involvedObject.name`, `metadata.namespace`); a missing field equals "".
 */
export function matchesFields(sel: FieldSelector, obj: KubeObject): boolean {
  return sel.requirements.every((r) => {
    const v = fieldValue(obj, r.field);
    return r.op === '=' ? v === r.value : v !== r.value;
  });
}
