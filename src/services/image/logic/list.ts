import { badRequest } from '../../../core/errors.js';
import { listable, visible } from './access.js';
import type { Caller } from './context.js';
import type { Image, Member, MemberStatus } from './models.js';

export type SortKey = 'name' | 'status' | 'containerFormat' | 'diskFormat' | 'size' | 'id' | 'createdAt' | 'updatedAt';
export type SortDir = 'asc' | 'desc';

/** `name=in:"a,b"` or an exact value, on a string field. */
export interface FieldFilter {
  field: 'name' | 'id' | 'status' | 'containerFormat' | 'diskFormat' | 'owner' | 'checksum' | 'osHashValue';
  values: string[];
}
/** `size=`, `size_min=`, `size_max=` and the like; a NaN value matches nothing. */
export interface NumberFilter {
  field: 'size' | 'virtualSize' | 'minRam' | 'minDisk';
  op: 'eq' | 'gte' | 'lte';
  value: number;
}
/** `created_at=gte:2024-01-01T00:00:00Z` and the like. */
export interface TimeFilter {
  field: 'createdAt' | 'updatedAt';
  op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
  at: number;
}

export interface ListQuery {
  visibility?: string;
  memberStatus: MemberStatus | 'all';
  osHidden: boolean;
  protected?: boolean;
  fields: FieldFilter[];
  numbers: NumberFilter[];
  times: TimeFilter[];
  /** Every tag must be present. */
  tags: string[];
  /** Extra properties that must equal these values. */
  properties: Record<string, string>;
  sort: { key: SortKey; dir: SortDir }[];
  limit: number;
  marker?: string;
}

export interface ListPage {
  images: Image[];
  /** Set when the page is full: the id to pass as `marker` for the next one. */
  nextMarker?: string;
}

/**
 * Filters, sorts and pages images the way Glance's image_get_all does. Sorting always ends
 * with created_at and id, so pages are stable and `marker` works by comparison: the next page
 * holds what sorts after the marker image, even when the marker itself is filtered out.
 */
export function listImages(all: Image[], myMembers: Member[], caller: Caller, q: ListQuery, markerMember?: Member): ListPage {
  const memberships = new Map(myMembers.map((m) => [m.imageId, m.status]));
  const scope = { memberships, memberStatus: q.memberStatus, ...(q.visibility !== undefined ? { visibility: q.visibility } : {}) };
  const cmp = comparator(q.sort);
  let rows = all.filter((i) => listable(caller, i, scope) && matches(i, q)).sort(cmp);
  if (q.marker !== undefined) {
    const marker = all.find((i) => i.id === q.marker);
    if (!marker || !visible(caller, marker, markerMember)) throw badRequest(`Marker ${q.marker} could not be found.`);
    rows = rows.filter((i) => cmp(i, marker) > 0);
  }
  const images = rows.slice(0, q.limit);
  const page: ListPage = { images };
  if (images.length > 0 && images.length === q.limit) page.nextMarker = images[images.length - 1]!.id;
  return page;
}

function matches(i: Image, q: ListQuery): boolean {
  if (i.osHidden !== q.osHidden) return false;
  if (q.protected !== undefined && i.protected !== q.protected) return false;
  for (const f of q.fields) if (!f.values.includes(i[f.field] ?? '\u0000')) return false;
  for (const n of q.numbers) if (!numberMatches(i[n.field], n)) return false;
  for (const t of q.times) if (!timeMatches(i[t.field], t)) return false;
  for (const tag of q.tags) if (!i.tags.includes(tag)) return false;
  for (const [k, v] of Object.entries(q.properties)) if (i.properties[k] !== v) return false;
  return true;
}

function numberMatches(v: number | null, f: NumberFilter): boolean {
  if (v === null || Number.isNaN(f.value)) return false;
  return f.op === 'eq' ? v === f.value : f.op === 'gte' ? v >= f.value : v <= f.value;
}

function timeMatches(v: number, f: TimeFilter): boolean {
  // Timestamps are shown to the second; compare at that precision.
  const s = Math.floor(v / 1000);
  const at = Math.floor(f.at / 1000);
  switch (f.op) {
    case 'gt':
      return s > at;
    case 'gte':
      return s >= at;
    case 'lt':
      return s < at;
    case 'lte':
      return s <= at;
    case 'eq':
      return s === at;
    case 'neq':
      return s !== at;
  }
}

type Cmp = (a: Image, b: Image) => number;

function comparator(sort: ListQuery['sort']): Cmp {
  const keys = [...sort];
  const dir = sort[0]?.dir ?? 'desc';
  for (const key of ['createdAt', 'id'] as const) if (!keys.some((s) => s.key === key)) keys.push({ key, dir });
  return (a, b) => {
    for (const { key, dir } of keys) {
      const c = compareValues(a[key], b[key]);
      if (c !== 0) return dir === 'asc' ? c : -c;
    }
    return 0;
  };
}

/** Nulls sort first in ascending order, as in MySQL. */
function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
