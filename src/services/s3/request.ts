import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { ObjectLocation, ObjectStorage } from '../object-store/logic/index.js';
import type { PayloadAuth } from './auth/index.js';
import type { Principal, S3Credentials } from './credentials.js';
import { invalidUri } from './errors.js';
import type { Uploads } from './logic/uploads.js';

export interface S3Config {
  /** Region reported by GetBucketLocation and x-amz-bucket-region. */
  region: string;
  /** Smallest part but the last of a multipart upload (S3: 5 MiB). */
  minPartSize: number;
}

/** What every handler can reach. */
export interface S3Deps {
  storage: ObjectStorage;
  uploads: Uploads;
  credentials: S3Credentials;
  clock: Clock;
  log: Logger;
  config: S3Config;
  /** The service's public URL, e.g. http://127.0.0.1:5000/s3. */
  publicUrl: () => string;
}

/** A request path after the service prefix: `/<bucket>/<key…>`, both percent-decoded. */
export interface S3Target {
  bucket: string;
  key: string;
  /** `/<bucket>/<key>` as sent, for error Resource elements. */
  resource: string;
  /** The whole path as sent (service prefix included), which SigV4 signs. */
  rawPath: string;
}

/** Everything a handler gets: validate, authorize (done), call logic, render, reply. */
export interface S3Call {
  req: FastifyRequest;
  reply: FastifyReply;
  deps: S3Deps;
  target: S3Target;
  /** Decoded query parameters; the last value wins. */
  query: Map<string, string>;
  principal: Principal;
  payload: PayloadAuth;
}

export type Handler = (c: S3Call) => Promise<unknown>;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidUri();
  }
}

/** Splits the request URL; object keys keep every slash exactly as sent. */
export function parseTarget(url: string, prefix: string): S3Target {
  const qi = url.indexOf('?');
  const rawPath = qi < 0 ? url : url.slice(0, qi);
  const rest = rawPath.slice(prefix.length);
  const m = /^\/?([^/]*)(?:\/([\s\S]*))?$/.exec(rest);
  if (!m) throw invalidUri();
  const bucket = decode(m[1] ?? '');
  const key = m[2] === undefined ? '' : decode(m[2]);
  if (!bucket && key) throw invalidUri();
  return { bucket, key, resource: decode(rest) || '/', rawPath };
}

/** Query pairs in order, decoded (`+` is a space, as in forms). */
export function parseQuery(url: string): [string, string][] {
  const qi = url.indexOf('?');
  if (qi < 0) return [];
  const out: [string, string][] = [];
  for (const part of url.slice(qi + 1).split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    out.push([decode(k.replace(/\+/g, ' ')), decode(v.replace(/\+/g, ' '))]);
  }
  return out;
}

/** One request header as a string (repeats joined with commas). */
export function header(c: S3Call, name: string): string | undefined {
  const v = c.req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Header values are bytes; clients send UTF-8, Node hands it over as latin1. */
export function fromWire(v: string): string {
  if (!/[\x80-\xff]/.test(v)) return v;
  const s = Buffer.from(v, 'latin1').toString('utf8');
  return s.includes('\ufffd') ? v : s;
}

/** A header value for any string: UTF-8 bytes as latin1, control characters dropped. */
export function toWire(v: string): string {
  return Buffer.from(v.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ''), 'utf8').toString('latin1');
}

export const locationOf = (c: S3Call, key = c.target.key, bucket = c.target.bucket): ObjectLocation => ({
  account: c.principal.account,
  container: bucket,
  name: key,
});

/** Access checks the object-store logic asks for: S3 buckets all belong to the caller's project. */
export const allowAll = async (): Promise<void> => {};
