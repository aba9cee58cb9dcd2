import type { Store } from '../../../store/index.js';
import type { Point } from './aggregation.js';
import { addMeasures } from './archive.js';
import { KIND, type ArchivePolicy, type Metric } from './models.js';

interface Pending {
  metricId: string;
  measures: Point[];
  resolve: (kept: number) => void;
  reject: (e: unknown) => void;
}

/**
 * Aggregates measures on write, group-committed: every request queued while a transaction
 * runs goes into the next one, so N concurrent POSTs cost one fsync, not N. A promise
 * resolves only after its transaction committed (the store's writes are durable then), so an
 * acknowledged POST survives kill -9.
 */
// NOTE: Gnocchi acknowledges measures (202) before metricd aggregates them; Stratus aggregates
// inside the request instead, so reads right after a POST see the measures and no backlog can
// build up. `refresh=true` is accepted and has nothing left to do.
export class MeasureWriter {
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;
  /** Totals since start, for /v1/status and the benchmark. */
  readonly stats = { batches: 0, measures: 0, dropped: 0 };

  constructor(
    private readonly store: Store,
    private readonly policyOf: (name: string) => Promise<ArchivePolicy>,
  ) {}

  /** Resolves with how many measures were kept once they are durable. */
  add(metricId: string, measures: Point[]): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ metricId, measures, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Waits until everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      // NOTE: better-sqlite3 commits (and fsyncs) synchronously, holding the event loop; yielding
      // once before each batch lets requests that arrived meanwhile join it.
      await new Promise((r) => setImmediate(r));
      while (this.queue.length) {
        const batch = this.queue;
        this.queue = [];
        await this.write(batch);
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.running = undefined;
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const byMetric = new Map<string, Pending[]>();
    for (const p of batch) {
      let list = byMetric.get(p.metricId);
      if (!list) byMetric.set(p.metricId, (list = []));
      list.push(p);
    }
    const kept = new Map<Pending, number>();
    try {
      await this.store.tx(async (tx) => {
        kept.clear();
        for (const [metricId, items] of byMetric) {
          const metric = (await tx.get<Metric>(KIND.metric, metricId))?.data;
          // A metric deleted meanwhile: its measures go with it, as in Gnocchi.
          if (!metric) {
            for (const p of items) kept.set(p, 0);
            continue;
          }
          const policy = await this.policyOf(metric.archivePolicyName);
          const all = items.flatMap((p) => p.measures);
          const n = await addMeasures(tx, metricId, policy, all);
          // Attribute kept counts in order; the dropped ones are the oldest, whoever sent them.
          let left = n;
          for (const p of items) {
            const k = Math.min(p.measures.length, left);
            kept.set(p, k);
            left -= k;
          }
        }
      });
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    this.stats.batches++;
    for (const p of batch) {
      const k = kept.get(p) ?? 0;
      this.stats.measures += k;
      this.stats.dropped += p.measures.length - k;
      p.resolve(k);
    }
  }
}
