import { SingleFlightTimer } from '../../../core/periodic.js';
import type { StorageContext } from './context.js';
import { KIND, type ExpiryRecord, type ObjectRecord } from './models.js';
import type { Objects } from './objects.js';

/**
 * Removes objects whose X-Delete-At has passed. Reads already hide them the moment they
 * expire; this reclaims their records, bytes and counters. The queue is its own record kind
 * (like Swift's expirer queue), so a sweep reads only objects that carry an expiry.
 */
export class Expirer {
  private readonly passes = new SingleFlightTimer(
    () => this.run(),
    (e) => this.ctx.log.warn(`expirer: ${String(e)}`),
  );

  constructor(
    private readonly ctx: StorageContext,
    private readonly objects: Objects,
  ) {}

  /** Deletes expired objects (optionally only those of one container); returns how many. */
  sweep(only?: { account: string; container: string }): Promise<number> {
    return only ? this.run(only) : this.passes.run();
  }

  private async run(only?: { account: string; container: string }): Promise<number> {
    const now = this.ctx.now();
    const due = (await this.ctx.store.find<ExpiryRecord>(KIND.expiry)).map((r) => r.data).filter((e) => e.deleteAt <= now);
    let n = 0;
    for (const e of due) {
      const rec = (await this.ctx.store.get<ObjectRecord>(KIND.object, e.objectId))?.data;
      if (!rec) {
        await this.ctx.store.delete(KIND.expiry, e.id);
        continue;
      }
      if (only && (rec.account !== only.account || rec.container !== only.container)) continue;
      const deleted = await this.objects.delete(rec, { expiredAt: e.deleteAt }).then(
        () => true,
        () => false,
      );
      if (deleted) n++;
    }
    return n;
  }

  start(intervalMs: number): void {
    this.passes.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }
}
