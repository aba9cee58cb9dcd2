import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/**
 * Names of everything one cloud creates on the host. Every namespace starts with the cloud's
 * prefix, `stx-<8 hex of the data dir's absolute path>`, so `down` and the next `up` find all of
 * it (and two clouds on one host never collide). The underlay namespace is the prefix itself.
 */
export function cloudPrefix(dataDir: string): string {
  return `stx-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 8)}`;
}

/** Kinds of namespaces below the underlay: router, dhcp/metadata (service), instance, test. */
export type NsKind = 'r' | 'd' | 'i' | 't';

/** A namespace below the underlay, e.g. `stx-1a2b3c4d-r-<router id>`. */
export function nsName(prefix: string, kind: NsKind, id: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`not a usable namespace id: ${JSON.stringify(id)}`);
  return `${prefix}-${kind}-${id}`;
}

/** True when `ns` is the underlay of `prefix` or one of its namespaces. */
export function ownsNamespace(prefix: string, ns: string): boolean {
  return ns === prefix || ns.startsWith(`${prefix}-`);
}

/** A device name of at most 15 characters: a short tag and the first characters of an id. */
export function devName(tag: string, id: string): string {
  return `${tag}${id.slice(0, 15 - tag.length)}`;
}
