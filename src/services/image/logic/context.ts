import type { Clock } from '../../../core/clock.js';
import { conflict, notFound } from '../../../core/errors.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import type { BlobStore } from '../../../drivers/object/driver.js';
import { RecordRepo, type Store } from '../../../store/index.js';

/** Per-project limits (Glance's unified limits image_count_total and image_size_total). */
export interface ImageQuotas {
  /** Images a project may own, whatever their status. */
  images: number;
  /** Bytes of image data (uploaded and staged) a project may hold. */
  bytes: number;
}

export const DEFAULT_QUOTAS: ImageQuotas = { images: 1000, bytes: 200 * 1024 ** 3 };

/** Who is acting, as far as image rules care. Built from the token by policy.ts. */
export interface Caller {
  /** The token's project: the owner of what it creates. */
  projectId: string | null;
  /** Cloud admin: sees and changes every image. */
  admin: boolean;
}

export interface ImageDeps {
  store: Store;
  blobs: BlobStore;
  events: EventBus;
  clock: Clock;
  log: Logger;
  quotas?: Partial<ImageQuotas>;
}

/** What every part of the image logic shares. */
export class ImageContext {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly events: EventBus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly quotas: ImageQuotas;

  constructor(deps: ImageDeps) {
    this.store = deps.store;
    this.blobs = deps.blobs;
    this.events = deps.events;
    this.clock = deps.clock;
    this.log = deps.log;
    this.quotas = { ...DEFAULT_QUOTAS, ...definedOnly(deps.quotas ?? {}) };
  }

  changed(kind: string, action: 'created' | 'updated' | 'deleted', id: string, projectId?: string | null): void {
    this.events.publish({ service: 'image', kind, action, id, projectId: projectId ?? null });
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Typed access to one kind of image record. */
export class Repo<T extends { id: string }> extends RecordRepo<T> {
  constructor(
    ctx: ImageContext,
    kind: string,
    /** Human name used in errors: "No image found with ID X." */
    readonly what: string,
  ) {
    super(ctx.store, kind, {
      missing: (id) => notFound(what, id),
      conflict: (t) => conflict(`An ${what} with identifier ${t.id} already exists.`),
    });
  }
}
