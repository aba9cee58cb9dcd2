import type { KubeApi, Watch } from '../api.js';
import { KubeError } from '../errors.js';
import type { ResourceType } from '../resources.js';
import type { KubeObject, Status, WatchEvent } from '../types.js';
import { errorFromStatus } from './client.js';

/** What an informer needs: the HTTP `KubeClient` or the in-process `KubeApi`. */
export type InformerSource = Pick<KubeApi, 'list' | 'watch'>;

export interface InformerHandlers<T extends KubeObject = KubeObject> {
  add?(obj: T): void;
  update?(obj: T, old: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** `timeoutSeconds` asked of the server per watch stream (default 300). */
  watchTimeoutSeconds?: number;
  /** First retry delay after a failed list or watch; doubles up to 30× this (default 250 ms). */
  retryMs?: number;
  log?: (msg: string) => void;
}

/**
 * list + watch into a local cache, with callbacks (client-go's informer, small).
 *
 * - `start()` lists, fills the cache (calling `add` per object) and resolves; then one watch
 *   stream at a time runs from the last seen resourceVersion (events and bookmarks both move
 *   it). When a stream ends (server timeout, closed connection, API server restart) the next
 *   one resumes from there, so no event is lost or repeated.
 * - A 410 Expired (as the watch answer or as an ERROR event) means the history no longer
 *   holds that version: the informer lists again and reconciles the cache, calling `add`,
 *   `update` (resourceVersion changed) and `delete` (gone) as needed.
 * - Failures are retried with back-off for as long as the informer runs; `start()` itself
 *   waits until the first list succeeds (or `stop()`).
 * - Handlers run in event order, never concurrently; a handler that throws is logged and the
 *   informer goes on. Objects handed to handlers are the cached ones: do not mutate them.
 */
export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private rv = '';
  private stopped = false;
  private watch: Watch | undefined;
  private restartWatch = false;
  private wake: (() => void) | undefined;
  private synced!: Promise<void>;
  private markSynced!: () => void;
  private loop: Promise<void> | undefined;
  /** Counters for diagnostics and tests. */
  readonly stats = { lists: 0, watches: 0, relists410: 0, events: 0 };

  constructor(
    private readonly api: InformerSource,
    private readonly res: ResourceType,
    private readonly namespace: string | undefined,
    private readonly opts: InformerOptions = {},
    private readonly handlers: InformerHandlers<T> = {},
  ) {
    this.synced = new Promise((r) => (this.markSynced = r));
  }

  /** Starts the loop; resolves once the cache holds the first list. */
  async start(): Promise<void> {
    this.loop ??= this.run();
    await Promise.race([this.synced, this.loop]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    this.wake?.();
    await this.loop;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(key(namespace, name));
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  /** The resourceVersion the next watch starts from. */
  get resourceVersion(): string {
    return this.rv;
  }

  private async run(): Promise<void> {
    const base = this.opts.retryMs ?? 250;
    let delay = base;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          this.markSynced();
        }
        this.restartWatch = false;
        this.stats.watches++;
        const began = Date.now();
        const eventsBefore = this.stats.events;
        const w = await this.api.watch(
          this.res,
          this.namespace,
          { resourceVersion: this.rv, labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, allowWatchBookmarks: true, timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300 },
          (ev) => {
            if (this.stopped || this.restartWatch) return;
            if (this.onEvent(ev) === 'relist') {
              needList = true;
              this.restartWatch = true;
              this.watch?.stop();
            } else delay = base;
          },
        );
        this.watch = w;
        if (this.restartWatch || this.stopped) w.stop();
        await w.done;
        this.watch = undefined;
        const err = (w as { error?: KubeError }).error;
        if (err && !this.stopped) {
          this.opts.log?.(`watch of ${this.res.resource} ended: ${err.message}; resuming from ${this.rv}`);
          await this.sleep(delay);
          delay = Math.min(delay * 2, base * 30);
        } else if (!this.stopped && !needList && Date.now() - began < 50 && this.stats.events === eventsBefore) {
          // A server that closes every stream at once must not make this a busy loop.
          await this.sleep(delay);
          delay = Math.min(delay * 2, base * 30);
        }
      } catch (e) {
        const err = e instanceof KubeError ? e : KubeError.internal(String(e));
        if (err.code === 410) {
          this.stats.relists410++;
          needList = true;
          continue;
        }
        if (this.stopped) break;
        this.opts.log?.(`${needList ? 'list' : 'watch'} of ${this.res.resource} failed: ${err.message}; retrying in ${delay} ms`);
        await this.sleep(delay);
        delay = Math.min(delay * 2, base * 30);
      }
    }
  }

  /** Lists and reconciles the cache with the answer. */
  private async relist(): Promise<void> {
    this.stats.lists++;
    const list = await this.api.list(this.res, this.namespace, { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector });
    const seen = new Set<string>();
    for (const item of list.items as T[]) {
      const k = key(item.metadata.namespace, item.metadata.name ?? '');
      seen.add(k);
      const old = this.cache.get(k);
      this.cache.set(k, item);
      if (!old) this.call('add', item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.call('update', item, old);
    }
    for (const [k, old] of [...this.cache]) {
      if (!seen.has(k)) {
        this.cache.delete(k);
        this.call('delete', old);
      }
    }
    this.rv = list.metadata.resourceVersion;
  }

  private onEvent(ev: WatchEvent): 'ok' | 'relist' {
    this.stats.events++;
    if (ev.type === 'ERROR') {
      const err = errorFromStatus(ev.object as unknown as Partial<Status>);
      if (err.code === 410) {
        this.stats.relists410++;
        return 'relist';
      }
      this.opts.log?.(`watch of ${this.res.resource} sent an error: ${err.message}; re-listing`);
      return 'relist';
    }
    const obj = ev.object as T;
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.rv = rv;
    if (ev.type === 'BOOKMARK') return 'ok';
    const k = key(obj.metadata.namespace, obj.metadata.name ?? '');
    const old = this.cache.get(k);
    if (ev.type === 'DELETED') {
      this.cache.delete(k);
      this.call('delete', obj);
    } else {
      this.cache.set(k, obj);
      if (old) this.call('update', obj, old);
      else this.call('add', obj);
    }
    return 'ok';
  }

  private call(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    try {
      if (kind === 'update') this.handlers.update?.(obj, old!);
      else this.handlers[kind]?.(obj);
    } catch (err) {
      this.opts.log?.(`informer ${kind} handler for ${this.res.resource} ${obj.metadata.name} threw: ${(err as Error).message}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

function key(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
