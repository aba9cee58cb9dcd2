/** Conditional request headers, as both Swift and S3 accept them. */
export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

export type ConditionResult = 'ok' | 'not-modified' | 'failed';

/**
 * Evaluates RFC 7232 preconditions for a read against an object's etag and Last-Modified
 * seconds: If-Match, then If-Unmodified-Since (ignored when If-Match is present), then
 * If-None-Match, then If-Modified-Since (ignored when If-None-Match is present). Unparseable
 * dates are ignored, as Swift does.
 */
export function evaluate(target: { etag: string; lastModified: number }, c: Conditions): ConditionResult {
  if (c.ifMatch !== undefined) {
    if (!etagListMatches(c.ifMatch, target.etag)) return 'failed';
  } else if (c.ifUnmodifiedSince !== undefined) {
    const t = parseHttpDate(c.ifUnmodifiedSince);
    if (t !== undefined && target.lastModified > t) return 'failed';
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagListMatches(c.ifNoneMatch, target.etag)) return 'not-modified';
  } else if (c.ifModifiedSince !== undefined) {
    const t = parseHttpDate(c.ifModifiedSince);
    if (t !== undefined && target.lastModified <= t) return 'not-modified';
  }
  return 'ok';
}

/** `*` or a comma-separated list of (optionally quoted, optionally weak) etags. */
export function etagListMatches(header: string, etag: string): boolean {
  const want = unquote(etag);
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || unquote(v.replace(/^W\//, '')) === want;
  });
}

export function unquote(etag: string): string {
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}

const HTTP_DATE = [
  /^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d\d:\d\d:\d\d GMT$/, // RFC 1123
  /^[A-Za-z]+, \d{1,2}-[A-Za-z]{3}-\d{2,4} \d\d:\d\d:\d\d GMT$/, // RFC 850
  /^[A-Za-z]{3} [A-Za-z]{3} +\d{1,2} \d\d:\d\d:\d\d \d{4}$/, // asctime
];

/** Seconds since the epoch of an HTTP-date (the three forms RFC 7231 allows), or undefined. */
export function parseHttpDate(v: string): number | undefined {
  const s = v.trim();
  if (!HTTP_DATE.some((re) => re.test(s))) return undefined;
  const ms = Date.parse(s.includes('GMT') ? s : `${s} GMT`);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}
