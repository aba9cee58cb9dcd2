import { SingleFlightTimer } from '../../../core/periodic.js';
import type { Containers } from './containers.js';
import type { StorageContext } from './context.js';
import { invalidArgument } from './errors.js';
import { KIND, type ContainerRecord, type ObjectLocation, type ObjectRecord } from './models.js';
import type { Objects } from './objects.js';
import { openRange } from './reader.js';

/**
 * The sync realms this cluster knows (Swift's container-sync-realms.conf), realm → clusters,
 * lower case. One realm with one cluster, this cloud: containers sync within it.
 * NOTE: `realm1`/`name1` are the names of Swift's sample realms file, which tempest assumes.
 */
export const SYNC_REALMS: Record<string, string[]> = { realm1: ['name1'] };

export interface SyncTarget {
  account: string;
  container: string;
}

/**
 * Validates an X-Container-Sync-To value: `//<realm>/<cluster>/<account>/<container>` naming
 * a known realm and cluster. Returns the target in this cluster; throws BadRequest otherwise.
 */
export function parseSyncTo(v: string): SyncTarget {
  const realms = Object.entries(SYNC_REALMS).map(([r, cs]) => `${r}/${cs.join('|')}`).join(', ');
  if (!v.startsWith('//')) {
    throw invalidArgument(`Invalid X-Container-Sync-To ${JSON.stringify(v)}: use //<realm>/<cluster>/<account>/<container> (known realms: ${realms}); URLs to other clusters are not supported.`);
  }
  const parts = v.slice(2).split('/');
  if (parts.length !== 4 || parts.some((p) => !p)) throw invalidArgument(`Invalid X-Container-Sync-To ${JSON.stringify(v)}: expected //<realm>/<cluster>/<account>/<container>.`);
  const [realm, cluster, account, container] = parts as [string, string, string, string];
  const clusters = SYNC_REALMS[realm.toLowerCase()];
  if (!clusters) throw invalidArgument(`No realm key for ${JSON.stringify(realm)} (known realms: ${realms}).`);
  if (!clusters.includes(cluster.toLowerCase())) throw invalidArgument(`No cluster endpoint for ${JSON.stringify(realm)} ${JSON.stringify(cluster)}.`);
  return { account, container };
}

/**
 * Container sync: every pass, each container with X-Container-Sync-To pushes its objects to
 * the target container, if that one exists and has the same X-Container-Sync-Key (as Swift's
 * receiving side demands). Copies keep the source's timestamp, so a newer object is never
 * replaced by an older one, and two containers syncing to each other settle to the same list.
 *
 * NOTE: deletions are not carried over (Swift syncs them from tombstones, which this store
 * does not keep); a sync pass compares whole containers, fine for a one-machine cloud.
 */
export class ContainerSync {
  private readonly passes = new SingleFlightTimer(
    () => this.run(),
    (e) => this.ctx.log.warn(`container sync: ${String(e)}`),
  );

  constructor(
    private readonly ctx: StorageContext,
    private readonly containers: Containers,
    private readonly objects: Objects,
  ) {}

  /** One pass over all syncing containers; resolves with how many objects were copied. */
  syncAll(): Promise<number> {
    return this.passes.run();
  }

  private async run(): Promise<number> {
    const all = (await this.ctx.store.find<ContainerRecord>(KIND.container, { shared: true })).map((r) => r.data);
    let n = 0;
    for (const src of all.filter((c) => c.syncTo)) {
      n += await this.syncOne(src).catch((e: unknown) => {
        this.ctx.log.warn(`container sync ${src.id}: ${String(e)}`);
        return 0;
      });
    }
    return n;
  }

  private async syncOne(src: ContainerRecord): Promise<number> {
    let target: SyncTarget;
    try {
      target = parseSyncTo(src.syncTo!);
    } catch {
      return 0;
    }
    const dst = await this.containers.find(target.account, target.container);
    if (!dst || dst.id === src.id || !src.syncKey || dst.syncKey !== src.syncKey) return 0;
    let n = 0;
    for (const obj of await this.containers.objects(src.account, src.name)) {
      const loc: ObjectLocation = { account: dst.account, container: dst.name, name: obj.name };
      const have = await this.objects.find(loc);
      if (have && Number(have.timestamp) >= Number(obj.timestamp)) continue;
      if (await this.copy(obj, loc)) n++;
    }
    return n;
  }

  /** Copies one object with its timestamp; false when it changed meanwhile (next pass retries). */
  private async copy(obj: ObjectRecord, loc: ObjectLocation): Promise<boolean> {
    const attrs = { contentType: obj.contentType, meta: obj.meta, ...pick(obj) };
    try {
      if (obj.blobKey === null) {
        await this.objects.commit(loc, { blobKey: null, size: obj.size, etag: obj.etag }, attrs, { timestamp: obj.timestamp });
        return true;
      }
      const body = await openRange(this.ctx.blobs, { size: obj.size, etag: obj.etag, parts: [{ blobKey: obj.blobKey, offset: 0, length: obj.size }] });
      try {
        await this.objects.put(loc, body, attrs, { expectedSize: obj.size, expectedEtag: obj.etag, timestamp: obj.timestamp });
      } finally {
        body.destroy();
      }
      return true;
    } catch (e) {
      this.ctx.log.debug(`container sync ${obj.id} → ${loc.account}/${loc.container}: ${String(e)}`);
      return false;
    }
  }

  start(intervalMs: number): void {
    this.passes.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }
}

function pick(o: ObjectRecord) {
  const out: { contentDisposition?: string; contentEncoding?: string; deleteAt?: number; manifest?: ObjectRecord['manifest'] } = {};
  if (o.contentDisposition !== undefined) out.contentDisposition = o.contentDisposition;
  if (o.contentEncoding !== undefined) out.contentEncoding = o.contentEncoding;
  if (o.deleteAt !== undefined) out.deleteAt = o.deleteAt;
  if (o.manifest !== undefined) out.manifest = o.manifest;
  return out;
}
