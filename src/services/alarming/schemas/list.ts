import { clientError, invalidInput } from '../errors.js';
import type { Order } from '../logic/query.js';

/** One `q.field/q.op/q.value[/q.type]` filter of a GET list. */
export interface SimpleFilter {
  field: string;
  op: string;
  value: string;
  type: string;
}

export interface Page {
  limit?: number;
  marker?: string;
  /** Empty: the resource's default order. */
  sort: Order;
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const OPS = ['lt', 'le', 'eq', 'ne', 'ge', 'gt'];

/** The `q.*` parameters zipped into filters, as WSME reads a `[Query]` argument. */
export function simpleFilters(query: unknown): SimpleFilter[] {
  const q = (query ?? {}) as Record<string, unknown>;
  const fields = asList(q['q.field']);
  const ops = asList(q['q.op']);
  const values = asList(q['q.value']);
  const types = asList(q['q.type']);
  if (values.length !== fields.length) throw invalidInput('q', `${fields.length} fields, ${values.length} values`, 'Each q.field needs a q.value (Mandatory field missing.)');
  return fields.map((field, i) => {
    const op = ops[i] || 'eq';
    if (!OPS.includes(op)) throw invalidInput('op', op, `Value should be one of: ${[...OPS].sort().join(', ')}`);
    return { field, op, value: values[i]!, type: types[i] ?? '' };
  });
}

/** Converts a filter value by its `q.type` (or by its look, as Aodh's literal_eval does). */
export function filterValue(f: SimpleFilter, forced?: 'boolean'): string | number | boolean {
  const type = forced ?? f.type;
  const v = f.value;
  switch (type) {
    case '':
      if (/^(True|False)$/.test(v)) return v === 'True';
      if (/^[+-]?\d+(\.\d+)?$/.test(v)) return Number(v);
      return v.replace(/^'(.*)'$|^"(.*)"$/, '$1$2');
    case 'string':
      return v;
    case 'integer':
    case 'float': {
      const n = Number(v);
      if (v.trim() === '' || Number.isNaN(n) || (type === 'integer' && !Number.isInteger(n))) throw clientError(`Unable to convert the value ${v} to the expected data type ${type}.`);
      return n;
    }
    case 'boolean': {
      if (/^(true|1|yes|on|t|y)$/i.test(v)) return true;
      if (/^(false|0|no|off|f|n)$/i.test(v)) return false;
      throw clientError(`Unable to convert the value ${v} to the expected data type boolean.`);
    }
    case 'datetime': {
      const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
      if (Number.isNaN(ms)) throw clientError(`Unable to convert the value ${v} to the expected data type datetime.`);
      return ms;
    }
    default:
      throw clientError(`The data type ${type} is not supported. The supported data type list is: ['integer', 'float', 'string', 'boolean', 'datetime']`);
  }
}

/** `limit`, `marker` and `sort=key[:dir]` (repeatable), checked against the sort keys. */
export function pageOf(query: unknown, sortKeys: readonly string[]): Page {
  const q = (query ?? {}) as Record<string, unknown>;
  const page: Page = { sort: [] };
  const limit = asList(q.limit)[0];
  if (limit !== undefined) {
    const n = Number(limit);
    if (!/^\s*-?\d+\s*$/.test(limit)) throw invalidInput('limit', limit, "Wrong type. Expected 'int'");
    if (n <= 0) throw invalidInput('limit', limit, 'it should be a positive integer.');
    page.limit = n;
  }
  const marker = asList(q.marker)[0];
  if (marker) page.marker = marker;
  for (const s of asList(q.sort)) {
    const [key, dir = ''] = s.split(':', 2) as [string, string?];
    if (!sortKeys.includes(key) || !['', 'asc', 'desc'].includes(dir)) {
      throw invalidInput(
        'sort',
        s,
        `the sort parameter should be a pair of sort key and sort dir combined with ':', or only sort key specified and sort dir will be default 'asc', the supported sort keys are: (${sortKeys.map((k) => `'${k}'`).join(', ')})`,
      );
    }
    page.sort.push([key, (dir || 'asc') as 'asc' | 'desc']);
  }
  return page;
}

export const ALARM_SORT_KEYS = ['alarm_id', 'enabled', 'name', 'type', 'severity', 'timestamp', 'user_id', 'project_id', 'state', 'repeat_actions', 'state_timestamp'] as const;
export const CHANGE_SORT_KEYS = ['event_id', 'alarm_id', 'on_behalf_of', 'project_id', 'user_id', 'type', 'timestamp', 'severity'] as const;
