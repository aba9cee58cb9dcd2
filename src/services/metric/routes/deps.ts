import type { MetricLogic } from '../logic/index.js';
import { invalidInput } from '../logic/errors.js';

export interface MetricRouteDeps {
  logic: MetricLogic;
  /** Public URL of this service (…/metric), no trailing slash. */
  base: () => string;
}

export type Q = Record<string, string | string[] | undefined>;

/** One value of a query parameter (the last when repeated). */
export function one(q: Q, k: string): string | undefined {
  const v = q[k];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Every value of a repeated query parameter. */
export function many(q: Q, k: string): string[] {
  const v = q[k];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function bool(q: Q, k: string): boolean {
  const v = one(q, k);
  if (v === undefined) return false;
  if (/^(true|1|yes|on)$/i.test(v)) return true;
  if (/^(false|0|no|off)$/i.test(v)) return false;
  throw invalidInput(`Unable to parse ${k}: ${JSON.stringify(v)} is not a boolean`);
}

export function limitOf(q: Q): number | undefined {
  const v = one(q, 'limit');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw invalidInput(`Invalid limit ${JSON.stringify(v)}: a non-negative integer`);
  return n;
}
