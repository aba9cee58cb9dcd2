import { isObject, type Json } from '../../../core/validate.js';
import { E } from '../errors.js';

/** Query parameters that steer a listing rather than filter it. */
const CONTROL = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse', 'tags', 'tags-any', 'not-tags', 'not-tags-any', 'changed_since']);

export type RawQuery = Record<string, string | string[] | undefined>;

export interface ListQuery {
  filters: Map<string, string[]>;
  fields: string[] | null;
  sorts: [string, 'asc' | 'desc'][];
  limit: number | null;
  marker: string | null;
  pageReverse: boolean;
  tags: { all: string[]; any: string[]; notAll: string[]; notAny: string[] };
  changedSince: number | null;
}

const all = (q: RawQuery, k: string): string[] => {
  const v = q[k];
  return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
};
const csv = (q: RawQuery, k: string) => all(q, k).flatMap((v) => v.split(',')).filter((s) => s !== '');

export function parseQuery(raw: unknown): ListQuery {
  const q = (isObject(raw) ? raw : {}) as RawQuery;
  const filters = new Map<string, string[]>();
  for (const k of Object.keys(q)) if (!CONTROL.has(k)) filters.set(k, all(q, k));
  const keys = all(q, 'sort_key');
  const dirs = all(q, 'sort_dir');
  if (dirs.length && dirs.length !== keys.length) throw E.attr('The number of sort_keys and sort_dirs must be same');
  const sorts = keys.map((k, i): [string, 'asc' | 'desc'] => {
    const d = (dirs[i] ?? 'asc').toLowerCase();
    if (d !== 'asc' && d !== 'desc') throw E.attr(`${dirs[i]} is an invalid value for sort_dir, valid values are 'asc' and 'desc'`);
    return [k, d];
  });
  const limitText = all(q, 'limit').pop();
  let limit: number | null = null;
  if (limitText !== undefined) {
    if (!/^\d+$/.test(limitText)) throw E.attr(`Limit must be an integer 0 or greater and not '${limitText}'`);
    limit = Number(limitText) || null;
  }
  const since = all(q, 'changed_since').pop();
  let changedSince: number | null = null;
  if (since !== undefined) {
    changedSince = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(since) ? since : `${since}Z`);
    if (Number.isNaN(changedSince)) throw E.attr(`Failed to parse request. Invalid changed_since '${since}'`);
  }
  const fields = all(q, 'fields').flatMap((f) => f.split(',')).filter((f) => f !== '');
  return {
    filters,
    fields: fields.length ? fields : null,
    sorts,
    limit,
    marker: all(q, 'marker').pop() ?? null,
    pageReverse: /^(true|1)$/i.test(all(q, 'page_reverse').pop() ?? ''),
    tags: { all: csv(q, 'tags'), any: csv(q, 'tags-any'), notAll: csv(q, 'not-tags'), notAny: csv(q, 'not-tags-any') },
    changedSince,
  };
}

const BOOL_TRUE = /^(true|1)$/i;
const BOOL_FALSE = /^(false|0)$/i;

/** Does a view's attribute match one filter value? Lists match when they contain it. */
function matchValue(v: unknown, want: string, attr: string): boolean {
  if (typeof v === 'boolean') {
    if (BOOL_TRUE.test(want)) return v;
    if (BOOL_FALSE.test(want)) return !v;
    throw E.attr(`Invalid input for ${attr}. Reason: '${want}' cannot be converted to boolean.`);
  }
  if (v === null || v === undefined) return want === '' || want === 'None' || want === 'null';
  if (typeof v === 'number') return String(v) === want;
  if (typeof v === 'string') return v === want;
  if (Array.isArray(v)) return v.some((x) => (typeof x === 'string' || typeof x === 'number' ? String(x) === want : false));
  return false;
}

export type CustomFilter = (item: Json, values: string[]) => boolean;

/** Applies attribute filters, tag filters and changed_since to rendered views. */
export function filterViews(items: Json[], q: ListQuery, custom: Record<string, CustomFilter> = {}): Json[] {
  const has = (it: Json, t: string) => Array.isArray(it.tags) && (it.tags as string[]).includes(t);
  return items.filter((it) => {
    for (const [attr, values] of q.filters) {
      if (custom[attr]) {
        if (!custom[attr]!(it, values)) return false;
        continue;
      }
      if (!(attr in it)) continue; // Neutron ignores filters on unknown attributes
      if (!values.some((w) => matchValue(it[attr], w, attr))) return false;
    }
    const { all: tAll, any, notAll, notAny } = q.tags;
    if (tAll.length && !tAll.every((t) => has(it, t))) return false;
    if (any.length && !any.some((t) => has(it, t))) return false;
    if (notAll.length && notAll.every((t) => has(it, t))) return false;
    if (notAny.length && notAny.some((t) => has(it, t))) return false;
    if (q.changedSince !== null && typeof it.updated_at === 'string' && Date.parse(it.updated_at) < q.changedSince) return false;
    return true;
  });
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a) < String(b) ? -1 : 1;
}

export interface Page {
  items: Json[];
  links: { rel: 'next' | 'previous'; href: string }[];
}

/**
 * Sorts and pages filtered views: `sort_key`/`sort_dir` pairs (id breaks ties), then `marker`
 * (the id after which the page starts, or before which with `page_reverse`) and `limit`, with
 * Neutron's `*_links` next/previous hrefs that repeat the other query parameters.
 */
export function page(items: Json[], q: ListQuery, selfUrl: string, raw: unknown, notFound: (id: string) => Error): Page {
  const sorts = q.sorts.length || q.limit !== null || q.marker !== null ? [...q.sorts, ['id', 'asc'] as [string, 'asc']] : [];
  for (const [k] of sorts) {
    if (items.length && !(k in items[0]!)) throw E.attr(`${k} is an invalid attribute for sort_key`);
    if (items.length && isObject(items[0]![k])) throw E.attr(`${k} is an invalid attribute for sort_key`);
  }
  const sorted = sorts.length
    ? [...items].sort((a, b) => {
        for (const [k, d] of sorts) {
          const r = compare(a[k], b[k]);
          if (r) return d === 'asc' ? r : -r;
        }
        return 0;
      })
    : items;
  let start = 0;
  let end = sorted.length;
  if (q.marker !== null) {
    const i = sorted.findIndex((x) => x.id === q.marker);
    if (i < 0) throw notFound(q.marker);
    if (q.pageReverse) end = i;
    else start = i + 1;
  }
  if (q.limit !== null) {
    if (q.pageReverse) start = Math.max(start, end - q.limit);
    else end = Math.min(end, start + q.limit);
  }
  const out = sorted.slice(start, end);
  const links: Page['links'] = [];
  if (q.limit !== null && out.length) {
    const base = { ...(isObject(raw) ? raw : {}) } as RawQuery;
    delete base.marker;
    delete base.page_reverse;
    const href = (marker: string, reverse: boolean) => {
      const sp = new URLSearchParams();
      for (const [k, v] of Object.entries(base)) for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined) sp.append(k, String(x));
      sp.set('marker', marker);
      if (reverse) sp.set('page_reverse', 'True');
      return `${selfUrl}?${sp.toString()}`;
    };
    if (end < sorted.length) links.push({ rel: 'next', href: href(String(out[out.length - 1]!.id), false) });
    if (start > 0) links.push({ rel: 'previous', href: href(String(out[0]!.id), true) });
  }
  return { items: out, links };
}

/** Keeps only the asked-for `fields` (unknown names are ignored, as Neutron does). */
export function pick(item: Json, fields: string[] | null): Json {
  if (!fields) return item;
  const out: Json = {};
  for (const f of fields) if (f in item) out[f] = item[f];
  return out;
}
