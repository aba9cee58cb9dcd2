import { badRequest, forbidden } from '../../../core/errors.js';
import { QUOTA_META } from '../logic/index.js';
import { accountAccess } from '../policy.js';
import { header, type SwiftCall } from './request.js';

/**
 * account_quotas on an account PUT/POST: only a reseller admin may set or remove
 * X-Account-Meta-Quota-Bytes (403 for anyone else, whatever the value); the value must be a
 * non-negative integer, or empty to remove it.
 */
export function checkAccountQuotaHeaders(c: SwiftCall): void {
  const set = header(c.req, `x-account-meta-${QUOTA_META.bytes}`);
  const remove = header(c.req, `x-remove-account-meta-${QUOTA_META.bytes}`);
  if (set === undefined && remove === undefined) return;
  if (accountAccess(c.caller.auth, c.path.account) !== 'admin') {
    throw forbidden('Only a reseller admin may set or remove X-Account-Meta-Quota-Bytes.');
  }
  if (set !== undefined && set.trim() !== '' && !/^\d+$/.test(set.trim())) {
    throw badRequest('Invalid X-Account-Meta-Quota-Bytes: give a non-negative integer (bytes), or an empty value to remove it.');
  }
}

/** container_quotas on a container PUT/POST: quota values must be non-negative integers (or empty). */
export function checkContainerQuotaHeaders(c: SwiftCall): void {
  for (const [what, name] of [['bytes', QUOTA_META.bytes], ['count', QUOTA_META.count]] as const) {
    const v = header(c.req, `x-container-meta-${name}`);
    if (v !== undefined && v.trim() !== '' && !/^\d+$/.test(v.trim())) {
      throw badRequest(`Invalid ${what} quota: X-Container-Meta-Quota-${what === 'bytes' ? 'Bytes' : 'Count'} must be a non-negative integer.`);
    }
  }
}
