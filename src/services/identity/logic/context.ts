import type { Clock } from '../../../core/clock.js';
import { conflict, notFound } from '../../../core/errors.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import { StoreConflict, type Store, type StoreOps, type Where } from '../../../store/index.js';

export interface IdentityConfig {
  /** Token lifetime in seconds (Keystone's default is 3600). */
  tokenTtl: number;
  region: string;
  adminPassword: string;
}

/**
 * Shared state of the identity logic: the store, the event bus, and a memo of derived facts
 * (effective roles, the catalog) that every identity write clears. Token validation reads only
 * the memo once it is warm.
 */
export class IdentityContext {
  private memo = new Map<string, unknown>();
  private generation = 0;

  constructor(
    readonly store: Store,
    readonly events: EventBus,
    readonly clock: Clock,
    readonly config: IdentityConfig,
    readonly log: Logger,
  ) {}

  async cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const gen = this.generation;
    const v = await compute();
    if (gen === this.generation) {
      if (this.memo.size > 20_000) this.memo.clear();
      this.memo.set(key, v);
    }
    return v;
  }

  /** Record that identity data changed: drop derived facts and tell subscribers. */
  changed(kind: string, action: 'created' | 'updated' | 'deleted', id: string): void {
    this.generation++;
    this.memo.clear();
    this.events.publish({ service: 'identity', kind, action, id });
  }
}

/** Typed access to one kind of identity record, with Keystone's not-found and conflict errors. */
export class Repo<T extends { id: string }> {
  constructor(
    private readonly ctx: IdentityContext,
    readonly kind: string,
    /** Human name used in errors: "Could not find project: X." */
    readonly what: string,
    private readonly uniqOf?: (t: T) => string | null,
    private readonly describeConflict?: (t: T) => string,
  ) {}

  private ops(tx?: StoreOps): StoreOps {
    return tx ?? this.ctx.store;
  }

  async get(id: string, tx?: StoreOps): Promise<T | undefined> {
    return (await this.ops(tx).get<T>(this.kind, id))?.data;
  }

  async require(id: string, tx?: StoreOps): Promise<T> {
    const v = await this.get(id, tx);
    if (!v) throw notFound(this.what, id);
    return v;
  }

  async byUniq(uniq: string): Promise<T | undefined> {
    return (await this.ctx.store.getByUniq<T>(this.kind, uniq))?.data;
  }

  async list(where?: Where, tx?: StoreOps): Promise<T[]> {
    return (await this.ops(tx).find<T>(this.kind, where ? { where } : {})).map((r) => r.data);
  }

  async create(t: T, tx?: StoreOps): Promise<T> {
    try {
      await this.ops(tx).create(this.kind, t.id, t, { uniq: this.uniqOf?.(t) ?? null });
    } catch (e) {
      throw this.mapConflict(e, t);
    }
    this.ctx.changed(this.kind, 'created', t.id);
    return t;
  }

  async update(t: T, tx?: StoreOps): Promise<T> {
    try {
      await this.ops(tx).update(this.kind, t.id, t, { uniq: this.uniqOf?.(t) ?? null });
    } catch (e) {
      throw this.mapConflict(e, t);
    }
    this.ctx.changed(this.kind, 'updated', t.id);
    return t;
  }

  async delete(id: string, tx?: StoreOps): Promise<boolean> {
    const done = await this.ops(tx).delete(this.kind, id);
    if (done) this.ctx.changed(this.kind, 'deleted', id);
    return done;
  }

  async deleteWhere(where: Where, tx?: StoreOps): Promise<number> {
    const n = await this.ops(tx).deleteWhere(this.kind, where);
    if (n) this.ctx.changed(this.kind, 'deleted', '*');
    return n;
  }

  private mapConflict(e: unknown, t: T): unknown {
    if (!(e instanceof StoreConflict)) return e;
    const detail = this.describeConflict?.(t) ?? `Duplicate ID, ${t.id}.`;
    return conflict(`Conflict occurred attempting to store ${this.what} - ${detail}`, 'Conflict');
  }
}
