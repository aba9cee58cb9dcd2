import { compareNames } from './names.js';

/** Listing parameters shared by account (containers) and container (objects) listings. */
export interface ListOptions {
  prefix?: string;
  /** One character; names with it after the prefix roll up into a `subdir` entry. */
  delimiter?: string;
  marker?: string;
  endMarker?: string;
  limit?: number;
  reverse?: boolean;
  /** Swift's legacy `path=`: only direct children of this pseudo-directory. */
  path?: string;
}

export const MAX_LISTING_LIMIT = 10_000;

export type ListEntry<T> = { name: string; item: T } | { name: string; subdir: true };

/**
 * Orders, filters and rolls up named items the way Swift's listings do. Pure: callers fetch
 * the records and render the result.
 *
 * @example
 *   list([{ name: 'a/1', item }, { name: 'b', item }], { delimiter: '/' })
 *   // → [{ name: 'a/', subdir: true }, { name: 'b', item }]
 */
export function list<T>(items: { name: string; item: T }[], o: ListOptions = {}): ListEntry<T>[] {
  const sorted = [...items].sort((a, b) => compareNames(a.name, b.name));
  if (o.reverse) sorted.reverse();
  const prefix = o.path !== undefined ? dirPrefix(o.path) : (o.prefix ?? '');
  const limit = Math.min(o.limit ?? MAX_LISTING_LIMIT, MAX_LISTING_LIMIT);
  const out: ListEntry<T>[] = [];
  const inRange = rangeTest(o);
  let lastSubdir: string | undefined;
  for (const e of sorted) {
    if (out.length >= limit) break;
    if (!e.name.startsWith(prefix) || !inRange(e.name)) continue;
    if (o.path !== undefined) {
      if (e.name.indexOf('/', prefix.length) >= 0) continue;
      out.push(e);
      continue;
    }
    const sub = o.delimiter ? subdirOf(e.name, prefix, o.delimiter) : undefined;
    if (sub === undefined) {
      out.push(e);
    } else if (sub !== lastSubdir) {
      lastSubdir = sub;
      out.push({ name: sub, subdir: true });
    }
  }
  return out;
}

function dirPrefix(path: string): string {
  return path === '' || path.endsWith('/') ? path : `${path}/`;
}

function subdirOf(name: string, prefix: string, delimiter: string): string | undefined {
  const i = name.indexOf(delimiter, prefix.length);
  return i < 0 ? undefined : name.slice(0, i + delimiter.length);
}

function rangeTest(o: ListOptions): (name: string) => boolean {
  const { marker, endMarker, reverse } = o;
  return (name) => {
    if (marker) {
      const c = compareNames(name, marker);
      if (reverse ? c >= 0 : c <= 0) return false;
      // A page that ended on subdir `a/` passes `marker=a/`; the next page must not repeat it.
      if (!reverse && o.delimiter && marker.endsWith(o.delimiter) && name.startsWith(marker)) return false;
    }
    if (endMarker) {
      const c = compareNames(name, endMarker);
      if (reverse ? c <= 0 : c >= 0) return false;
    }
    return true;
  };
}
