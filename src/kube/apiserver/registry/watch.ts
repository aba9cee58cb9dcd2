import type { Watch, WatchOptions } from '../../api.js';
import { KubeError } from '../../errors.js';
import type { ResourceType } from '../../resources.js';
import { apiVersionOf } from '../../resources.js';
import type { KubeObject, WatchEvent } from '../../types.js';
import { copy, type Entry, type KubeStore, type StoreEvent } from '../../store/store.js';

export interface WatchContext {
  store: KubeStore;
  res: ResourceType;
  prefix: string;
  matches: (obj: Readonly<KubeObject>) => boolean;
  opts: WatchOptions;
  bookmarkIntervalMs: number;
  onEvent: (event: WatchEvent) => void;
  log: (msg: string) => void;
  /** Called when the watch ends (the registry forgets it). */
  onDone: (w: RegistryWatch) => void;
}

/**
 * One watch: replays history (or synthesizes ADDED for the current state), then follows live
 * writes. Events are queued synchronously inside the store write and delivered from a
 * microtask, one at a time and in revision order; an `onEvent` that writes to the store just
 * appends to the queue. Selector transitions: an object that stops matching arrives as
 * DELETED, one that starts matching as ADDED.
 */
export class RegistryWatch implements Watch {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private queue: (WatchEvent | { raw: StoreEvent })[] = [];
  private head = 0;
  private draining = false;
  private stopped = false;
  private unsubscribe: () => void = () => undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly ctx: WatchContext) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Synchronous: subscribes and reads history in one step, so no write falls between. */
  start(): void {
    const { store, opts, prefix } = this.ctx;
    const rv = opts.resourceVersion;
    const fromState = rv === undefined || rv === '' || rv === '0' || opts.sendInitialEvents === true;
    let replay: StoreEvent[] = [];
    let from = 0;
    if (!fromState) {
      from = Number(rv);
      if (!Number.isSafeInteger(from) || from < 0) throw KubeError.badRequest(`invalid resource version "${rv}": must be a non-negative integer`);
      replay = store.since(from); // throws 410 below the history
    }
    this.unsubscribe = store.subscribe((ev) => {
      if (ev.rev > from && ev.entry.key.startsWith(prefix)) this.push({ raw: ev });
    });
    if (fromState) {
      for (const entry of store.list(prefix)) if (this.ctx.matches(entry.obj)) this.queue.push({ type: 'ADDED', object: copy(entry) });
      if (opts.sendInitialEvents === true) this.queue.push(this.bookmark(true));
    } else {
      for (const ev of replay) if (ev.entry.key.startsWith(prefix)) this.queue.push({ raw: ev });
    }
    if (opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0) {
      this.timers.push(setTimeout(() => this.stop(), opts.timeoutSeconds * 1000));
    }
    if (opts.allowWatchBookmarks) {
      const t = setInterval(() => this.push(this.bookmark(false)), this.ctx.bookmarkIntervalMs);
      t.unref();
      this.timers.push(t);
    }
    this.schedule();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
    this.queue = [];
    this.head = 0;
    this.ctx.onDone(this);
    this.resolveDone();
  }

  private bookmark(initialEnd: boolean): WatchEvent {
    const metadata: KubeObject['metadata'] = { resourceVersion: String(this.ctx.store.revision()) };
    if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    return { type: 'BOOKMARK', object: { kind: this.ctx.res.kind, apiVersion: apiVersionOf(this.ctx.res), metadata } };
  }

  private push(item: WatchEvent | { raw: StoreEvent }): void {
    if (this.stopped) return;
    this.queue.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (this.draining || this.head >= this.queue.length) return;
    this.draining = true;
    queueMicrotask(() => this.drain());
  }

  private drain(): void {
    try {
      while (!this.stopped && this.head < this.queue.length) {
        const item = this.queue[this.head++]!;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        const ev = 'raw' in item ? this.translate(item.raw) : item;
        if (!ev) continue;
        try {
          this.ctx.onEvent(ev);
        } catch (e) {
          this.ctx.log(`watch ${this.ctx.prefix}: event handler threw: ${(e as Error).message}`);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private translate(ev: StoreEvent): WatchEvent | undefined {
    const was = ev.prev !== null && this.ctx.matches(ev.prev.obj);
    if (ev.type === 'DELETED') return was || this.ctx.matches(ev.entry.obj) ? { type: 'DELETED', object: copy(ev.entry) } : undefined;
    const now = this.ctx.matches(ev.entry.obj);
    if (now && was && ev.type === 'MODIFIED') return { type: 'MODIFIED', object: copy(ev.entry) };
    if (now) return { type: 'ADDED', object: copy(ev.entry) };
    if (was) return { type: 'DELETED', object: copy(ev.entry as Entry) };
    return undefined;
  }
}
