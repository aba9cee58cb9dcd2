import { clientError } from '../errors.js';
import type { Page } from '../schemas/list.js';
import { sortRecords } from './query.js';

/**
 * Sorts (by `page.sort`, else `byDefault`), then pages after the marker (the id field `key`),
 * then limits, as Aodh's storage paginates.
 */
export function paginate<T extends { id: string }>(items: T[], fieldsOf: (t: T) => Record<string, unknown>, page: Page, key: string, byDefault: (a: T, b: T) => number): T[] {
  let sorted = page.sort.length ? sortRecords(items, fieldsOf, page.sort, key) : [...items].sort(byDefault);
  if (page.marker !== undefined) {
    const i = sorted.findIndex((t) => t.id === page.marker);
    if (i < 0) throw clientError(`Marker ${page.marker} not found.`);
    sorted = sorted.slice(i + 1);
  }
  return page.limit !== undefined ? sorted.slice(0, page.limit) : sorted;
}
