import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from '../../../core/clock.js';
import type { StratusError } from '../../../core/errors.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import type { Store, StoreOps, Where } from '../../../store/index.js';
import { E } from '../errors.js';

export interface NetworkConfig {
  /** Host name shown in port bindings and agents. */
  host: string;
}

interface TxState {
  ops: StoreOps;
  after: (() => void)[];
}

/**
 * Shared state of the networking logic. Every write runs in `tx`, which is re-entrant: a logic
 * method that opens a transaction inside another one joins it, so helpers compose without
 * deadlocking the store's transaction lock. Work that must see committed state (driver calls,
 * events) is queued with `afterCommit` and runs outside the transaction once it commits.
 */
export class NetContext {
  private readonly als = new AsyncLocalStorage<TxState>();

  constructor(
    readonly store: Store,
    readonly events: EventBus,
    readonly clock: Clock,
    readonly log: Logger,
    readonly config: NetworkConfig,
  ) {}

  /** The open transaction's operations, or the store itself. */
  ops(): StoreOps {
    return this.als.getStore()?.ops ?? this.store;
  }

  get inTx(): boolean {
    return this.als.getStore() !== undefined;
  }

  async tx<R>(fn: () => Promise<R>): Promise<R> {
    if (this.als.getStore()) return fn();
    const after: (() => void)[] = [];
    const result = await this.store.tx((ops) => this.als.run({ ops, after }, fn));
    this.als.exit(() => {
      for (const f of after) {
        try {
          f();
        } catch (e) {
          this.log.error(`after-commit hook failed: ${(e as Error).stack ?? String(e)}`);
        }
      }
    });
    return result;
  }

  /** Runs `fn` after the current transaction commits (at once when there is none). */
  afterCommit(fn: () => void): void {
    const st = this.als.getStore();
    if (st) st.after.push(fn);
    else fn();
  }

  changed(kind: string, action: 'created' | 'updated' | 'deleted', id: string, projectId?: string): void {
    this.afterCommit(() => this.events.publish({ service: 'network', kind, action, id, projectId: projectId ?? null }));
  }

  now(): number {
    return this.clock.now();
  }
}

interface Versioned {
  id: string;
  projectId?: string;
  updatedAt?: number;
  revision?: number;
}

/**
 * Typed access to one kind of record. `update` bumps `revision` and `updatedAt` (Neutron's
 * standard attributes) and enforces an `If-Match: revision_number=N` constraint when given.
 */
export class Repo<T extends Versioned> {
  constructor(
    private readonly ctx: NetContext,
    readonly kind: string,
    private readonly missing: (id: string) => StratusError,
    private readonly uniqOf?: (t: T) => string | null,
  ) {}

  async get(id: string): Promise<T | undefined> {
    return (await this.ctx.ops().get<T>(this.kind, id))?.data;
  }

  async require(id: string): Promise<T> {
    const v = await this.get(id);
    if (!v) throw this.missing(id);
    return v;
  }

  async list(where?: Where): Promise<T[]> {
    return (await this.ctx.ops().find<T>(this.kind, where ? { where } : {})).map((r) => r.data);
  }

  async count(where?: Where): Promise<number> {
    return this.ctx.ops().count(this.kind, where ? { where } : {});
  }

  async byUniq(uniq: string): Promise<T | undefined> {
    return (await this.ctx.ops().getByUniq<T>(this.kind, uniq))?.data;
  }

  async create(t: T): Promise<T> {
    await this.ctx.ops().create(this.kind, t.id, t, { uniq: this.uniqOf?.(t) ?? null });
    this.ctx.changed(this.kind, 'created', t.id, t.projectId);
    return t;
  }

  /** Writes `next` as a new revision of the stored record. */
  async update(next: T, ifRevision?: number): Promise<T> {
    const cur = await this.require(next.id);
    const rev = cur.revision ?? 1;
    if (ifRevision !== undefined && ifRevision !== rev) throw E.revision(ifRevision, rev);
    const out = { ...next, revision: rev + 1, updatedAt: this.ctx.now() };
    await this.ctx.ops().update(this.kind, next.id, out, { uniq: this.uniqOf?.(out) ?? null });
    this.ctx.changed(this.kind, 'updated', next.id, next.projectId);
    return out;
  }

  async delete(id: string): Promise<boolean> {
    const done = await this.ctx.ops().delete(this.kind, id);
    if (done) this.ctx.changed(this.kind, 'deleted', id);
    return done;
  }

  async deleteWhere(where: Where): Promise<number> {
    return this.ctx.ops().deleteWhere(this.kind, where);
  }
}
