import { clientError, notAuthorized } from '../errors.js';
import { TIMESTAMP_FIELDS } from './records.js';

/**
 * Aodh's complex query (`POST /v2/query/alarms[/history]`): a JSON filter of
 * `{"<op>": {"<field>": value}}` leaves (`=`, `!=`, `<`, `>`, `<=`, `=<`, `>=`, `=>`, `=~`, `in`)
 * combined with `and`/`or` (two or more operands) and `not`; an order-by list of
 * `{"<field>": "asc"|"desc"}`; a positive limit. Evaluated in memory over records by Aodh's
 * storage field names, timestamps as ms.
 */
export type Filter = (rec: Record<string, unknown>) => boolean;
export type Order = [field: string, dir: 'asc' | 'desc'][];

const SIMPLE = ['=', '!=', '<', '>', '<=', '=<', '>=', '=>', '=~'];
const NAME_MAP: Record<string, string> = { user: 'user_id', project: 'project_id' };

class Invalid extends Error {}

export interface ComplexQuery {
  filter?: Filter;
  order?: Order;
  limit?: number;
}

/**
 * Parses the body `{"filter": "<json>", "orderby": "<json>", "limit": n}`. `scope`, for a
 * non-admin, ANDs `<visibilityField> = scope` and refuses a filter naming another project.
 */
export function complexQuery(body: unknown, fields: string[], visibilityField: string, scope: string | undefined): ComplexQuery {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) throw clientError('The query body must be a JSON object with optional filter, orderby and limit.');
  const extra = Object.keys(b).filter((k) => !['filter', 'orderby', 'limit'].includes(k));
  if (extra.length) throw clientError(`Unknown attribute for argument body: ${extra.join(', ')}`);
  const out: ComplexQuery = {};
  if (b.filter !== undefined && b.filter !== null) {
    let expr: unknown;
    try {
      expr = typeof b.filter === 'string' ? JSON.parse(b.filter) : b.filter;
      out.filter = compile(expr, fields, visibilityField, scope);
    } catch (e) {
      if (e instanceof Invalid || e instanceof SyntaxError) throw clientError(`Filter expression not valid: ${e.message}`);
      throw e;
    }
  }
  if (scope !== undefined) {
    const own = out.filter;
    out.filter = own ? (r) => r[visibilityField] === scope && own(r) : (r) => r[visibilityField] === scope;
  }
  if (b.orderby !== undefined && b.orderby !== null) {
    try {
      out.order = orderBy(typeof b.orderby === 'string' ? JSON.parse(b.orderby) : b.orderby, fields);
    } catch (e) {
      if (e instanceof Invalid || e instanceof SyntaxError) throw clientError(`Order-by expression not valid: ${e.message}`);
      throw e;
    }
  }
  if (b.limit !== undefined && b.limit !== null) {
    if (typeof b.limit !== 'number' || !Number.isInteger(b.limit)) throw clientError(`Invalid input for field/attribute limit. Value: '${String(b.limit)}'. Wrong type. Expected 'int'`);
    if (b.limit <= 0) throw clientError('Limit should be positive');
    out.limit = b.limit;
  }
  return out;
}

function single(node: unknown, what: string): [string, unknown] {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) throw new Invalid(`${JSON.stringify(node)} is not an object (${what})`);
  const keys = Object.keys(node);
  if (keys.length !== 1) throw new Invalid(`${JSON.stringify(node)} must have exactly one property (${what})`);
  return [keys[0]!, (node as Record<string, unknown>)[keys[0]!]];
}

function fieldOf(name: string, fields: string[]): string {
  const f = NAME_MAP[name] ?? name;
  if (!fields.includes(f)) throw new Invalid(`'${name}' is not a queryable field; valid fields: ${fields.join(', ')}`);
  return f;
}

function operand(field: string, v: unknown): unknown {
  if (!TIMESTAMP_FIELDS.includes(field) || typeof v !== 'string') return v;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  if (Number.isNaN(ms)) throw clientError(`Failed to parse the timestamp value ${v}`);
  return ms;
}

function compile(node: unknown, fields: string[], vis: string, scope: string | undefined): Filter {
  const [rawOp, arg] = single(node, 'filter');
  const op = rawOp.toLowerCase();
  if (op === 'and' || op === 'or') {
    if (!Array.isArray(arg) || arg.length < 2) throw new Invalid(`'${rawOp}' needs a list of at least 2 expressions`);
    const subs = arg.map((n) => compile(n, fields, vis, scope));
    return op === 'and' ? (r) => subs.every((f) => f(r)) : (r) => subs.some((f) => f(r));
  }
  if (op === 'not') {
    const sub = compile(arg, fields, vis, scope);
    return (r) => !sub(r);
  }
  if (op === 'in') {
    const [name, list] = single(arg, 'in');
    const field = fieldOf(name, fields);
    if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string' && typeof x !== 'number')) throw new Invalid(`'in' needs a non-empty list of strings or numbers for '${name}'`);
    if (scope !== undefined && field === vis && list.some((x) => x !== scope)) throw notAuthorized(String(list.find((x) => x !== scope)));
    const values = list.map((x) => operand(field, x));
    return (r) => values.includes(r[field]);
  }
  if (!SIMPLE.includes(op)) throw new Invalid(`'${rawOp}' is not an operator; use one of ${[...SIMPLE, 'in', 'and', 'or', 'not'].join(', ')}`);
  const [name, raw] = single(arg, op);
  const field = fieldOf(name, fields);
  if (!['string', 'number', 'boolean'].includes(typeof raw)) throw new Invalid(`${JSON.stringify(raw)} is not a string, number or boolean (value of '${name}')`);
  if (scope !== undefined && field === vis && raw !== scope) throw notAuthorized(String(raw));
  const v = operand(field, raw);
  switch (op) {
    case '=':
      return (r) => r[field] === v;
    case '!=':
      return (r) => r[field] !== v;
    case '=~': {
      let re: RegExp;
      try {
        re = new RegExp(String(v));
      } catch {
        throw new Invalid(`'${String(v)}' is not a regular expression`);
      }
      return (r) => typeof r[field] === 'string' && re.test(r[field] as string);
    }
    default: {
      const cmp = op === '<' ? (a: number) => a < 0 : op === '>' ? (a: number) => a > 0 : op === '<=' || op === '=<' ? (a: number) => a <= 0 : (a: number) => a >= 0;
      return (r) => r[field] !== null && r[field] !== undefined && cmp(compare(r[field], v));
    }
  }
}

function orderBy(v: unknown, fields: string[]): Order {
  if (!Array.isArray(v)) throw new Invalid(`${JSON.stringify(v)} is not a list of {"<field>": "asc"|"desc"}`);
  return v.map((item) => {
    const [name, dir] = single(item, 'orderby');
    const field = fieldOf(name, fields);
    if (typeof dir !== 'string' || !/^(asc|desc)$/i.test(dir)) throw new Invalid(`'${String(dir)}' is not asc or desc`);
    return [field, dir.toLowerCase() as 'asc' | 'desc'];
  });
}

const SEVERITY_RANK: Record<string, number> = { low: 0, moderate: 1, critical: 2 };

/** Compares two field values: numbers, strings, booleans; severities by rank. */
export function compare(a: unknown, b: unknown, field?: string): number {
  if (field === 'severity') return (SEVERITY_RANK[String(a)] ?? -1) - (SEVERITY_RANK[String(b)] ?? -1);
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const [x, y] = [typeof a === 'string' ? a : JSON.stringify(a), typeof b === 'string' ? b : JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sorts records by `order` (then by `key` ascending, for a stable page order). */
export function sortRecords<T>(items: T[], fieldsOf: (t: T) => Record<string, unknown>, order: Order, key: string): T[] {
  const rows = items.map((t) => ({ t, f: fieldsOf(t) }));
  rows.sort((a, b) => {
    for (const [field, dir] of order) {
      const c = compare(a.f[field], b.f[field], field);
      if (c) return dir === 'asc' ? c : -c;
    }
    return compare(a.f[key], b.f[key]);
  });
  return rows.map((r) => r.t);
}
