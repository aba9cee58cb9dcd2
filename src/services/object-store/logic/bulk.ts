import { StratusError } from '../../../core/errors.js';
import type { Containers } from './containers.js';
import type { ObjectLocation } from './models.js';
import type { Objects } from './objects.js';

/**
 * Checks that the caller may delete in a container (`what: 'object'`) or delete the container
 * itself; throws the API's 401/403 otherwise.
 */
export type WriteCheck = (account: string, container: string, what: 'container' | 'object') => Promise<void>;

/** What a multi-delete did; 404s count as "not found", not as errors. */
export interface BulkResult {
  deleted: number;
  notFound: number;
  errors: { path: string; error: StratusError }[];
}

export const BULK_LIMITS = { maxDeletesPerRequest: 10_000, maxFailedDeletes: 1_000 } as const;

/** A container (name undefined) or an object to delete, with the path to report it under. */
export interface DeleteTarget {
  path: string;
  container: string;
  name?: string;
}

/**
 * Deletes objects and (empty) containers one by one, as Swift's bulk delete does: objects
 * first in the given order, so a container listed after its objects is empty by then.
 */
export async function deleteMany(
  deps: { objects: Objects; containers: Containers },
  account: string,
  targets: DeleteTarget[],
  check: WriteCheck,
): Promise<BulkResult> {
  const res: BulkResult = { deleted: 0, notFound: 0, errors: [] };
  for (const t of targets) {
    if (res.errors.length >= BULK_LIMITS.maxFailedDeletes) break;
    try {
      await check(account, t.container, t.name === undefined ? 'container' : 'object');
      if (t.name === undefined) await deps.containers.delete(account, t.container);
      else await deps.objects.delete({ account, container: t.container, name: t.name } satisfies ObjectLocation);
      res.deleted++;
    } catch (e) {
      if (e instanceof StratusError && e.kind === 'NotFound') res.notFound++;
      else if (e instanceof StratusError) res.errors.push({ path: t.path, error: e });
      else throw e;
    }
  }
  return res;
}
