import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../core/clock.js';
import { StratusError } from '../../../core/errors.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import type { BlockDriver } from '../../../drivers/block/driver.js';
import { RecordRepo, type Store, type StoreOps } from '../../../store/index.js';
import type { ImageSource } from './images.js';

/** What the reconciler is asked to look at. */
export type WorkRef = { kind: 'volume' | 'snapshot'; id: string };

export interface VolumeDeps {
  store: Store;
  events: EventBus;
  clock: Clock;
  log: Logger;
  driver: BlockDriver;
  images: ImageSource;
}

/** Shared state of the block storage logic. */
export class VolumeContext {
  /** Set by the reconciler: schedules work on a record after a commit. */
  kick: (ref: WorkRef) => void = () => {};

  constructor(readonly deps: VolumeDeps) {}

  get store(): Store {
    return this.deps.store;
  }
  get driver(): BlockDriver {
    return this.deps.driver;
  }
  get log(): Logger {
    return this.deps.log;
  }
  now(): number {
    return this.deps.clock.now();
  }
  newId(): string {
    return randomUUID();
  }

  changed(kind: string, action: 'created' | 'updated' | 'deleted', id: string, projectId?: string): void {
    this.deps.events.publish({ service: 'volume', kind, action, id, projectId: projectId ?? null });
  }
}

/** Typed access to one kind of record. `what` names it in errors ("Volume X could not be found."). */
export class Repo<T extends { id: string }> extends RecordRepo<T> {
  constructor(
    ctx: VolumeContext,
    kind: string,
    readonly what: string,
    uniqOf?: (t: T) => string | null,
  ) {
    super(ctx.store, kind, { missing: (id) => itemNotFound(what, id), ...(uniqOf ? { uniqOf } : {}) });
  }

  /** Replaces the stored record (Cinder's logic calls an update a put). */
  put(t: T, tx?: StoreOps): Promise<T> {
    return this.update(t, tx);
  }
}

export function itemNotFound(what: string, id: string): StratusError {
  return new StratusError('NotFound', `${what} ${id} could not be found.`, `${what.replace(/\s+/g, '')}NotFound`);
}

/** Cinder's 400 for an operation the resource's state does not allow. */
export function invalid(what: 'volume' | 'snapshot' | 'volume type' | 'input', why: string): StratusError {
  const label = what === 'input' ? 'Invalid input received' : `Invalid ${what}`;
  return new StratusError('BadRequest', `${label}: ${why}`, `Invalid${what === 'input' ? 'Input' : what.replace(/(^|\s)(\w)/g, (_m, _s, c: string) => c.toUpperCase()).replace(/\s/g, '')}`);
}

/** Cinder's 413 for a quota that would be exceeded. */
export function overQuota(code: string, message: string): StratusError {
  return new StratusError('PayloadTooLarge', `${code}: ${message}`, code);
}
