import { StoreConflict, type Store, type StoreOps, type Where } from './store.js';

export type RepoAction = 'created' | 'updated' | 'deleted';

/** How a service wants its records treated; the errors are the service's own. */
export interface RepoOptions<T> {
  /** The error for an absent id (`require`). */
  missing: (id: string) => Error;
  /** The uniq key the store keeps unique per kind (e.g. `<domain>/<name>`); none when absent. */
  uniqOf?: (t: T) => string | null;
  /** The error for an id or uniq clash on create/update; without it the StoreConflict propagates. */
  conflict?: (t: T, e: StoreConflict) => Error;
  /** Called after each write outside a transaction's rollback path (caches, events). */
  changed?: (action: RepoAction, id: string) => void;
}

/**
 * Typed access to one kind of record over the Store, shared by the services' logic layers.
 * Every method takes an optional transaction (`StoreOps` from `store.tx`).
 */
export class RecordRepo<T extends { id: string }> {
  constructor(
    private readonly store: Store,
    readonly kind: string,
    private readonly opts: RepoOptions<T>,
  ) {}

  private ops(tx?: StoreOps): StoreOps {
    return tx ?? this.store;
  }

  async get(id: string, tx?: StoreOps): Promise<T | undefined> {
    return (await this.ops(tx).get<T>(this.kind, id))?.data;
  }

  async require(id: string, tx?: StoreOps): Promise<T> {
    const v = await this.get(id, tx);
    if (!v) throw this.opts.missing(id);
    return v;
  }

  async byUniq(uniq: string, tx?: StoreOps): Promise<T | undefined> {
    return (await this.ops(tx).getByUniq<T>(this.kind, uniq))?.data;
  }

  async list(where?: Where, tx?: StoreOps): Promise<T[]> {
    return (await this.ops(tx).find<T>(this.kind, where ? { where } : {})).map((r) => r.data);
  }

  /**
   * Like `list`, for callers that only read: the records are deeply frozen and may be shared
   * with other readers (`Query.shared`), which spares a parse and a copy per record.
   */
  async listShared(where?: Where, tx?: StoreOps): Promise<readonly Readonly<T>[]> {
    return (await this.ops(tx).find<T>(this.kind, where ? { where, shared: true } : { shared: true })).map((r) => r.data);
  }

  count(where?: Where, tx?: StoreOps): Promise<number> {
    return this.ops(tx).count(this.kind, where ? { where } : {});
  }

  async create(t: T, tx?: StoreOps): Promise<T> {
    try {
      await this.ops(tx).create(this.kind, t.id, t, { uniq: this.opts.uniqOf?.(t) ?? null });
    } catch (e) {
      throw this.mapConflict(e, t);
    }
    this.opts.changed?.('created', t.id);
    return t;
  }

  async update(t: T, tx?: StoreOps): Promise<T> {
    try {
      await this.ops(tx).update(this.kind, t.id, t, { uniq: this.opts.uniqOf?.(t) ?? null });
    } catch (e) {
      throw this.mapConflict(e, t);
    }
    this.opts.changed?.('updated', t.id);
    return t;
  }

  async delete(id: string, tx?: StoreOps): Promise<boolean> {
    const done = await this.ops(tx).delete(this.kind, id);
    if (done) this.opts.changed?.('deleted', id);
    return done;
  }

  async deleteWhere(where: Where, tx?: StoreOps): Promise<number> {
    const n = await this.ops(tx).deleteWhere(this.kind, where);
    if (n) this.opts.changed?.('deleted', '*');
    return n;
  }

  private mapConflict(e: unknown, t: T): unknown {
    return e instanceof StoreConflict && this.opts.conflict ? this.opts.conflict(t, e) : e;
  }
}
