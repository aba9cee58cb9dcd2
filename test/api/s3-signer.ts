import { createHash, createHmac } from 'node:crypto';
import type { Ec2Key } from './s3-support.js';

/**
 * A small SigV4 signer written for the tests, independent of the server's code, for requests
 * the SDK will not make: hand-built aws-chunked bodies, wrong payload hashes, odd headers,
 * skewed clocks. Follows the AWS documentation step by step.
 */

const sha256 = (d: string | Buffer) => createHash('sha256').update(d).digest('hex');
const hmac = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export const amzDate = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

export function keyFor(secret: string, date: string, region: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
}

export interface SignInput {
  method: string;
  /** Full URL; its path must already be encoded as it will be sent. */
  url: string;
  key: Ec2Key;
  headers?: Record<string, string>;
  /** The x-amz-content-sha256 value (default: sha256 of an empty body). */
  payloadHash?: string;
  region?: string;
  now?: Date;
}

function canonicalQuery(u: URL): string {
  return [...u.searchParams.entries()]
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .sort()
    .join('&');
}

export interface Signed {
  headers: Record<string, string>;
  signature: string;
  scope: string;
  date: string;
  signingKey: Buffer;
}

/** Signs with the Authorization header; returns the headers to send. */
export function sign(i: SignInput): Signed {
  const u = new URL(i.url);
  const now = i.now ?? new Date();
  const date = amzDate(now);
  const region = i.region ?? 'RegionOne';
  const headers: Record<string, string> = {
    ...i.headers,
    host: u.host,
    'x-amz-date': date,
    'x-amz-content-sha256': i.payloadHash ?? sha256(''),
  };
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonical = [
    i.method,
    u.pathname,
    canonicalQuery(u),
    names.map((n) => `${n}:${String(lower[n]).trim()}\n`).join(''),
    names.join(';'),
    lower['x-amz-content-sha256'],
  ].join('\n');
  const scope = `${date.slice(0, 8)}/${region}/s3/aws4_request`;
  const sts = ['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\n');
  const signingKey = keyFor(i.key.secret, date.slice(0, 8), region);
  const signature = createHmac('sha256', signingKey).update(sts).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${i.key.access}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  delete headers.host;
  return { headers, signature, scope, date, signingKey };
}

/** A presigned URL (query-string auth), valid for `expires` seconds from `now`. */
export function presign(i: { method: string; url: string; key: Ec2Key; expires: number; now?: Date }): string {
  const u = new URL(i.url);
  const date = amzDate(i.now ?? new Date());
  const scope = `${date.slice(0, 8)}/RegionOne/s3/aws4_request`;
  u.searchParams.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA256');
  u.searchParams.set('X-Amz-Credential', `${i.key.access}/${scope}`);
  u.searchParams.set('X-Amz-Date', date);
  u.searchParams.set('X-Amz-Expires', String(i.expires));
  u.searchParams.set('X-Amz-SignedHeaders', 'host');
  const canonical = [i.method, u.pathname, canonicalQuery(u), `host:${u.host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const sts = ['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\n');
  const sig = createHmac('sha256', keyFor(i.key.secret, date.slice(0, 8), 'RegionOne')).update(sts).digest('hex');
  u.searchParams.set('X-Amz-Signature', sig);
  return u.toString();
}

/**
 * An aws-chunked body signed chunk by chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), seeded by the
 * request's signature. `corrupt` flips a byte of that chunk's data after signing.
 */
export function signedChunks(data: Buffer, chunkSize: number, s: Signed, corrupt?: number): Uint8Array<ArrayBuffer> {
  const out: Buffer[] = [];
  let prev = s.signature;
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) pieces.push(data.subarray(i, i + chunkSize));
  pieces.push(Buffer.alloc(0));
  pieces.forEach((piece, n) => {
    const sts = ['AWS4-HMAC-SHA256-PAYLOAD', s.date, s.scope, prev, sha256(''), sha256(piece)].join('\n');
    prev = createHmac('sha256', s.signingKey).update(sts).digest('hex');
    const body = Buffer.from(piece);
    if (n === corrupt && body.length) body[0] = body[0]! ^ 0xff;
    out.push(Buffer.from(`${piece.length.toString(16)};chunk-signature=${prev}\r\n`), body, Buffer.from('\r\n'));
  });
  return new Uint8Array(Buffer.concat(out));
}

/** An unsigned aws-chunked body with a trailing checksum header. */
export function unsignedTrailerChunks(data: Buffer, chunkSize: number, trailer: string): Uint8Array<ArrayBuffer> {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) {
    const piece = data.subarray(i, i + chunkSize);
    out.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`0\r\n${trailer}\r\n\r\n`));
  return new Uint8Array(Buffer.concat(out));
}

export const sha256Hex = sha256;
