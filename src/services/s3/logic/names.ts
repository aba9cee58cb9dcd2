import { MAX_OBJECT_NAME } from '../../object-store/logic/index.js';
import { invalidBucketName, keyTooLong } from '../errors.js';

/**
 * Bucket naming. New buckets follow S3's rules; existing containers (made through Swift) keep
 * whatever name Swift allowed, so only CreateBucket checks them.
 */

/** Suffix of the hidden container that holds a bucket's multipart parts (as Swift's s3api does). */
export const SEGMENTS_SUFFIX = '+segments';

export const segmentsContainer = (bucket: string) => `${bucket}${SEGMENTS_SUFFIX}`;

/** True for the containers that S3 lists as buckets. */
export const isBucketName = (container: string) => !container.endsWith(SEGMENTS_SUFFIX);

/**
 * S3's rules: 3–63 characters of lower-case letters, digits, dots and hyphens, starting and
 * ending with a letter or digit, no `..`, and not shaped like an IP address.
 */
export function checkNewBucketName(name: string): void {
  const ok =
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--');
  if (!ok) throw invalidBucketName(name);
}

/** A name that can address an existing container: no `/`, not a segments container. */
export function checkBucketRef(name: string): void {
  if (!name || name.length > 256 || name.includes('\0') || !isBucketName(name)) throw invalidBucketName(name);
}

/** Keys: 1–1024 UTF-8 bytes. */
export function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_OBJECT_NAME) throw keyTooLong();
}
