import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4, the parts shared by header auth, presigned URLs and aws-chunked
 * bodies. Pure functions over strings; see
 * docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html.
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** The credential scope: `<date>/<region>/<service>/aws4_request`. */
export interface Scope {
  accessKey: string;
  date: string;
  region: string;
  service: string;
}

export const scopeString = (s: Scope) => `${s.date}/${s.region}/${s.service}/aws4_request`;

/** Parses `AKID/20240101/RegionOne/s3/aws4_request`; undefined when it is not that shape. */
export function parseCredential(v: string): Scope | undefined {
  const parts = v.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return undefined;
  const [accessKey, date, region, service] = parts as [string, string, string, string];
  if (!accessKey || !/^\d{8}$/.test(date) || !region || !service) return undefined;
  return { accessKey, date, region, service };
}

/** The key that signs every string of one scope (date, region, service). */
export function signingKey(secret: string, s: Scope): Buffer {
  const kDate = hmac(`AWS4${secret}`, s.date);
  return hmac(hmac(hmac(kDate, s.region), s.service), 'aws4_request');
}

export const signHex = (key: Buffer, stringToSign: string) => createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');

/** Constant-time comparison of two hex signatures. */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** RFC 3986 percent-encoding of everything but unreserved characters (and `/` if asked). */
export function uriEncode(s: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Query pairs (decoded) in canonical form: encoded, sorted by name then value. */
export function canonicalQuery(pairs: readonly (readonly [string, string])[]): string {
  return pairs
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Node hands header bytes over as latin1; clients sign the UTF-8 text those bytes spell. */
function utf8Text(v: string): string {
  if (!/[\x80-\xff]/.test(v)) return v;
  const s = Buffer.from(v, 'latin1').toString('utf8');
  return s.includes('\ufffd') ? v : s;
}

/**
 * Canonical header lines for the signed names, from Node's raw header list: every value of a
 * name, trimmed, inner runs of spaces collapsed, joined with commas.
 */
export function canonicalHeaders(rawHeaders: readonly string[], signed: readonly string[]): string {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const list = values.get(name) ?? [];
    list.push(utf8Text(rawHeaders[i + 1]!).trim().replace(/ +/g, ' '));
    values.set(name, list);
  }
  return signed.map((n) => `${n}:${(values.get(n) ?? []).join(',')}\n`).join('');
}

export interface CanonicalInput {
  method: string;
  /** The path exactly as the client signed it (already percent-encoded). */
  path: string;
  query: readonly (readonly [string, string])[];
  rawHeaders: readonly string[];
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function canonicalRequest(c: CanonicalInput): string {
  return [
    c.method,
    c.path,
    canonicalQuery(c.query),
    canonicalHeaders(c.rawHeaders, c.signedHeaders),
    c.signedHeaders.join(';'),
    c.payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: Scope, canonical: string): string {
  return [ALGORITHM, amzDate, scopeString(scope), sha256Hex(canonical)].join('\n');
}

/** `20240102T030405Z` as epoch ms, or undefined. */
export function parseAmzDate(v: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  return Number.isFinite(t) && new Date(t).getUTCDate() === d ? t : undefined;
}

/** Epoch ms as `20240102T030405Z`. */
export const formatAmzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
