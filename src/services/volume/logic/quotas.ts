import { badRequest } from '../../../core/errors.js';
import type { StoreOps } from '../../../store/index.js';
import { overQuota, Repo, type VolumeContext } from './context.js';
import { DEFAULT_QUOTAS, QUOTA_RESOURCES, type QuotaLimits, type QuotaResource, type QuotaSet, type QuotaUsage, type Snapshot, type Volume } from './models.js';

/** What a request would add to a project's usage. */
export interface QuotaDelta {
  volumes?: number;
  snapshots?: number;
  gigabytes?: number;
  /** Size of the one volume being created or extended, for per_volume_gigabytes. */
  volumeSize?: number;
}

/**
 * Per-project limits (defaults overridden per project by admins) and usage counted from the
 * records themselves, so usage can never drift. Checks run inside the transaction that
 * creates the record, so two concurrent requests cannot both pass the last free slot.
 */
export class Quotas {
  readonly repo: Repo<QuotaSet>;
  /** Quota classes; the `default` class overrides the built-in defaults for every project. */
  readonly classes: Repo<QuotaSet>;

  constructor(private readonly ctx: VolumeContext) {
    this.repo = new Repo<QuotaSet>(ctx, 'volume.quota', 'Quota');
    this.classes = new Repo<QuotaSet>(ctx, 'volume.quota-class', 'Quota class');
  }

  /** The limits of a quota class (`default` unless named). */
  async defaults(className = 'default', tx?: StoreOps): Promise<QuotaLimits> {
    const named = className === 'default' ? undefined : await this.classes.get(className, tx);
    const base = await this.classes.get('default', tx);
    return { ...DEFAULT_QUOTAS, ...(base?.limits ?? {}), ...(named?.limits ?? {}) };
  }

  async limits(projectId: string, tx?: StoreOps): Promise<QuotaLimits> {
    const own = await this.repo.get(projectId, tx);
    return { ...(await this.defaults('default', tx)), ...(own?.limits ?? {}) };
  }

  async usage(projectId: string, tx?: StoreOps): Promise<QuotaUsage> {
    const ops = tx ?? this.ctx.store;
    const volumes = (await ops.find<Volume>('volume.volume', { where: { projectId } })).map((r) => r.data);
    const snapshots = (await ops.find<Snapshot>('volume.snapshot', { where: { projectId } })).map((r) => r.data);
    const gigabytes = volumes.reduce((n, v) => n + v.size, 0) + snapshots.reduce((n, s) => n + s.size, 0);
    return { volumes: volumes.length, snapshots: snapshots.length, gigabytes };
  }

  /** Throws 413 overLimit when `delta` would take the project past a limit. */
  async check(tx: StoreOps, projectId: string, delta: QuotaDelta): Promise<void> {
    const limits = await this.limits(projectId, tx);
    const perVolume = limits.per_volume_gigabytes;
    if (delta.volumeSize !== undefined && perVolume >= 0 && delta.volumeSize > perVolume) {
      throw overQuota('VolumeSizeExceedsLimit', `Requested volume size ${delta.volumeSize}G is larger than maximum allowed limit ${perVolume}G.`);
    }
    const used = await this.usage(projectId, tx);
    const over = (r: 'volumes' | 'snapshots' | 'gigabytes', add = 0) => add > 0 && limits[r] >= 0 && used[r] + add > limits[r];
    if (over('gigabytes', delta.gigabytes)) {
      throw overQuota(
        'VolumeSizeExceedsAvailableQuota',
        `Requested volume or snapshot exceeds allowed gigabytes quota. Requested ${delta.gigabytes}G, quota is ${limits.gigabytes}G and ${used.gigabytes}G has been consumed.`,
      );
    }
    if (over('volumes', delta.volumes)) {
      throw overQuota('VolumeLimitExceeded', `Maximum number of volumes allowed (${limits.volumes}) exceeded for quota 'volumes'.`);
    }
    if (over('snapshots', delta.snapshots)) {
      throw overQuota('SnapshotLimitExceeded', `Maximum number of snapshots allowed (${limits.snapshots}) exceeded for quota 'snapshots'.`);
    }
  }

  /** Sets some limits of a project; returns the resulting limits. */
  async update(projectId: string, patch: Partial<QuotaLimits>): Promise<QuotaLimits> {
    await this.save(this.repo, projectId, patch);
    this.ctx.changed('quota', 'updated', projectId, projectId);
    return this.limits(projectId);
  }

  /** Sets some limits of a quota class; returns the class's limits. */
  async updateClass(className: string, patch: Partial<QuotaLimits>): Promise<QuotaLimits> {
    await this.save(this.classes, className, patch);
    this.ctx.changed('quota-class', 'updated', className);
    return this.defaults(className);
  }

  private async save(repo: Repo<QuotaSet>, id: string, patch: Partial<QuotaLimits>): Promise<void> {
    for (const [k, v] of Object.entries(patch)) {
      if (!QUOTA_RESOURCES.includes(k as QuotaResource)) throw badRequest(`Bad key(s) in quota set: ${k}`);
      if (!Number.isInteger(v) || v < -1 || v > 2147483647) throw badRequest(`Invalid input received: Quota limit ${v} for ${k} must be an integer from -1 to 2147483647.`);
    }
    await this.ctx.store.tx(async (tx) => {
      const cur = await repo.get(id, tx);
      const next: QuotaSet = { id, limits: { ...(cur?.limits ?? {}), ...patch } };
      if (cur) await repo.put(next, tx);
      else await repo.create(next, tx);
    });
  }

  /** Back to the defaults. */
  async reset(projectId: string): Promise<void> {
    if (await this.repo.delete(projectId)) this.ctx.changed('quota', 'deleted', projectId, projectId);
  }
}
