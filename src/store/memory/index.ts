import { Mutex } from '../../core/mutex.js';
import { LATEST_SCHEMA } from '../migrations.js';
import {
  deepFreeze,
  matches,
  StoreConflict,
  StoreNotFound,
  StoreRevisionMismatch,
  type Query,
  type Store,
  type StoreOps,
  type StoredRecord,
  type Where,
  type WriteOptions,
} from '../store.js';

interface Entry {
  rec: StoredRecord<unknown>;
  seq: number;
}

/**
 * In-memory store for tests and `--data-dir :memory:`. Same contract as SQLite: records are
 * deep-copied in and out, so callers can never mutate stored state by accident; a transaction
 * keeps an undo log and replays it backwards when its function throws.
 */
export class MemoryStore implements Store {
  readonly backend = 'memory' as const;
  private readonly kinds = new Map<string, Map<string, Entry>>();
  private readonly uniqs = new Map<string, string>(); // `${kind}\0${uniq}` -> id
  private readonly lock = new Mutex();
  private seq = 0;
  private undo: (() => void)[] | null = null;

  async schemaVersion(): Promise<number> {
    return LATEST_SCHEMA;
  }

  private table(kind: string): Map<string, Entry> {
    let t = this.kinds.get(kind);
    if (!t) this.kinds.set(kind, (t = new Map()));
    return t;
  }

  private rows(kind: string, q: Query): Entry[] {
    const t = this.kinds.get(kind);
    if (!t) return [];
    const ids = q.ids ? new Set(q.ids) : undefined;
    const out: Entry[] = [];
    for (const e of t.values()) {
      if (ids && !ids.has(e.rec.id)) continue;
      if (!matches(e.rec.data, q.where)) continue;
      out.push(e);
    }
    out.sort((a, b) => a.seq - b.seq);
    return q.limit !== undefined ? out.slice(0, Math.max(0, Math.floor(q.limit))) : out;
  }

  private setUniq(kind: string, uniq: string | null, id: string): void {
    if (uniq === null) return;
    const key = `${kind}\0${uniq}`;
    const holder = this.uniqs.get(key);
    if (holder !== undefined && holder !== id) throw new StoreConflict(kind, 'uniq', uniq);
  }

  /** Frozen copies of stored versions handed to `shared` readers (a version is never mutated: writes replace it). */
  private readonly frozen = new WeakMap<StoredRecord<unknown>, unknown>();

  private sharedCopy(rec: StoredRecord<unknown>): StoredRecord<unknown> {
    let data = this.frozen.get(rec);
    if (data === undefined) this.frozen.set(rec, (data = deepFreeze(clone(rec.data))));
    return { ...rec, data };
  }

  private readonly ops: StoreOps = {
    get: async <T>(kind: string, id: string) => copy(this.kinds.get(kind)?.get(id)?.rec) as StoredRecord<T> | undefined,
    getByUniq: async <T>(kind: string, uniq: string) => {
      const id = this.uniqs.get(`${kind}\0${uniq}`);
      return id === undefined ? undefined : (copy(this.kinds.get(kind)?.get(id)?.rec) as StoredRecord<T> | undefined);
    },
    find: async <T>(kind: string, q: Query = {}) => this.rows(kind, q).map((e) => (q.shared ? this.sharedCopy(e.rec) : copy(e.rec)) as StoredRecord<T>),
    count: async (kind: string, q: Query = {}) => this.rows(kind, q).length,
    create: async <T>(kind: string, id: string, data: T, opts: WriteOptions = {}) => {
      const t = this.table(kind);
      if (t.has(id)) throw new StoreConflict(kind, 'id', id);
      const uniq = opts.uniq ?? null;
      this.setUniq(kind, uniq, id);
      const now = Date.now();
      const rec: StoredRecord<unknown> = { kind, id, data: clone(data), uniq, rev: 1, createdAt: now, updatedAt: now };
      t.set(id, { rec, seq: ++this.seq });
      if (uniq !== null) this.uniqs.set(`${kind}\0${uniq}`, id);
      this.undo?.push(() => {
        t.delete(id);
        if (uniq !== null) this.uniqs.delete(`${kind}\0${uniq}`);
      });
      return copy(rec) as StoredRecord<T>;
    },
    update: async <T>(kind: string, id: string, data: T, opts: WriteOptions = {}) => {
      const t = this.table(kind);
      const cur = t.get(id);
      if (!cur) throw new StoreNotFound(kind, id);
      if (opts.ifRev !== undefined && opts.ifRev !== cur.rec.rev)
        throw new StoreRevisionMismatch(kind, id, opts.ifRev, cur.rec.rev);
      const uniq = opts.uniq === undefined ? cur.rec.uniq : opts.uniq;
      this.setUniq(kind, uniq, id);
      const prev = cur.rec;
      const rec = { ...prev, data: clone(data), uniq, rev: prev.rev + 1, updatedAt: Date.now() };
      cur.rec = rec;
      if (prev.uniq !== null) this.uniqs.delete(`${kind}\0${prev.uniq}`);
      if (uniq !== null) this.uniqs.set(`${kind}\0${uniq}`, id);
      this.undo?.push(() => {
        cur.rec = prev;
        if (uniq !== null) this.uniqs.delete(`${kind}\0${uniq}`);
        if (prev.uniq !== null) this.uniqs.set(`${kind}\0${prev.uniq}`, id);
      });
      return copy(rec) as StoredRecord<T>;
    },
    delete: async (kind: string, id: string) => {
      const t = this.kinds.get(kind);
      const cur = t?.get(id);
      if (!t || !cur) return false;
      t.delete(id);
      if (cur.rec.uniq !== null) this.uniqs.delete(`${kind}\0${cur.rec.uniq}`);
      this.undo?.push(() => {
        t.set(id, cur);
        if (cur.rec.uniq !== null) this.uniqs.set(`${kind}\0${cur.rec.uniq}`, id);
      });
      return true;
    },
    deleteWhere: async (kind: string, where: Where) => {
      let n = 0;
      for (const e of this.rows(kind, { where })) if (await this.ops.delete(kind, e.rec.id)) n++;
      return n;
    },
  };

  private guard<A extends unknown[], R>(fn: (...a: A) => Promise<R>): (...a: A) => Promise<R> {
    return (...a: A) => (this.lock.busy ? this.lock.run(() => fn(...a)) : fn(...a));
  }
  get = this.guard(this.ops.get) as StoreOps['get'];
  getByUniq = this.guard(this.ops.getByUniq) as StoreOps['getByUniq'];
  find = this.guard(this.ops.find) as StoreOps['find'];
  count = this.guard(this.ops.count);
  create = this.guard(this.ops.create) as StoreOps['create'];
  update = this.guard(this.ops.update) as StoreOps['update'];
  delete = this.guard(this.ops.delete);
  deleteWhere = this.guard(this.ops.deleteWhere);

  tx<R>(fn: (ops: StoreOps) => Promise<R>): Promise<R> {
    return this.lock.run(async () => {
      const undo: (() => void)[] = [];
      this.undo = undo;
      try {
        return await fn(this.ops);
      } catch (e) {
        for (const u of undo.reverse()) u();
        throw e;
      } finally {
        this.undo = null;
      }
    });
  }

  async close(): Promise<void> {
    await this.lock.run(async () => undefined);
  }
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
function copy<T>(rec: StoredRecord<T> | undefined): StoredRecord<T> | undefined {
  return rec && { ...rec, data: clone(rec.data) };
}
