import { KubeError } from '../errors.js';

/**
 * A work queue of keys with the client-go semantics controllers rely on:
 * - a key queued several times before a worker takes it is processed once;
 * - a key is never processed by two workers at once (re-added while processing → processed
 *   again afterwards);
 * - a failing key is retried with exponential back-off (5 ms … 30 s; 409 Conflicts retry at
 *   the shortest delay), and the back-off resets after a success;
 * - `addAfter` schedules a key for later (deadlines, minReadySeconds) without busy loops.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private running = 0;
  private stopped = false;
  /** Keys accumulate but are not processed until `start()` (after the informers synced). */
  private started = false;
  private idleWaiters: (() => void)[] = [];
  /** Bumped on every add: lets `idle()` callers see whether anything happened meanwhile. */
  activity = 0;

  constructor(
    readonly name: string,
    private readonly worker: (key: string) => Promise<void>,
    private readonly log: (m: string) => void,
    private readonly concurrency = 2,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.activity++;
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.processing.has(key)) this.queue.push(key);
    this.pump();
  }

  /** Adds `key` after `ms`; an earlier pending schedule for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Resolves when nothing is queued or being processed (scheduled `addAfter` keys don't count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  isIdle(): boolean {
    return this.queue.length === 0 && this.running === 0;
  }

  start(): void {
    this.started = true;
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queue.length = 0;
    this.dirty.clear();
    this.notifyIdle();
  }

  async drain(): Promise<void> {
    while (this.running > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.started && !this.stopped && this.running < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.dirty.delete(key);
      this.processing.add(key);
      this.running++;
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    try {
      await this.worker(key);
      this.failures.delete(key);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const conflict = err instanceof KubeError && err.code === 409;
      const delay = conflict ? 5 : Math.min(5 * 2 ** n, 30_000);
      if (!conflict || n > 5) this.log(`${this.name} ${key}: ${(err as Error).message} (retry ${n} in ${delay} ms)`);
      this.addAfter(key, delay);
    } finally {
      this.processing.delete(key);
      this.running--;
      if (this.dirty.has(key)) this.queue.push(key);
      this.pump();
      if (this.isIdle()) this.notifyIdle();
    }
  }

  private notifyIdle(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }
}
