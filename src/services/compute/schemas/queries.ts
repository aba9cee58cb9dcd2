import { badRequest } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import type { ServerQuery } from '../logic/server-queries.js';
import { STATUSES } from '../logic/states.js';
import { refId } from './common.js';

/** Nova's max_limit: a page never holds more than this. */
export const MAX_LIMIT = 1000;

/** A query parameter as one string (the last one wins when repeated). */
export function qp(query: unknown, key: string): string | undefined {
  if (!isObject(query)) return undefined;
  const v = query[key];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return v === undefined ? undefined : String(v);
}

export function limitParam(query: unknown): number | undefined {
  const v = qp(query, 'limit');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw badRequest(`Invalid input for query parameters limit. Value: ${v}. '${v}' does not match '^[0-9]*$'`);
  return Math.min(Number(v), MAX_LIMIT);
}

/** Strict boolean query values; an empty value (`?all_tenants`) is true. */
export function boolParam(query: unknown, key: string): boolean | undefined {
  const v = qp(query, key);
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (['', '1', 'true', 'yes', 'on', 't', 'y'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', 'f', 'n'].includes(s)) return false;
  throw badRequest(`Invalid input for query parameters ${key}. Value: ${v}. Unrecognized value '${v}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`);
}

/** Nova compiles `name` and `ip` as regular expressions; one that does not compile matches literally. */
function regex(v: string): RegExp {
  try {
    return new RegExp(v);
  } catch {
    return new RegExp(v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([zZ]|[+-]\d{2}:?\d{2})?$/;

/** An ISO 8601 time (Nova's changes-since); a zone-less time is UTC. */
export function isoTime(v: string, key: string): number {
  const s = v.trim();
  const t = ISO_8601.test(s) ? Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) || !/[T ]/.test(s) ? s.replace(' ', 'T') : `${s.replace(' ', 'T')}Z`) : NaN;
  if (Number.isNaN(t)) throw badRequest(`Invalid input for query parameters ${key}. Value: ${v}. '${v}' is not a 'date-time'`);
  return t;
}

/** `GET /servers[/detail]` filters at 2.1; unknown filters are ignored, as Nova does for users. */
export function parseServerQuery(query: unknown): ServerQuery & { noMatch: boolean } {
  const q: ServerQuery & { noMatch: boolean } = { allTenants: boolParam(query, 'all_tenants') ?? false, noMatch: false };
  const name = qp(query, 'name');
  if (name !== undefined) q.name = regex(name);
  const status = qp(query, 'status');
  if (status !== undefined) {
    q.status = status.toUpperCase();
    if (!STATUSES.has(q.status)) q.noMatch = true;
  }
  const image = qp(query, 'image');
  if (image !== undefined) q.imageId = refId(image);
  const flavor = qp(query, 'flavor');
  if (flavor !== undefined) q.flavorId = refId(flavor);
  const since = qp(query, 'changes-since');
  if (since !== undefined) q.changesSince = isoTime(since, 'changes-since');
  const ip = qp(query, 'ip') ?? qp(query, 'ip6');
  if (ip !== undefined) q.ip = regex(ip);
  const reservation = qp(query, 'reservation_id');
  if (reservation !== undefined) q.reservationId = reservation;
  const host = qp(query, 'host');
  if (host !== undefined) q.host = host;
  const project = qp(query, 'project_id') ?? qp(query, 'tenant_id');
  if (project !== undefined) q.projectId = project;
  const limit = limitParam(query);
  if (limit !== undefined) q.limit = limit;
  const marker = qp(query, 'marker');
  if (marker !== undefined) q.marker = marker;
  return q;
}

/** The `*_links` next link: the same query with the marker moved to `last`. */
export function nextLink(url: string, query: unknown, limit: number, last: string): { rel: string; href: string }[] {
  const params = new URLSearchParams();
  if (isObject(query)) {
    for (const [k, v] of Object.entries(query)) {
      if (k === 'marker' || k === 'limit') continue;
      for (const x of Array.isArray(v) ? v : [v]) params.append(k, String(x));
    }
  }
  params.set('limit', String(limit));
  params.set('marker', last);
  return [{ rel: 'next', href: `${url}?${params.toString()}` }];
}
