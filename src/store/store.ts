/**
 * The persistence boundary. Services keep typed records here; nothing outside `store/` knows
 * whether it is SQLite, memory, or (later, for multi-host) PostgreSQL.
 *
 * The model is a generic record table, like kine and the Kubernetes registry: each record has a
 * `kind` (e.g. `identity.user`), an `id`, a JSON `data` document, a revision and timestamps, and
 * an optional `uniq` key that the store keeps unique per kind (e.g. `<domain>/<name>`).
 *
 * Contract (checked by `contract.ts` against every implementation):
 * - Every method is async, so a networked database fits behind the same interface.
 * - `create` fails with `StoreConflict` when the id or the uniq key is taken.
 * - `update` fails with `StoreNotFound` when absent, with `StoreConflict` on a uniq clash and,
 *   when `ifRev` is given, with `StoreRevisionMismatch` if the stored revision differs.
 * - `tx(fn)` runs `fn` atomically and serialized against other transactions: it commits when
 *   `fn` resolves and rolls back every write when it throws. Writes are durable once the
 *   promise of a write (or of `tx`) resolves.
 * - `find` filters on top-level fields of `data` with exact equality; `null` matches a missing
 *   or null field. Results are ordered by creation, then id.
 * - `find` with `shared: true` returns `data` deeply frozen and possibly the same object for
 *   every such reader of one stored version (no copy, no re-parse): for read-only paths such as
 *   a list rendered straight into a response. Without `shared`, `data` is the caller's own copy.
 */
export interface StoredRecord<T> {
  kind: string;
  id: string;
  data: T;
  uniq: string | null;
  rev: number;
  createdAt: number;
  updatedAt: number;
}

export type Where = Record<string, string | number | boolean | null>;

export interface Query {
  where?: Where;
  /** Only these ids. */
  ids?: string[];
  limit?: number;
  /**
   * The caller only reads the records: `data` comes deeply frozen and may be shared with other
   * readers of the same stored version (see the contract above). Writing to it throws.
   */
  shared?: boolean;
}

export interface WriteOptions {
  uniq?: string | null;
  ifRev?: number;
}

export interface StoreOps {
  get<T>(kind: string, id: string): Promise<StoredRecord<T> | undefined>;
  getByUniq<T>(kind: string, uniq: string): Promise<StoredRecord<T> | undefined>;
  find<T>(kind: string, query?: Query): Promise<StoredRecord<T>[]>;
  count(kind: string, query?: Query): Promise<number>;
  create<T>(kind: string, id: string, data: T, opts?: WriteOptions): Promise<StoredRecord<T>>;
  update<T>(kind: string, id: string, data: T, opts?: WriteOptions): Promise<StoredRecord<T>>;
  /** Returns false when there was nothing to delete. */
  delete(kind: string, id: string): Promise<boolean>;
  deleteWhere(kind: string, where: Where): Promise<number>;
}

export interface Store extends StoreOps {
  readonly backend: 'sqlite' | 'memory';
  tx<R>(fn: (ops: StoreOps) => Promise<R>): Promise<R>;
  /** Current schema version (see migrations.ts). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}

export class StoreConflict extends Error {
  constructor(
    readonly kind: string,
    readonly field: 'id' | 'uniq',
    readonly value: string,
  ) {
    super(`${kind}: ${field} ${value} already exists`);
  }
}
export class StoreNotFound extends Error {
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`${kind}: ${id} not found`);
  }
}
export class StoreRevisionMismatch extends Error {
  constructor(
    readonly kind: string,
    readonly id: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${kind}: ${id} is at revision ${actual}, not ${expected}`);
  }
}

export function matches(data: unknown, where: Where | undefined): boolean {
  if (!where) return true;
  const d = (data ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(where)) {
    const actual = d[k];
    if (v === null) {
      if (actual !== null && actual !== undefined) return false;
    } else if (actual !== v) return false;
  }
  return true;
}

/** Freezes `v` and everything reachable from it (JSON data: objects and arrays); returns `v`. */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
