import { badRequest } from '../../../core/errors.js';
import type { FieldFilter, ListQuery, NumberFilter, SortDir, SortKey, TimeFilter } from '../logic/list.js';
import { checkName, own } from './attrs.js';
import { MEMBER_STATUSES, VISIBILITIES, type MemberStatus } from '../logic/models.js';

/** Glance's limit_param_default and api_limit_max. */
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 1000;

const SORT_KEYS: Record<string, SortKey> = {
  name: 'name',
  status: 'status',
  container_format: 'containerFormat',
  disk_format: 'diskFormat',
  size: 'size',
  id: 'id',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
};
const STRING_FIELDS: Record<string, FieldFilter['field']> = {
  name: 'name',
  id: 'id',
  status: 'status',
  container_format: 'containerFormat',
  disk_format: 'diskFormat',
};
const EXACT_FIELDS: Record<string, FieldFilter['field']> = { owner: 'owner', checksum: 'checksum', os_hash_value: 'osHashValue' };
const NUMBER_FIELDS: Record<string, NumberFilter['field']> = { size: 'size', virtual_size: 'virtualSize', min_ram: 'minRam', min_disk: 'minDisk' };
const TIME_FIELDS: Record<string, TimeFilter['field']> = { created_at: 'createdAt', updated_at: 'updatedAt' };
const CONTROL = new Set(['limit', 'marker', 'member_status', 'tag', 'sort', 'sort_key', 'sort_dir', 'visibility', 'os_hidden', 'protected']);
const OPERATORS = new Set(['in', 'eq', 'neq', 'gt', 'gte', 'lt', 'lte']);

/**
 * `GET /v2/images` query (glance `RequestDeserializer.index` and `_make_conditions_from_filters`):
 * paging and sorting parameters, filters on attributes (with `in:` and comparison operators
 * where Glance has them), repeated `tag=`, and any other parameter as an extra-property filter.
 */
export function parseList(params: URLSearchParams): ListQuery {
  const one = (k: string) => params.getAll(k).pop();
  const q: ListQuery = {
    memberStatus: memberStatus(one('member_status')),
    osHidden: boolParam('os_hidden', one('os_hidden')?.toLowerCase()) ?? false,
    fields: [],
    numbers: [],
    times: [],
    tags: params.getAll('tag').map((t) => t.trim()),
    properties: {},
    sort: sortSpec(params),
    limit: limit(one('limit')),
  };
  const marker = one('marker');
  if (marker !== undefined) q.marker = marker;
  const visibility = one('visibility');
  if (visibility !== undefined && visibility !== '') {
    if (![...VISIBILITIES, 'all'].includes(visibility)) throw badRequest(`Invalid visibility value: ${visibility.slice(0, 40)}`);
    q.visibility = visibility;
  }
  const prot = boolParam('protected', one('protected'));
  if (prot !== undefined) q.protected = prot;
  for (const key of new Set(params.keys())) if (!CONTROL.has(key)) addFilter(q, key, one(key)!);
  return q;
}

function addFilter(q: ListQuery, key: string, value: string): void {
  if (key === 'changes-since') throw badRequest('The "changes-since" filter is no longer available on v2.');
  const str = own(STRING_FIELDS, key);
  const exact = own(EXACT_FIELDS, key);
  const num = own(NUMBER_FIELDS, key);
  const time = own(TIME_FIELDS, key);
  const range = /^(.*)_(min|max)$/.exec(key);
  if (str) q.fields.push({ field: str, values: opValues(value) });
  else if (exact) q.fields.push({ field: exact, values: [value] });
  else if (num) q.numbers.push({ field: num, op: 'eq', value: /^\d+$/.test(value) ? Number(value) : NaN });
  else if (time) q.times.push(timeFilter(time, key, value));
  else if (range) q.numbers.push(rangeFilter(range[1]!, range[2] as 'min' | 'max', value));
  else {
    checkName(key);
    q.properties[key] = value;
  }
}

function splitOp(expr: string): [string, string] {
  const i = expr.indexOf(':');
  if (i > 0 && OPERATORS.has(expr.slice(0, i))) return [expr.slice(0, i), expr.slice(i + 1)];
  return ['eq', expr];
}

function opValues(value: string): string[] {
  const [op, rest] = splitOp(value);
  if (op === 'eq') return [rest];
  if (op === 'in') return splitQuoted(rest);
  throw badRequest(`Unable to filter by unknown operator '${op}'.`);
}

/** `a,"b,c",d` → [a, b,c, d]. */
function splitQuoted(s: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"([^"]*)"|([^,]*))\s*(?:,|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null && m.index < s.length) {
    out.push(m[1] ?? m[2]!.trim());
    if (m[0] === '') re.lastIndex++;
  }
  return out.length ? out : [''];
}

function rangeFilter(attr: string, side: 'min' | 'max', value: string): NumberFilter {
  const field = own(NUMBER_FIELDS, attr);
  if (!field) throw badRequest(`Unable to filter by range on '${attr.slice(0, 40)}'.`);
  if (!/^-?\d+$/.test(value.trim())) throw badRequest('Unable to filter on a range with a non-numeric value.');
  return { field, op: side === 'min' ? 'gte' : 'lte', value: Number(value) };
}

function timeFilter(field: TimeFilter['field'], key: string, value: string): TimeFilter {
  const [op, iso] = splitOp(value);
  const at = Date.parse(iso);
  if (op === 'in' || !/^\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/.test(iso) || Number.isNaN(at))
    throw badRequest(`Bad "${key}" query filter format. Use ISO 8601 DateTime notation.`);
  return { field, op: op as TimeFilter['op'], at };
}

function memberStatus(v: string | undefined): MemberStatus | 'all' {
  if (v === undefined) return 'accepted';
  if (v === 'all' || MEMBER_STATUSES.includes(v as MemberStatus)) return v as MemberStatus | 'all';
  throw badRequest(`Invalid status: ${v.slice(0, 40)}`);
}

function boolParam(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'true' || v === 'false') return v === 'true';
  throw badRequest(`Invalid value '${v.slice(0, 40)}' for '${name}' filter. Valid values are 'true' or 'false'.`);
}

function limit(v: string | undefined): number {
  if (v === undefined) return DEFAULT_LIMIT;
  if (!/^\s*-?\d+\s*$/.test(v)) throw badRequest('limit param must be an integer');
  const n = Number(v);
  if (n < 0) throw badRequest('limit param must be positive');
  return Math.min(n, MAX_LIMIT);
}

function sortSpec(params: URLSearchParams): ListQuery['sort'] {
  const keys = params.getAll('sort_key').map((k) => sortKey(k.trim()));
  const dirs = params.getAll('sort_dir').map((d) => sortDir(d.trim()));
  const sort = params.getAll('sort').pop();
  if (sort !== undefined) {
    if (keys.length || dirs.length) throw badRequest('Old and new sorting syntax cannot be combined');
    return sort
      .trim()
      .split(',')
      .map((part) => {
        const [k, d] = part.split(':');
        return { key: sortKey(k!.trim()), dir: d === undefined || d.trim() === '' ? 'desc' : sortDir(d.trim()) };
      });
  }
  if (dirs.length > 1 && dirs.length !== keys.length) throw badRequest('Number of sort dirs does not match the number of sort keys');
  const ks = keys.length ? keys : (['createdAt'] as SortKey[]);
  return ks.map((key, i) => ({ key, dir: dirs[i] ?? dirs[0] ?? 'desc' }));
}

function sortKey(k: string): SortKey {
  const key = own(SORT_KEYS, k);
  if (!key) throw badRequest(`Invalid sort key: ${k.slice(0, 40)}. It must be one of the following: ${Object.keys(SORT_KEYS).join(', ')}.`);
  return key;
}

function sortDir(d: string): SortDir {
  if (d !== 'asc' && d !== 'desc') throw badRequest(`Invalid sort direction: ${d.slice(0, 40)}`);
  return d;
}
