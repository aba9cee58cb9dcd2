import { Accounts } from './accounts.js';
import { deleteMany, type BulkResult, type DeleteTarget, type WriteCheck } from './bulk.js';
import { Containers } from './containers.js';
import { DEFAULT_STORAGE_CONFIG, StorageContext, type ObjectStorageConfig, type ObjectStorageDeps } from './context.js';
import { copyObject, type CopyOptions } from './copy.js';
import { Expirer } from './expirer.js';
import { LargeObjects, type ReadCheck } from './large.js';
import type { ObjectLocation, ObjectRecord } from './models.js';
import { Objects } from './objects.js';
import { openRange, type ReadPlan } from './reader.js';
import type { ByteRange } from './ranges.js';
import { checkQuotas } from './quotas.js';
import { removeOrphanBlobs } from './recovery.js';
import { ContainerSync } from './sync.js';

export type { ObjectStorageConfig, ObjectStorageDeps } from './context.js';
export type { AccountInfo } from './accounts.js';
export type { ContainerChange } from './containers.js';
export type { ObjectAttrs, PutOptions } from './objects.js';
export type { CopyOptions } from './copy.js';
export type { BulkResult, DeleteTarget, WriteCheck } from './bulk.js';
export type { ReadCheck, SegmentRef } from './large.js';
export type { ReadPlan } from './reader.js';
export type { ListEntry, ListOptions } from './listing.js';
export type { MetaPatch } from './metadata.js';
export type { ByteRange } from './ranges.js';
export type { Conditions, ConditionResult } from './conditions.js';
export * from './models.js';
export { evaluate as evaluateConditions, etagListMatches, unquote } from './conditions.js';
export { parseRange } from './ranges.js';
export { MAX_LISTING_LIMIT } from './listing.js';
export { META_LIMITS, checkMetaLimits } from './metadata.js';
export { SLO_LIMITS, segmentRange } from './large.js';
export { BULK_LIMITS } from './bulk.js';
export { QUOTA_META, quotaExceeded, quotaOf } from './quotas.js';
export { SYNC_REALMS, parseSyncTo } from './sync.js';
export { accountOfProject, projectOfAccount, checkContainerName, checkObjectName, compareNames, MAX_CONTAINER_NAME, MAX_OBJECT_NAME } from './names.js';
export { httpDate, lastModifiedSeconds, listingDate } from './time.js';

/**
 * The object store: accounts, containers, objects, large objects, copy, multi-delete and
 * expiry, over the Store (records) and the BlobStore (bytes). The Swift API is one front end;
 * an S3 API uses the same instance with buckets = the containers of `accountOfProject(p)`.
 *
 * Callers pass access checks (`ReadCheck`, `WriteCheck`) for operations that reach into other
 * containers (large-object segments, copy sources, bulk delete), so each API applies its own
 * policy there too.
 */
export class ObjectStorage {
  readonly ctx: StorageContext;
  readonly accounts: Accounts;
  readonly containers: Containers;
  readonly objects: Objects;
  readonly large: LargeObjects;
  readonly expirer: Expirer;
  readonly sync: ContainerSync;
  private initDone: Promise<number> | undefined;

  constructor(deps: ObjectStorageDeps, config: Partial<ObjectStorageConfig> = {}) {
    this.ctx = new StorageContext(deps, { ...DEFAULT_STORAGE_CONFIG, ...config });
    this.accounts = new Accounts(this.ctx);
    this.containers = new Containers(this.ctx, this.accounts, async (account, container) => {
      await this.expirer.sweep({ account, container });
    });
    this.objects = new Objects(this.ctx, this.containers, (loc, w) => checkQuotas(this.accounts, this.containers, loc, w));
    this.large = new LargeObjects(this.ctx, this.containers, this.objects);
    this.expirer = new Expirer(this.ctx, this.objects);
    this.sync = new ContainerSync(this.ctx, this.containers, this.objects);
  }

  /**
   * Start-up: starts the expirer and container sync, and removes orphan blobs (see recovery.ts); resolves with how
   * many were removed. Idempotent, so every API front end may call it. Requests may be served
   * before it resolves: recovery leaves blobs written meanwhile alone.
   */
  init(): Promise<number> {
    if (!this.initDone) {
      this.expirer.start(this.ctx.config.expirerIntervalMs);
      this.sync.start(this.ctx.config.syncIntervalMs);
      this.initDone = removeOrphanBlobs(this.ctx).then((n) => {
        if (n) this.ctx.log.info(`removed ${n} orphan object blobs`);
        return n;
      });
    }
    return this.initDone;
  }

  /** Stops the expirer and container sync, and waits for recovery, so the store can close under neither. */
  async close(): Promise<void> {
    await this.expirer.stop();
    await this.sync.stop();
    await this.initDone?.catch(() => undefined);
  }

  /** The bytes behind an object (its blob, or a large object's segments). */
  plan(rec: ObjectRecord, check: ReadCheck): Promise<ReadPlan> {
    return this.large.plan(rec, check);
  }

  /** Streams a range (default all) of a plan; see reader.ts for when blobs are opened. */
  open(plan: ReadPlan, range?: ByteRange) {
    return openRange(this.ctx.blobs, plan, range);
  }

  copy(src: ObjectLocation, dst: ObjectLocation, o: CopyOptions, check: ReadCheck) {
    return copyObject({ ctx: this.ctx, objects: this.objects, large: this.large }, src, dst, o, check);
  }

  deleteMany(account: string, targets: DeleteTarget[], check: WriteCheck): Promise<BulkResult> {
    return deleteMany({ objects: this.objects, containers: this.containers }, account, targets, check);
  }

  /** Deletes a static large object and all its segments; a plain object is just deleted. */
  async deleteWithSegments(loc: ObjectLocation, check: WriteCheck): Promise<BulkResult> {
    const rec = await this.objects.head(loc);
    const segs = await this.large.segmentsOf(rec);
    const targets: DeleteTarget[] = segs.map((s) => ({ path: `/${s.container}/${s.name}`, container: s.container, name: s.name }));
    targets.push({ path: `/${loc.container}/${loc.name}`, container: loc.container, name: loc.name });
    return this.deleteMany(loc.account, targets, check);
  }
}
