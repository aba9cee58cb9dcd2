import type { Logger } from '../../../core/log.js';
import type { WorkRef } from './context.js';

/**
 * A small work queue in the style of a Kubernetes controller: `kick(ref)` asks for a record to
 * be looked at; each record is worked on by at most one worker at a time, and a kick that
 * arrives while it is being worked on runs it once more afterwards. `stop()` takes no new
 * work and waits for what is running.
 */
export class Reconciler {
  private readonly queue = new Map<string, WorkRef>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly work: (ref: WorkRef) => Promise<void>,
    private readonly log: Logger,
    private readonly concurrency = 4,
  ) {}

  kick(ref: WorkRef): void {
    if (this.stopped) return;
    const key = `${ref.kind}:${ref.id}`;
    if (this.running.has(key)) this.again.add(key);
    else this.queue.set(key, ref);
    this.pump();
  }

  /** Resolves when nothing is queued or running (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.queue.size === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.clear();
    this.again.clear();
    await Promise.allSettled([...this.inflight]);
    this.wake();
  }

  private pump(): void {
    for (const [key, ref] of this.queue) {
      if (this.stopped || this.running.size >= this.concurrency) break;
      if (this.running.has(key)) continue;
      this.queue.delete(key);
      this.start(key, ref);
    }
    this.wake();
  }

  private start(key: string, ref: WorkRef): void {
    this.running.add(key);
    const p: Promise<void> = this.work(ref)
      .catch((e: unknown) => this.log.error(`reconcile ${key} failed: ${(e as Error)?.stack ?? String(e)}`))
      .finally(() => {
        this.running.delete(key);
        this.inflight.delete(p);
        if (this.again.delete(key) && !this.stopped) this.queue.set(key, ref);
        this.pump();
      });
    this.inflight.add(p);
  }

  private wake(): void {
    if (this.queue.size || this.running.size) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
