import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeError } from '../errors.js';
import type { KubeObject } from '../types.js';
import { ChangeLog, type LogRow } from './log.js';

/**
 * One stored version of an object. `obj` is deep-frozen and shared (never mutate it, never
 * hand it out of the API); `json` is its serialization, and `copy()` is the cheap way to get a
 * private mutable object (JSON.parse beats structuredClone by ~2x on pod-sized objects).
 */
export interface Entry {
  readonly key: string;
  readonly rev: number;
  readonly obj: Readonly<KubeObject>;
  readonly json: string;
}

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One write. `prev` is the key's previous live version (null after a create). */
export interface StoreEvent {
  readonly rev: number;
  readonly type: StoreEventType;
  readonly entry: Entry;
  readonly prev: Entry | null;
}

export interface StoreOptions {
  /** Events of history kept for watch resumption and consistent paging (default 10,000). */
  historySize?: number;
}

const TYPE_CODE: Record<StoreEventType, 0 | 1 | 2> = { ADDED: 0, MODIFIED: 1, DELETED: 2 };
const CODE_TYPE: StoreEventType[] = ['ADDED', 'MODIFIED', 'DELETED'];

export function copy(entry: Entry): KubeObject {
  return JSON.parse(entry.json) as KubeObject;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.freeze(value);
    for (const v of Object.values(value)) if (v && typeof v === 'object' && !Object.isFrozen(v)) deepFreeze(v);
  }
  return value;
}

function makeEntry(key: string, rev: number, json: string, obj?: KubeObject): Entry {
  return { key, rev, json, obj: deepFreeze(obj ?? (JSON.parse(json) as KubeObject)) };
}

/** `/core/pods/default/web` → `/core/pods/default/`. */
function bucketOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

interface Bucket {
  entries: Map<string, Entry>;
  /** Keys in order; null when a create or delete invalidated it. */
  sorted: string[] | null;
}

/**
 * The revisioned Kubernetes store: one global revision counter (= resourceVersion), the
 * current state in memory (key → frozen object, bucketed by parent prefix so a namespace
 * list touches only that namespace), a ring of recent events for watch replay and consistent
 * paging, and, unless opened on `':memory:'`, the SQLite change log that makes every write
 * durable before it returns. Writes are synchronous; subscribers are called synchronously, in
 * revision order, from inside the write (they must only queue work).
 *
 * Keys are `storeKey()` strings; the store does not interpret objects beyond setting
 * `metadata.resourceVersion` to the write's revision.
 */
export class KubeStore {
  private rev = 0;
  /** Every event with rev > horizon is in `ring` (oldest first). */
  private horizon = 0;
  private ring: StoreEvent[] = [];
  private readonly buckets = new Map<string, Bucket>();
  private readonly subscribers = new Set<(ev: StoreEvent) => void>();
  private readonly historySize: number;
  private closed = false;

  private constructor(
    private readonly log: ChangeLog | null,
    opts: StoreOptions,
  ) {
    this.historySize = Math.max(1, Math.floor(opts.historySize ?? 10_000));
  }

  /** `dataDir` `':memory:'` keeps nothing on disk; otherwise `<dataDir>/kube.db`. */
  static open(dataDir: string, opts: StoreOptions = {}): KubeStore {
    if (dataDir === ':memory:') return new KubeStore(null, opts);
    mkdirSync(dataDir, { recursive: true });
    const store = new KubeStore(new ChangeLog(join(dataDir, 'kube.db')), opts);
    store.load();
    return store;
  }

  /** Rebuilds the index, the revision counter and the retained history from the log. */
  private load(): void {
    const log = this.log!;
    const compacted = log.compactedRevision();
    const latest = new Map<string, Entry | null>();
    for (const row of log.rows()) {
      const entry = makeEntry(row.key, row.rev, row.value);
      const type = CODE_TYPE[row.type] ?? 'MODIFIED';
      if (row.rev > compacted) this.ring.push({ rev: row.rev, type, entry, prev: latest.get(row.key) ?? null });
      latest.set(row.key, type === 'DELETED' ? null : entry);
      this.rev = row.rev;
    }
    this.rev = Math.max(this.rev, compacted);
    this.horizon = compacted;
    for (const entry of latest.values()) if (entry) this.put(entry);
    this.trim(true);
  }

  revision(): number {
    return this.rev;
  }

  /** The oldest revision a watch or a consistent read can start from. */
  oldestRevision(): number {
    return this.horizon;
  }

  get(key: string): Entry | undefined {
    return this.buckets.get(bucketOf(key))?.entries.get(key);
  }

  /**
   * Current entries under `prefix` (a bucket such as `/core/pods/default/`, or a wider prefix
   * such as `/core/pods/` for all namespaces), in key order, starting after `afterKey`.
   */
  list(prefix: string, afterKey?: string): Entry[] {
    const direct = this.buckets.get(prefix);
    const buckets = direct ? [prefix] : [...this.buckets.keys()].filter((b) => b.startsWith(prefix)).sort();
    const out: Entry[] = [];
    for (const name of buckets) {
      if (afterKey !== undefined && !afterKey.startsWith(name) && name < afterKey) continue;
      const bucket = this.buckets.get(name)!;
      bucket.sorted ??= [...bucket.entries.keys()].sort();
      let keys = bucket.sorted;
      if (afterKey !== undefined && afterKey.startsWith(name)) keys = keys.slice(upperBound(keys, afterKey));
      for (const k of keys) out.push(bucket.entries.get(k)!);
    }
    return out;
  }

  /**
   * The entries under `prefix` as they were at revision `at` (rolled back from the current
   * state through the history ring), in key order. Rejects with 410 below the history.
   */
  listAt(prefix: string, at: number): Entry[] {
    if (at >= this.rev) return this.list(prefix);
    if (at < this.horizon) throw KubeError.expired(at, this.horizon);
    const state = new Map<string, Entry>();
    for (const e of this.list(prefix)) state.set(e.key, e);
    for (let i = this.ring.length - 1; i >= 0 && this.ring[i]!.rev > at; i--) {
      const ev = this.ring[i]!;
      if (!ev.entry.key.startsWith(prefix)) continue;
      if (ev.prev) state.set(ev.entry.key, ev.prev);
      else state.delete(ev.entry.key);
    }
    return [...state.keys()].sort().map((k) => state.get(k)!);
  }

  /** Events after `rev` (exclusive), oldest first. Rejects with 410 Expired below the history. */
  since(rev: number): StoreEvent[] {
    if (rev < this.horizon) throw KubeError.expired(rev, this.horizon);
    if (rev >= this.rev) return [];
    // Binary search: ring revisions are increasing.
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ring[mid]!.rev <= rev) lo = mid + 1;
      else hi = mid;
    }
    return this.ring.slice(lo);
  }

  /** Calls `fn` for every later write, synchronously and in order; returns the unsubscribe. */
  subscribe(fn: (ev: StoreEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Stores a new object; the caller checked absence. `obj` becomes the store's (do not reuse). */
  create(key: string, obj: KubeObject): Entry {
    return this.write('ADDED', key, obj);
  }

  /** Replaces the object at `key`; the caller checked presence and preconditions. */
  update(key: string, obj: KubeObject): Entry {
    return this.write('MODIFIED', key, obj);
  }

  /** Removes `key`; `last` is its final state (it gets the deletion's revision). */
  delete(key: string, last: KubeObject): Entry {
    return this.write('DELETED', key, last);
  }

  private write(type: StoreEventType, key: string, obj: KubeObject): Entry {
    if (this.closed) throw KubeError.internal('the store is closed');
    const prev = this.get(key) ?? null;
    if (type === 'ADDED' && prev) throw KubeError.internal(`store: ${key} exists`);
    if (type !== 'ADDED' && !prev) throw KubeError.internal(`store: ${key} does not exist`);
    const rev = this.rev + 1;
    obj.metadata = { ...obj.metadata, resourceVersion: String(rev) };
    const json = JSON.stringify(obj);
    const row: LogRow = { rev, key, type: TYPE_CODE[type], value: json };
    this.log?.append(row); // throws before any in-memory change if the disk write fails
    this.rev = rev;
    const entry = makeEntry(key, rev, json, obj);
    if (type === 'DELETED') this.remove(key);
    else this.put(entry);
    const ev: StoreEvent = { rev, type, entry, prev };
    this.ring.push(ev);
    this.trim(false);
    for (const fn of this.subscribers) fn(ev);
    return entry;
  }

  private put(entry: Entry): void {
    const name = bucketOf(entry.key);
    let bucket = this.buckets.get(name);
    if (!bucket) {
      bucket = { entries: new Map(), sorted: null };
      this.buckets.set(name, bucket);
    }
    if (!bucket.entries.has(entry.key)) bucket.sorted = null;
    bucket.entries.set(entry.key, entry);
  }

  private remove(key: string): void {
    const name = bucketOf(key);
    const bucket = this.buckets.get(name);
    if (!bucket) return;
    bucket.entries.delete(key);
    bucket.sorted = null;
    if (bucket.entries.size === 0) this.buckets.delete(name);
  }

  /**
   * Keeps the ring at `historySize` events, trimming in batches of a quarter so compaction of
   * the log runs once per historySize/4 writes rather than on every write.
   */
  private trim(force: boolean): void {
    const slack = force ? 0 : Math.max(1, Math.floor(this.historySize / 4));
    if (this.ring.length <= this.historySize + slack) return;
    const drop = this.ring.length - this.historySize;
    this.horizon = this.ring[drop - 1]!.rev;
    this.ring = this.ring.slice(drop);
    this.log?.compact(this.horizon);
  }

  close(): void {
    this.closed = true;
    this.subscribers.clear();
    this.log?.close();
  }
}

/** Index of the first key greater than `key` in sorted `keys`. */
function upperBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
