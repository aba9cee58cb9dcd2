import type { S3Credentials } from '../credentials.js';
import { accessDenied, authHeaderMalformed, invalidArgument, invalidRequest, requestTimeTooSkewed } from '../errors.js';
import { headerOf, verifySignature, type PayloadAuth, type SignedRequest, type Verified } from './request.js';
import { ALGORITHM, formatAmzDate, parseAmzDate, parseCredential, scopeString, UNSIGNED_PAYLOAD, type Scope } from './sigv4.js';

/** Largest difference between a signed request's time and ours (S3's 15 minutes). */
export const MAX_SKEW_MS = 15 * 60 * 1000;

const STREAMING: Record<string, { trailer: boolean; signed: boolean }> = {
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD': { trailer: false, signed: true },
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER': { trailer: true, signed: true },
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER': { trailer: true, signed: false },
};

interface AuthFields {
  scope: Scope;
  signedHeaders: string[];
  signature: string;
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export function parseAuthorization(value: string): AuthFields {
  const rest = value.slice(ALGORITHM.length).trim();
  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) fields.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  const credential = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signed || !signature) throw authHeaderMalformed('it needs Credential, SignedHeaders and Signature.');
  const scope = parseCredential(credential);
  if (!scope) throw authHeaderMalformed(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  if (scope.service !== 's3') throw authHeaderMalformed(`incorrect service "${scope.service.slice(0, 32)}". This endpoint belongs to "s3".`);
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) throw authHeaderMalformed('the Signature is not 64 hex digits.');
  const signedHeaders = signed.split(';').map((h) => h.trim().toLowerCase());
  if (signedHeaders.some((h) => !h)) throw authHeaderMalformed('SignedHeaders has an empty name.');
  return { scope, signedHeaders, signature };
}

/** The request time as an x-amz-date string, from X-Amz-Date or else Date. */
function requestTime(r: SignedRequest): { amzDate: string; ms: number } {
  const amz = headerOf(r, 'x-amz-date');
  if (amz !== undefined) {
    const ms = parseAmzDate(amz);
    if (ms === undefined) throw accessDenied('AWS authentication requires a valid Date or x-amz-date header');
    return { amzDate: amz, ms };
  }
  const date = headerOf(r, 'date');
  const ms = date ? Date.parse(date) : NaN;
  if (!Number.isFinite(ms)) throw accessDenied('AWS authentication requires a valid Date or x-amz-date header');
  return { amzDate: formatAmzDate(ms), ms };
}

/** What x-amz-content-sha256 says about the body. */
export function payloadOf(v: string | undefined): { hash: string; payload: PayloadAuth; signedChunks: boolean } {
  if (v === undefined) throw invalidRequest('Missing required header for this request: x-amz-content-sha256');
  if (v === UNSIGNED_PAYLOAD) return { hash: v, payload: { kind: 'unsigned' }, signedChunks: false };
  const s = STREAMING[v];
  if (s) return { hash: v, payload: { kind: 'chunked', trailer: s.trailer }, signedChunks: s.signed };
  if (/^[0-9a-fA-F]{64}$/.test(v)) return { hash: v, payload: { kind: 'sha256', hash: v.toLowerCase() }, signedChunks: false };
  throw invalidArgument('x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-*, or a valid sha256 value.', 'x-amz-content-sha256', v);
}

/** Every x-amz-* header the client sent must be signed (S3's HeadersNotSigned rule). */
function checkAllAmzSigned(r: SignedRequest, signed: string[]): void {
  const unsigned = Object.keys(r.headers).filter((h) => h.startsWith('x-amz-') && !signed.includes(h));
  if (unsigned.length) throw accessDenied(`There were headers present in the request which were not signed: ${unsigned.join(', ').slice(0, 200)}`);
}

/** Authenticates a request signed in its Authorization header. */
export async function authenticateHeader(r: SignedRequest, creds: S3Credentials, now: number): Promise<{ verified: Verified; payload: PayloadAuth }> {
  const f = parseAuthorization(headerOf(r, 'authorization') ?? '');
  const t = requestTime(r);
  if (f.scope.date !== t.amzDate.slice(0, 8)) throw authHeaderMalformed(`the credential date "${f.scope.date}" does not match the request date "${t.amzDate.slice(0, 8)}".`);
  if (Math.abs(now - t.ms) > MAX_SKEW_MS) throw requestTimeTooSkewed();
  if (!f.signedHeaders.includes('host')) throw accessDenied('The host header must be signed.');
  const p = payloadOf(headerOf(r, 'x-amz-content-sha256'));
  checkAllAmzSigned(r, f.signedHeaders);
  const verified = await verifySignature(
    creds,
    f.scope,
    t.amzDate,
    { method: r.method, rawPath: r.rawPath, query: r.query, rawHeaders: r.rawHeaders, signedHeaders: f.signedHeaders, payloadHash: p.hash },
    f.signature,
  );
  let payload = p.payload;
  if (payload.kind === 'chunked' && p.signedChunks) {
    payload = { ...payload, signing: { key: verified.key, amzDate: t.amzDate, scope: scopeString(f.scope), seed: verified.signature } };
  }
  return { verified, payload };
}
