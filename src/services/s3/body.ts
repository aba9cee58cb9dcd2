import { createHash } from 'node:crypto';
import type { PayloadAuth } from './auth/index.js';
import { ChunkDecoder, decodeAwsChunked } from './auth/chunked.js';
import { ChecksumCheck, checksumAlgorithmOf } from './checksums.js';
import { badDigest, entityTooLarge, invalidArgument, invalidDigest, missingContentLength, sha256Mismatch } from './errors.js';

/** A request body as the object store should receive it. */
export interface UploadBody {
  /** Decoded bytes; verification failures throw at the end, so nothing gets committed. */
  stream: AsyncIterable<Buffer>;
  /** The declared (decoded) length, when the client gave one. */
  length: number | undefined;
  /** Content-MD5 as hex, for the store's etag check. */
  md5Hex: string | undefined;
}

type Headers = Record<string, string | string[] | undefined>;
const one = (h: Headers, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** Content-Encoding with the transport-only `aws-chunked` removed (undefined when nothing is left). */
export function storedContentEncoding(h: Headers): string | undefined {
  const v = one(h, 'content-encoding');
  if (v === undefined) return undefined;
  const rest = v.split(',').map((s) => s.trim()).filter((s) => s && s.toLowerCase() !== 'aws-chunked');
  return rest.length ? rest.join(', ') : undefined;
}

function isChunked(h: Headers, payload: PayloadAuth): boolean {
  return payload.kind === 'chunked' || (one(h, 'content-encoding') ?? '').toLowerCase().split(',').some((s) => s.trim() === 'aws-chunked');
}

function declaredLength(h: Headers, chunked: boolean, max: number): number | undefined {
  const name = chunked ? 'x-amz-decoded-content-length' : 'content-length';
  const v = one(h, name);
  if (v === undefined) {
    if (!chunked && one(h, 'transfer-encoding') !== undefined) return undefined;
    throw missingContentLength();
  }
  if (!/^\d{1,16}$/.test(v.trim())) throw invalidArgument(`Invalid ${name}.`, name, v);
  const n = Number(v.trim());
  if (n > max) throw entityTooLarge(max);
  return n;
}

function md5Of(h: Headers): string | undefined {
  const v = one(h, 'content-md5');
  if (v === undefined) return undefined;
  const b = Buffer.from(v.trim(), 'base64');
  if (b.length !== 16 || b.toString('base64') !== v.trim()) throw invalidDigest();
  return b.toString('hex');
}

/** The checksum the client announced, as a header value or as a trailer to come. */
function checksumOf(h: Headers): { check: ChecksumCheck; header?: string; trailer?: string } | undefined {
  const trailer = one(h, 'x-amz-trailer');
  const named = Object.keys(h).filter((k) => k.startsWith('x-amz-checksum-') && k !== 'x-amz-checksum-algorithm' && k !== 'x-amz-checksum-type');
  if (named.length > 1 || (named.length && trailer)) throw invalidArgument('Expecting a single x-amz-checksum- header. Multiple checksum types are not allowed.');
  if (named[0]) return { check: new ChecksumCheck(checksumAlgorithmOf(named[0])), header: one(h, named[0])! };
  if (trailer) return { check: new ChecksumCheck(checksumAlgorithmOf(trailer.trim())), trailer: trailer.trim().toLowerCase() };
  return undefined;
}

/**
 * The body of a PUT (object or part): aws-chunked decoding and chunk signatures, the payload
 * sha256, and any x-amz-checksum-* are all verified while it streams. Content-MD5 is handed
 * to the store (it computes the md5 anyway).
 */
export function uploadBody(source: AsyncIterable<Buffer>, h: Headers, payload: PayloadAuth, maxSize: number, checksums = true): UploadBody {
  const chunked = isChunked(h, payload);
  const length = declaredLength(h, chunked, maxSize);
  const md5Hex = md5Of(h);
  const checksum = checksums ? checksumOf(h) : undefined;
  const withTrailer = payload.kind === 'chunked' ? payload.trailer : one(h, 'x-amz-trailer') !== undefined;
  const decoder = chunked ? new ChunkDecoder(payload.kind === 'chunked' ? payload.signing : undefined, withTrailer) : undefined;
  const decoded = decoder ? decodeAwsChunked(source, decoder) : source;
  const sha = payload.kind === 'sha256' ? createHash('sha256') : undefined;
  async function* verified(): AsyncGenerator<Buffer> {
    for await (const piece of decoded) {
      sha?.update(piece);
      checksum?.check.update(piece);
      yield piece;
    }
    if (sha && payload.kind === 'sha256' && sha.digest('hex') !== payload.hash) throw sha256Mismatch();
    checksum?.check.verify(checksum.header ?? decoder?.trailers.get(checksum.trailer ?? ''));
  }
  return { stream: verified(), length, md5Hex };
}

/** Reads a small request body (XML documents) up to `limit` bytes. */
export async function readSmallBody(source: AsyncIterable<Buffer>, h: Headers, payload: PayloadAuth, limit: number, checksums = true): Promise<Buffer> {
  const body = uploadBody(source, h, payload, limit, checksums);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body.stream) {
    n += c.length;
    if (n > limit) throw invalidArgument(`The request body is larger than ${limit} bytes.`);
    chunks.push(c);
  }
  const buf = Buffer.concat(chunks);
  if (body.md5Hex && createHash('md5').update(buf).digest('hex') !== body.md5Hex) throw badDigest();
  return buf;
}
