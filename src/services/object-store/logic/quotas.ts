import { StratusError } from '../../../core/errors.js';
import type { Accounts } from './accounts.js';
import type { Containers } from './containers.js';
import type { Meta, ObjectLocation } from './models.js';

/**
 * Swift's account_quotas and container_quotas, as limits kept in metadata:
 * - account `Quota-Bytes` (X-Account-Meta-Quota-Bytes, set only by a reseller admin);
 * - container `Quota-Bytes` and `Quota-Count` (X-Container-Meta-Quota-*, set by the owner).
 * A write that would take the account or container past a limit is refused with 413.
 */
export const QUOTA_META = { bytes: 'quota-bytes', count: 'quota-count' } as const;

export const quotaExceeded = () => new StratusError('PayloadTooLarge', 'Upload exceeds quota.', 'QuotaExceeded');

/** A quota value from metadata: a non-negative integer, or undefined when unset or malformed. */
export function quotaOf(meta: Meta, name: string): number | undefined {
  const v = meta[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** A write about to happen: its size (declared, or 0 for a chunked body) and what it replaces. */
export interface QuotaWrite {
  /** Bytes the write declares; 0 when unknown (a chunked body is then capped by `remaining`). */
  size: number;
  /** Size of the object it overwrites, if any (an overwrite is not a new object). */
  replacedSize?: number | undefined;
}

/**
 * Checks a write against the quotas of its container and account. Throws QuotaExceeded when
 * the declared size or the object count would pass a limit; otherwise returns how many bytes
 * the body may still have (undefined: unlimited), so a chunked body can be cut off there.
 *
 * NOTE: Swift checks against the counters before the write and counts an overwrite as a new
 * object of full size; here an overwrite is charged only its growth. Concurrent writes may
 * together pass a limit (as in Swift, whose counters are eventually consistent).
 */
export async function checkQuotas(accounts: Accounts, containers: Containers, loc: ObjectLocation, w: QuotaWrite): Promise<number | undefined> {
  const container = await containers.get(loc.account, loc.container);
  const account = await accounts.find(loc.account);
  const replaced = w.replacedSize;
  const limits: number[] = [];

  const countQuota = quotaOf(container.meta, QUOTA_META.count);
  if (countQuota !== undefined && replaced === undefined && container.objectCount + 1 > countQuota) throw quotaExceeded();

  const containerBytes = quotaOf(container.meta, QUOTA_META.bytes);
  if (containerBytes !== undefined) limits.push(containerBytes - container.bytesUsed + (replaced ?? 0));

  const accountBytes = account ? quotaOf(account.meta, QUOTA_META.bytes) : undefined;
  if (accountBytes !== undefined) {
    const used = (await accounts.info(loc.account)).bytesUsed;
    limits.push(accountBytes - used + (replaced ?? 0));
  }
  if (limits.length === 0) return undefined;
  const remaining = Math.min(...limits);
  if (w.size > remaining) throw quotaExceeded();
  return Math.max(0, remaining);
}
