import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../core/clock.js';
import { StratusError } from '../../../core/errors.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import type { BlockDriver } from '../../../drivers/block/driver.js';
import type { Store, StoreOps, Where } from '../../../store/index.js';
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
export class Repo<T extends { id: string }> {
  constructor(
    private readonly ctx: VolumeContext,
    readonly kind: string,
    readonly what: string,
    private readonly uniqOf?: (t: T) => string | null,
  ) {}

  private ops(tx?: StoreOps): StoreOps {
    return tx ?? this.ctx.store;
  }

  async get(id: string, tx?: StoreOps): Promise<T | undefined> {
    return (await this.ops(tx).get<T>(this.kind, id))?.data;
  }

  async require(id: string, tx?: StoreOps): Promise<T> {
    const v = await this.get(id, tx);
    if (!v) throw itemNotFound(this.what, id);
    return v;
  }

  async list(where?: Where, tx?: StoreOps): Promise<T[]> {
    return (await this.ops(tx).find<T>(this.kind, where ? { where } : {})).map((r) => r.data);
  }

  async byUniq(uniq: string, tx?: StoreOps): Promise<T | undefined> {
    return (await this.ops(tx).getByUniq<T>(this.kind, uniq))?.data;
  }

  async create(t: T, tx?: StoreOps): Promise<T> {
    await this.ops(tx).create(this.kind, t.id, t, { uniq: this.uniqOf?.(t) ?? null });
    return t;
  }

  async put(t: T, tx?: StoreOps): Promise<T> {
    await this.ops(tx).update(this.kind, t.id, t, { uniq: this.uniqOf?.(t) ?? null });
    return t;
  }

  delete(id: string, tx?: StoreOps): Promise<boolean> {
    return this.ops(tx).delete(this.kind, id);
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
