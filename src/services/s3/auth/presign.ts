import type { S3Credentials } from '../credentials.js';
import { accessDenied, authQueryError } from '../errors.js';
import { verifySignature, type PayloadAuth, type SignedRequest, type Verified } from './request.js';
import { ALGORITHM, parseAmzDate, parseCredential, UNSIGNED_PAYLOAD } from './sigv4.js';
import { MAX_SKEW_MS } from './header.js';

/** Longest validity of a presigned URL: one week, as S3 allows. */
export const MAX_EXPIRES_S = 604_800;

const REQUIRED = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'];

/** True when the query carries SigV4 query-string authentication. */
export const isPresigned = (r: SignedRequest) => r.query.some(([k]) => k === 'X-Amz-Algorithm' || k === 'X-Amz-Signature' || k === 'X-Amz-Credential');

function params(r: SignedRequest): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of r.query) if (k.startsWith('X-Amz-')) m.set(k, v);
  return m;
}

/** Validity window checks: not expired, not dated in the future. */
function checkTime(amzDate: string, expires: string, now: number): void {
  const at = parseAmzDate(amzDate);
  if (at === undefined) throw authQueryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (!/^\d{1,7}$/.test(expires)) throw authQueryError('X-Amz-Expires should be a number');
  const secs = Number(expires);
  if (secs > MAX_EXPIRES_S) throw authQueryError(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_EXPIRES_S}`);
  if (at - MAX_SKEW_MS > now) throw accessDenied('Request is not valid yet');
  if (now > at + secs * 1000) throw accessDenied('Request has expired');
}

/**
 * Authenticates a presigned URL (`X-Amz-*` query parameters). The body is unsigned unless the
 * URL carries X-Amz-Content-Sha256.
 */
export async function authenticateQuery(r: SignedRequest, creds: S3Credentials, now: number): Promise<{ verified: Verified; payload: PayloadAuth }> {
  const p = params(r);
  if (REQUIRED.some((k) => !p.get(k))) {
    throw authQueryError(`Query-string authentication version 4 requires the ${REQUIRED.join(', ')} parameters.`);
  }
  if (p.get('X-Amz-Algorithm') !== ALGORITHM) throw authQueryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const scope = parseCredential(p.get('X-Amz-Credential')!);
  if (!scope) throw authQueryError('Error parsing the X-Amz-Credential parameter; the Credential is mal-formed.');
  if (scope.service !== 's3') throw authQueryError(`Error parsing the X-Amz-Credential parameter; incorrect service "${scope.service.slice(0, 32)}". This endpoint belongs to "s3".`);
  const amzDate = p.get('X-Amz-Date')!;
  if (scope.date !== amzDate.slice(0, 8)) throw authQueryError('Error parsing the X-Amz-Credential parameter; the date does not match X-Amz-Date.');
  checkTime(amzDate, p.get('X-Amz-Expires')!, now);
  const signedHeaders = p.get('X-Amz-SignedHeaders')!.split(';').map((h) => h.trim().toLowerCase());
  if (!signedHeaders.includes('host')) throw accessDenied('The host header must be signed.');
  const hash = p.get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD;
  const query = r.query.filter(([k]) => k !== 'X-Amz-Signature');
  const verified = await verifySignature(
    creds,
    scope,
    amzDate,
    { method: r.method, rawPath: r.rawPath, query, rawHeaders: r.rawHeaders, signedHeaders, payloadHash: hash },
    p.get('X-Amz-Signature')!,
  );
  const payload: PayloadAuth = /^[0-9a-fA-F]{64}$/.test(hash) ? { kind: 'sha256', hash: hash.toLowerCase() } : { kind: 'unsigned' };
  return { verified, payload };
}
