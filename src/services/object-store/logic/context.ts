import type { Clock } from '../../../core/clock.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import type { BlobStore } from '../../../drivers/object/driver.js';
import type { Store } from '../../../store/index.js';
import { Stamps } from './time.js';

export interface ObjectStorageDeps {
  store: Store;
  blobs: BlobStore;
  clock: Clock;
  events: EventBus;
  log: Logger;
}

export interface ObjectStorageConfig {
  /** Largest single object in bytes (Swift's max_file_size: 5 GiB + 2). */
  maxObjectSize: number;
  /** How often the expirer removes objects past their X-Delete-At, in ms. */
  expirerIntervalMs: number;
  /** How often containers with X-Container-Sync-To push their objects, in ms. */
  syncIntervalMs: number;
}

export const DEFAULT_STORAGE_CONFIG: ObjectStorageConfig = {
  maxObjectSize: 5 * 1024 ** 3 + 2,
  expirerIntervalMs: 30_000,
  syncIntervalMs: 5_000,
};

/** What every part of the object-store logic shares. */
export class StorageContext {
  readonly stamps: Stamps;
  /** While orphan recovery runs: blob keys written meanwhile, which it must not remove. */
  private recovering: Set<string> | undefined;
  constructor(
    readonly deps: ObjectStorageDeps,
    readonly config: ObjectStorageConfig,
  ) {
    this.stamps = new Stamps(deps.clock);
  }

  get store(): Store {
    return this.deps.store;
  }
  get blobs(): BlobStore {
    return this.deps.blobs;
  }
  get log(): Logger {
    return this.deps.log;
  }

  /** Epoch seconds, fractional. */
  now(): number {
    return this.deps.clock.now() / 1000;
  }

  changed(kind: 'account' | 'container' | 'object', action: 'created' | 'updated' | 'deleted', id: string, projectId: string): void {
    this.deps.events.publish({ service: 'object-store', kind, action, id, projectId });
  }

  /** Called for every new blob key before its bytes are written. */
  noteNewBlob(key: string): void {
    this.recovering?.add(key);
  }

  /** Runs `fn` with new blob keys tracked; `fn` gets the set of keys written meanwhile. */
  async guardNewBlobs<R>(fn: (fresh: ReadonlySet<string>) => Promise<R>): Promise<R> {
    const fresh = new Set<string>();
    this.recovering = fresh;
    try {
      return await fn(fresh);
    } finally {
      this.recovering = undefined;
    }
  }

  /** Best-effort removal of a blob no record points to any more (orphans are swept at start-up). */
  async dropBlob(key: string | null | undefined): Promise<void> {
    if (!key) return;
    await this.blobs.delete(key).catch((e: unknown) => this.log.warn(`could not delete blob ${key}: ${String(e)}`));
  }
}
