import { invalidName } from './errors.js';

export const MAX_CONTAINER_NAME = 256;
export const MAX_OBJECT_NAME = 1024;
export const MAX_ACCOUNT_NAME = 256;
/** Accounts are `AUTH_<project id>`, as keystoneauth's default reseller prefix makes them. */
export const ACCOUNT_PREFIX = 'AUTH_';

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

/** The project that owns an account, or undefined when the name is not an account name. */
export function projectOfAccount(account: string): string | undefined {
  if (!account.startsWith(ACCOUNT_PREFIX) || account.length === ACCOUNT_PREFIX.length) return undefined;
  if (utf8Length(account) > MAX_ACCOUNT_NAME || account.includes('/')) return undefined;
  return account.slice(ACCOUNT_PREFIX.length);
}

export const accountOfProject = (projectId: string) => `${ACCOUNT_PREFIX}${projectId}`;

/** Container names: 1–256 UTF-8 bytes, no '/', no NUL. */
export function checkContainerName(name: string): string {
  if (name.length === 0) throw invalidName('Container name is required.');
  if (name.includes('/')) throw invalidName('Container name may not contain "/".');
  if (name.includes('\0')) throw invalidName('Container name may not contain NUL.');
  const n = utf8Length(name);
  if (n > MAX_CONTAINER_NAME) throw invalidName(`Container name length of ${n} longer than ${MAX_CONTAINER_NAME}.`);
  return name;
}

/** Object names: 1–1024 UTF-8 bytes, kept exactly (slashes included), no NUL. */
export function checkObjectName(name: string): string {
  if (name.length === 0) throw invalidName('Object name is required.');
  if (name.includes('\0')) throw invalidName('Object name may not contain NUL.');
  const n = utf8Length(name);
  if (n > MAX_OBJECT_NAME) throw invalidName(`Object name length of ${n} longer than ${MAX_OBJECT_NAME}.`);
  return name;
}

/**
 * Orders names as Swift does: by UTF-8 bytes, which is code point order. (JavaScript's `<`
 * compares UTF-16 units and puts astral characters before U+E000–U+FFFF.)
 */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs === ys) return x - y;
    return xs ? 1 : -1;
  }
  return a.length - b.length;
}
