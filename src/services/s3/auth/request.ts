import type { S3Credentials, S3Secret } from '../credentials.js';
import { invalidAccessKeyId, signatureDoesNotMatch } from '../errors.js';
import {
  canonicalRequest,
  sameSignature,
  signHex,
  signingKey,
  stringToSign,
  uriEncode,
  type CanonicalInput,
  type Scope,
} from './sigv4.js';

/** The parts of an HTTP request that SigV4 covers. */
export interface SignedRequest {
  method: string;
  /** Path as sent (percent-encoded), service prefix included. */
  rawPath: string;
  /** Query pairs, decoded, in the order sent. */
  query: [string, string][];
  rawHeaders: string[];
  headers: Record<string, string | string[] | undefined>;
}

/** How the body of a request is authenticated (from x-amz-content-sha256). */
export type PayloadAuth =
  | { kind: 'unsigned' }
  | { kind: 'sha256'; hash: string }
  | { kind: 'chunked'; trailer: boolean; signing?: ChunkSigning };

/** What verifying aws-chunked signatures needs: the request's key, time, scope and signature. */
export interface ChunkSigning {
  key: Buffer;
  amzDate: string;
  scope: string;
  seed: string;
}

export interface Verified {
  owner: S3Secret;
  scope: Scope;
  key: Buffer;
  signature: string;
}

/** One header as a single string ('' joins repeats with commas). */
export function headerOf(r: SignedRequest, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * The canonical path candidates: as sent, and re-encoded from its decoded form. Clients sign
 * the path they send, but a proxy or an odd client may re-encode a character either way.
 */
function pathCandidates(rawPath: string): string[] {
  let normalized: string;
  try {
    normalized = uriEncode(decodeURIComponent(rawPath), true);
  } catch {
    return [rawPath];
  }
  return normalized === rawPath ? [rawPath] : [rawPath, normalized];
}

/**
 * Looks the access key up and checks the signature over the canonical request; throws
 * InvalidAccessKeyId or SignatureDoesNotMatch (with S3's diagnostic fields).
 */
export async function verifySignature(
  creds: S3Credentials,
  scope: Scope,
  amzDate: string,
  input: Omit<CanonicalInput, 'path'> & { rawPath: string },
  provided: string,
): Promise<Verified> {
  const owner = await creds.lookup(scope.accessKey);
  if (!owner) throw invalidAccessKeyId();
  const key = signingKey(owner.secret, scope);
  let first: { sts: string; canonical: string } | undefined;
  for (const path of pathCandidates(input.rawPath)) {
    const canonical = canonicalRequest({ ...input, path });
    const sts = stringToSign(amzDate, scope, canonical);
    if (sameSignature(signHex(key, sts), provided.toLowerCase())) return { owner, scope, key, signature: provided.toLowerCase() };
    first ??= { sts, canonical };
  }
  throw signatureDoesNotMatch({
    AWSAccessKeyId: scope.accessKey,
    StringToSign: first!.sts,
    SignatureProvided: provided.slice(0, 128),
    CanonicalRequest: first!.canonical,
  });
}
