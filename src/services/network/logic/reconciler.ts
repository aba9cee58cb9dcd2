import type { Logger } from '../../../core/log.js';
import { NetworkDriverError } from '../../../drivers/network/driver.js';

export type SyncKind = 'net' | 'port' | 'router' | 'fip' | 'sg' | 'dhcp';
export type Handlers = Record<SyncKind, (id: string) => Promise<void>>;

const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 30_000;
/**
 * Kinds whose sync covers many ports (DHCP host lists, security group members) wait this long
 * after a change, so a burst of port changes costs one driver call, not one each.
 */
const DEBOUNCE_MS: Partial<Record<SyncKind, number>> = { dhcp: 25, sg: 25 };

/**
 * Drives stored intent into the network driver, one object at a time, like a Kubernetes
 * controller: `schedule(kind, id)` after a commit; a key that is already running is run once
 * more when it finishes, so bursts coalesce; a failed run is retried with exponential backoff
 * until it succeeds or the object is gone. Handlers read the current intent themselves, so a
 * late or repeated run is always correct.
 */
export class Reconciler {
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly retries = new Map<string, { attempt: number; timer: NodeJS.Timeout | null }>();
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; done: Promise<void>; fire: () => void }>();
  private closed = false;

  constructor(
    private readonly handlers: Handlers,
    private readonly log: Logger,
  ) {}

  schedule(kind: SyncKind, id: string): void {
    if (this.closed) return;
    const key = `${kind}:${id}`;
    const r = this.retries.get(key);
    if (r?.timer) {
      clearTimeout(r.timer);
      r.timer = null;
    }
    const delay = DEBOUNCE_MS[kind];
    if (delay === undefined) return this.now(key, kind, id);
    if (this.pending.has(key)) return;
    let fire!: () => void;
    const done = new Promise<void>((res) => (fire = res));
    const timer = setTimeout(() => {
      this.pending.delete(key);
      this.now(key, kind, id);
      fire();
    }, delay);
    this.pending.set(key, { timer, done, fire });
  }

  private now(key: string, kind: SyncKind, id: string): void {
    if (this.running.has(key)) this.dirty.add(key);
    else this.start(key, kind, id);
  }

  /** Resolves once the object's pending run (if any) is over; used to order dependent calls. */
  async wait(kind: SyncKind, id: string): Promise<void> {
    const key = `${kind}:${id}`;
    for (let p = this.pending.get(key)?.done ?? this.running.get(key); p; p = this.pending.get(key)?.done ?? this.running.get(key)) await p;
  }

  /** Resolves when nothing is running or about to (scheduled retries may still be waiting). */
  async idle(): Promise<void> {
    while (this.running.size || this.pending.size) {
      await Promise.all([...this.running.values(), ...[...this.pending.values()].map((p) => p.done)]);
    }
  }

  /** True when some object is waiting for a retry after a failure. */
  get failing(): number {
    return this.retries.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.retries.values()) if (r.timer) clearTimeout(r.timer);
    this.retries.clear();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.fire();
    }
    this.pending.clear();
    await this.idle();
  }

  private start(key: string, kind: SyncKind, id: string): void {
    const run = (async () => {
      await new Promise<void>((res) => setImmediate(res));
      try {
        await this.handlers[kind](id);
        this.retries.delete(key);
      } catch (e) {
        this.onFailure(key, kind, id, e);
      }
    })();
    this.running.set(key, run);
    void run.finally(() => {
      this.running.delete(key);
      if (this.dirty.delete(key) && !this.closed) this.start(key, kind, id);
    });
  }

  private onFailure(key: string, kind: SyncKind, id: string, e: unknown): void {
    const retryable = !(e instanceof NetworkDriverError) || e.retryable;
    const attempt = (this.retries.get(key)?.attempt ?? 0) + 1;
    this.log.warn(`sync ${key} failed (attempt ${attempt}): ${(e as Error)?.message ?? String(e)}`);
    if (!retryable || this.closed) {
      this.retries.delete(key);
      return;
    }
    const delay = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** (attempt - 1));
    const timer = setTimeout(() => {
      const r = this.retries.get(key);
      if (r) r.timer = null;
      this.schedule(kind, id);
    }, delay);
    timer.unref();
    this.retries.set(key, { attempt, timer });
  }
}
