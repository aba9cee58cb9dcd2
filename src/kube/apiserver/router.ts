import { findResource, RESOURCES, type ResourceType } from '../resources.js';

/**
 * URL → resource route (reference §2.1):
 * ```
 * /api/v1/<res>                                  cluster-scoped, or all namespaces
 * /api/v1/<res>/<name>[/<sub>]                   cluster-scoped object (namespaces/x/finalize)
 * /api/v1/namespaces/<ns>/<res>[/<name>[/<sub>]]
 * /apis/<group>/<version>/...                    same pattern
 * /api/v1/watch/...                              legacy watch prefix (watch=true implied)
 * ```
 */
export interface ResourceRoute {
  res: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** From the legacy `/watch/` path prefix. */
  watchPrefix: boolean;
}

export type Route =
  | { kind: 'resource'; route: ResourceRoute }
  /** A group-version that exists, with no further path: its APIResourceList. */
  | { kind: 'groupVersion'; group: string; version: string }
  /** `/apis/<group>`. */
  | { kind: 'group'; group: string }
  | { kind: 'unknown' };

const NAME_OK = /^[^/]+$/;

function splitPath(pathname: string): string[] | undefined {
  const parts = pathname.split('/').filter((p) => p !== '');
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

/** `all`: the kinds served (a cluster catalog's list; default the static table). */
export function route(pathname: string, all: readonly ResourceType[] = RESOURCES): Route {
  const parts = splitPath(pathname);
  if (!parts) return { kind: 'unknown' };
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else if (parts[0] === 'apis' && parts.length === 2) {
    return { kind: 'group', group: parts[1]! };
  } else {
    return { kind: 'unknown' };
  }
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  if (!rest.every((p) => NAME_OK.test(p))) return { kind: 'unknown' };
  const found = (name: string | undefined) => (name ? findResource(group, version, name, all) : undefined);
  // namespaces/<ns>/<namespaced resource>/...
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const res = found(rest[2]);
    if (res && res.namespaced && rest.length <= 5) {
      return { kind: 'resource', route: { res, namespace: rest[1], name: rest[3], subresource: rest[4], watchPrefix } };
    }
  }
  const res = found(rest[0]);
  if (!res || rest.length > 3) return { kind: 'unknown' };
  // A namespaced resource without a namespace: only the all-namespaces collection exists.
  if (res.namespaced && rest.length > 1) return { kind: 'unknown' };
  return { kind: 'resource', route: { res, name: rest[1], subresource: rest[2], watchPrefix } };
}
