import type { StorageContext } from './context.js';
import { BLOB_NAMESPACE, KIND, type ObjectRecord } from './models.js';

/**
 * Start-up repair: removes blobs under the object namespace that no object record points to.
 * They are left by a crash between writing a blob and committing its record, or between
 * committing a replacement and deleting the replaced blob. It may run while requests are
 * served: blobs this process writes meanwhile are tracked and left alone, so an upload in
 * flight (a blob, no record yet) is safe.
 */
// NOTE: with several hosts sharing the store this must also skip blobs other hosts are
// writing; today one process owns the data dir (stratus up refuses a second one).
export function removeOrphanBlobs(ctx: StorageContext): Promise<number> {
  return ctx.guardNewBlobs(async (fresh) => {
    const referenced = new Set<string>();
    for (const r of await ctx.store.find<ObjectRecord>(KIND.object)) if (r.data.blobKey) referenced.add(r.data.blobKey);
    let removed = 0;
    for await (const key of ctx.blobs.keys(BLOB_NAMESPACE)) {
      if (referenced.has(key) || fresh.has(key)) continue;
      await ctx.dropBlob(key);
      removed++;
    }
    return removed;
  });
}
