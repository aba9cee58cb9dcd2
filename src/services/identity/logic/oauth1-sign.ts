import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * OAuth 1.0a request signing (RFC 5849), HMAC-SHA1 only, as Keystone's OS-OAUTH1 uses it.
 * Pure functions: parse the `Authorization: OAuth ...` header, build the signature base
 * string, sign and compare.
 */

/** RFC 5849 §3.6: everything but ALPHA / DIGIT / "-" / "." / "_" / "~" is %XX (upper case). */
export function oauthEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parses `OAuth k="v", k2="v2"`; undefined when the header is not an OAuth one or malformed. */
export function parseAuthorization(header: string | undefined): Map<string, string> | undefined {
  if (!header) return undefined;
  const m = /^\s*OAuth\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const out = new Map<string, string>();
  for (const hit of m[1]!.matchAll(/([^\s=,]+)\s*=\s*"([^"]*)"/g)) out.set(decode(hit[1]!), decode(hit[2]!));
  if (out.size === 0) return undefined;
  return out;
}

/** `scheme://host[:port]/path` with default ports dropped and scheme/host lower-cased (§3.4.1.2). */
export function baseUri(url: string): string {
  const u = new URL(url);
  const scheme = u.protocol.toLowerCase();
  const host = u.hostname.toLowerCase();
  const port = u.port && !((scheme === 'http:' && u.port === '80') || (scheme === 'https:' && u.port === '443')) ? `:${u.port}` : '';
  return `${scheme}//${host}${port}${u.pathname}`;
}

/**
 * The signature base string (§3.4.1): method, base URI, and the sorted, encoded parameters
 * from the query, the form body and the OAuth header (without `oauth_signature` and `realm`).
 */
export function baseString(method: string, url: string, params: [string, string][]): string {
  const u = new URL(url);
  const all: [string, string][] = [...u.searchParams.entries(), ...params]
    .filter(([k]) => k !== 'oauth_signature' && k !== 'realm')
    .map(([k, v]) => [oauthEncode(k), oauthEncode(v)]);
  all.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const norm = all.map(([k, v]) => `${k}=${v}`).join('&');
  return [method.toUpperCase(), oauthEncode(baseUri(url)), oauthEncode(norm)].join('&');
}

export function sign(base: string, consumerSecret: string, tokenSecret = ''): string {
  return createHmac('sha1', `${oauthEncode(consumerSecret)}&${oauthEncode(tokenSecret)}`).update(base).digest('base64');
}

export function signatureMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Builds an Authorization header for a request (what a client does; used by tests and tools).
 * `bodyParams` are form-encoded body fields: signed, but not put in the header.
 */
export function authorizationHeader(
  method: string,
  url: string,
  oauth: Record<string, string>,
  consumerSecret: string,
  tokenSecret = '',
  bodyParams: [string, string][] = [],
): string {
  const params = Object.entries(oauth);
  const signature = sign(baseString(method, url, [...params, ...bodyParams]), consumerSecret, tokenSecret);
  const all = [...params, ['oauth_signature', signature]];
  return 'OAuth ' + all.map(([k, v]) => `${oauthEncode(k!)}="${oauthEncode(v!)}"`).join(', ');
}
