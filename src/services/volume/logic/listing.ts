import { StratusError } from '../../../core/errors.js';

export interface SortKey {
  key: string;
  dir: 'asc' | 'desc';
}

export interface PageOptions {
  limit?: number;
  marker?: string;
  /** Items to skip after the marker. */
  offset?: number;
  /** Validated keys; an `id` tiebreak is added in the direction of the last key. */
  sort: SortKey[];
}

/** Cinder's osapi_max_limit: no page is longer than this. */
export const MAX_PAGE = 1000;

type Value = string | number | boolean | null | undefined;

function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * Sorts, then returns the page after `marker` (exclusive) of at most `limit` items. The
 * marker must be one of `items` (as the caller can see them), else 404 like Cinder's
 * MarkerNotFound.
 */
export function paginate<T extends { id: string }>(items: T[], page: PageOptions, valueOf: (t: T, key: string) => Value): T[] {
  const keys = [...page.sort];
  if (!keys.some((k) => k.key === 'id')) keys.push({ key: 'id', dir: keys[keys.length - 1]?.dir ?? 'desc' });
  const sorted = [...items].sort((x, y) => {
    for (const k of keys) {
      const c = compare(valueOf(x, k.key), valueOf(y, k.key));
      if (c !== 0) return k.dir === 'asc' ? c : -c;
    }
    return 0;
  });
  let start = 0;
  if (page.marker !== undefined) {
    const at = sorted.findIndex((t) => t.id === page.marker);
    if (at < 0) throw new StratusError('NotFound', `Marker ${page.marker} could not be found.`, 'MarkerNotFound');
    start = at + 1;
  }
  start += page.offset ?? 0;
  const limit = Math.min(page.limit ?? MAX_PAGE, MAX_PAGE);
  return sorted.slice(start, start + limit);
}
