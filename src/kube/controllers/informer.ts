import type { KubeApi, Watch } from '../api.js';
import { KubeError } from '../errors.js';
import type { ResourceType } from '../resources.js';
import type { KubeObject, WatchEvent } from '../types.js';

/** `ns/name` for namespaced objects, `name` for cluster-scoped ones: the key of caches and queues. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export type InformerHandler = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject, old: KubeObject | undefined) => void;

/**
 * A cache of one resource type across all namespaces, kept current by list + watch.
 *
 * Contract: it lists, then watches from the list's resourceVersion; when the watch ends it
 * watches again from the last revision it saw, and when that revision is too old (410) or the
 * watch cannot be started it lists again, reporting the differences to the handlers as
 * ADDED/MODIFIED/DELETED, so handlers never miss a final state. Handlers run synchronously in
 * revision order; they must only enqueue work. Objects in the cache are shared: never mutate
 * them, clone before writing.
 */
export class Informer {
  private readonly items = new Map<string, KubeObject>();
  private readonly handlers: InformerHandler[] = [];
  private watch: Watch | undefined;
  private stopped = false;
  private lastRv = '0';
  private resolveSynced!: () => void;
  /** Resolves after the first list has filled the cache. */
  readonly synced: Promise<void>;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly api: KubeApi,
    readonly res: ResourceType,
    private readonly log: (m: string) => void,
  ) {
    this.synced = new Promise((r) => (this.resolveSynced = r));
  }

  addHandler(h: InformerHandler): void {
    this.handlers.push(h);
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.items.get(namespace && this.res.namespaced ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): KubeObject[] {
    const all = [...this.items.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    this.resolveSynced();
    await this.loop;
  }

  private async run(): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        const w = await this.api.watch(this.res, undefined, { resourceVersion: this.lastRv, allowWatchBookmarks: true }, (ev) => this.onEvent(ev, () => (needList = true)));
        this.watch = w;
        if (this.stopped) w.stop();
        failures = 0;
        await w.done;
        this.watch = undefined;
      } catch (err) {
        if (this.stopped) break;
        needList = true;
        failures++;
        if (!(err instanceof KubeError && err.code === 410)) {
          this.log(`informer ${this.res.resource}: ${(err as Error).message}; listing again`);
        }
        // NOTE: back off only on repeated failures, so a 410 re-list happens at once.
        if (failures > 1) await sleep(Math.min(50 * 2 ** failures, 5000));
      }
    }
  }

  private async relist(): Promise<void> {
    // NOTE: the registry's `listReadOnly` skips a deep copy per item; cache objects are never mutated.
    const list = this.api.listReadOnly ? await this.api.listReadOnly(this.res, undefined) : await this.api.list(this.res, undefined);
    const seen = new Set<string>();
    for (const item of list.items) {
      const obj = { ...item, apiVersion: item.apiVersion ?? list.apiVersion, kind: item.kind ?? this.res.kind };
      const key = objectKey(obj);
      seen.add(key);
      const old = this.items.get(key);
      if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) continue;
      this.items.set(key, obj);
      this.emit(old ? 'MODIFIED' : 'ADDED', obj, old);
    }
    for (const [key, old] of [...this.items]) {
      if (seen.has(key)) continue;
      this.items.delete(key);
      this.emit('DELETED', old, old);
    }
    this.lastRv = list.metadata.resourceVersion;
    this.resolveSynced();
  }

  private onEvent(ev: WatchEvent, relist: () => void): void {
    if (this.stopped) return;
    const obj = ev.object;
    if (ev.type === 'ERROR') {
      // A Status: 410 Expired (or anything else) → list again once the watch ends.
      relist();
      this.watch?.stop();
      return;
    }
    if (obj.metadata?.resourceVersion) this.lastRv = obj.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return;
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (ev.type === 'DELETED') {
      this.items.delete(key);
      this.emit('DELETED', obj, old);
    } else {
      this.items.set(key, obj);
      this.emit(old ? 'MODIFIED' : 'ADDED', obj, old);
    }
  }

  private emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject, old: KubeObject | undefined): void {
    for (const h of this.handlers) {
      try {
        h(type, obj, old);
      } catch (err) {
        this.log(`informer ${this.res.resource} handler: ${(err as Error).message}`);
      }
    }
  }
}

/** One informer per resource type, shared by every controller of the process. */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(
    private readonly api: KubeApi,
    private readonly log: (m: string) => void,
  ) {}

  for(res: ResourceType): Informer {
    const id = `${res.group}/${res.resource}`;
    let inf = this.informers.get(id);
    if (!inf) {
      inf = new Informer(this.api, res, this.log);
      this.informers.set(id, inf);
      // A kind that appears later (a CRD's) gets an informer that starts at once.
      if (this.started) inf.start();
    }
    return inf;
  }

  /** Stops and forgets the informer of a kind that is no longer served. */
  async drop(res: ResourceType): Promise<void> {
    const id = `${res.group}/${res.resource}`;
    const inf = this.informers.get(id);
    this.informers.delete(id);
    await inf?.stop();
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  async synced(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.synced));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
