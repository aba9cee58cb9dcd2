import type { ImageContext, Repo } from './context.js';
import { BLOB_NAMESPACE } from './data.js';
import type { Image } from './models.js';

export interface RecoveryReport {
  /** Blobs no image pointed to (uploads cut short by a crash, deletes that failed). */
  orphans: number;
  /** Images put back to queued or uploading because their upload never finished. */
  reset: number;
  /** Imports that were accepted before a restart and are now completed. */
  imported: number;
}

/**
 * Start-up reconciliation of image records with the blob store (run before serving):
 * - a record caught in `saving` (upload in flight at the crash) goes back to `queued`;
 * - `uploading` whose staged blob is missing goes back to `queued`;
 * - `importing` completes (its staged blob is already durable);
 * - every blob under `image/` that no record points to is deleted.
 */
export async function recoverImages(ctx: ImageContext, repo: Repo<Image>, finishImport: (id: string) => Promise<void>): Promise<RecoveryReport> {
  const report: RecoveryReport = { orphans: 0, reset: 0, imported: 0 };
  const present = new Set<string>();
  for await (const key of ctx.blobs.keys(BLOB_NAMESPACE)) present.add(key);

  for (const img of await repo.list()) {
    if (img.status === 'importing' && img.staged && present.has(img.staged.key)) {
      await finishImport(img.id);
      report.imported++;
      continue;
    }
    const next = resetOf(img, present);
    if (next) {
      await repo.update({ ...next, updatedAt: ctx.clock.now() });
      report.reset++;
    }
    if (img.blobKey && !present.has(img.blobKey)) ctx.log.warn(`image ${img.id} is ${img.status} but its data ${img.blobKey} is missing`);
  }

  const referenced = new Set<string>();
  for (const img of await repo.list()) {
    if (img.blobKey) referenced.add(img.blobKey);
    if (img.staged) referenced.add(img.staged.key);
  }
  for (const key of present) {
    if (referenced.has(key)) continue;
    if (await ctx.blobs.delete(key).catch(() => false)) report.orphans++;
  }
  return report;
}

function resetOf(img: Image, present: Set<string>): Image | undefined {
  const stagedOk = img.staged !== null && present.has(img.staged.key);
  if (img.status === 'saving') return { ...img, status: 'queued', size: null, virtualSize: null };
  if ((img.status === 'uploading' || img.status === 'importing') && !stagedOk) return { ...img, status: 'queued', staged: null, size: null, virtualSize: null };
  return undefined;
}
