/** Cinder's timestamp: microseconds, no zone (e.g. 2026-01-01T00:00:00.000000). */
export function cinderTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

export function cinderTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : cinderTime(ms);
}

export interface WireLink {
  rel: string;
  href: string;
}

/** Links of a resource: `self` under the versioned API, `bookmark` without the version. */
export function resourceLinks(base: string, projectId: string, collection: string, id: string): WireLink[] {
  return [
    { rel: 'self', href: `${base}/volume/v3/${projectId}/${collection}/${id}` },
    { rel: 'bookmark', href: `${base}/volume/${projectId}/${collection}/${id}` },
  ];
}

/**
 * The `next` link of a page: the request URL with `marker` set to the page's last id. Given
 * only when the page is full, as Cinder does (so a full last page still links to an empty one).
 */
export function nextLinks(base: string, url: string, items: { id: string }[], limit: number | undefined, max: number): WireLink[] | undefined {
  const full = limit !== undefined ? limit > 0 && items.length === Math.min(limit, max) : items.length === max;
  if (!full || items.length === 0) return undefined;
  const u = new URL(url, base);
  u.searchParams.set('marker', items[items.length - 1]!.id);
  return [{ rel: 'next', href: `${base}${u.pathname}${u.search}` }];
}
