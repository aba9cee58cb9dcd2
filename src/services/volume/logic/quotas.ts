import { badRequest } from '../../../core/errors.js';
import type { StoreOps } from '../../../store/index.js';
import { overQuota, Repo, type VolumeContext } from './context.js';
import {
  DEFAULT_QUOTAS,
  QUOTA_RESOURCES,
  TYPED_RESOURCES,
  type QuotaLimits,
  type QuotaResource,
  type QuotaSet,
  type QuotaUsage,
  type Snapshot,
  type TypedLimits,
  type TypeQuotaMap,
  type Volume,
} from './models.js';

/** What a request would add to a project's usage. */
export interface QuotaDelta {
  volumes?: number;
  snapshots?: number;
  gigabytes?: number;
  /** Size of the one volume being created or extended, for per_volume_gigabytes. */
  volumeSize?: number;
  /** The volume type the new usage belongs to, for the per-type limits. */
  typeId?: string;
}

/** A limits patch: the project-wide resources and the per-type ones (by type id). */
export interface QuotaPatch {
  limits: Partial<QuotaLimits>;
  typeLimits: TypeQuotaMap;
}

const UNLIMITED: TypedLimits = { volumes: -1, gigabytes: -1, snapshots: -1 };
const MAX_LIMIT = 2147483647;

function mergeTypes(...maps: (TypeQuotaMap | undefined)[]): TypeQuotaMap {
  const out: TypeQuotaMap = {};
  for (const m of maps) for (const [id, l] of Object.entries(m ?? {})) out[id] = { ...(out[id] ?? {}), ...l };
  return out;
}

/**
 * Per-project limits (defaults overridden per project by admins) and usage counted from the
 * records themselves, so usage can never drift. Checks run inside the transaction that
 * creates the record, so two concurrent requests cannot both pass the last free slot.
 * Besides the project-wide limits, each volume type has its own volumes, gigabytes and
 * snapshots limits (unlimited unless set), as Cinder's `volumes_<type>` keys.
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
    const [base, named] = await this.classSets(className, tx);
    return { ...DEFAULT_QUOTAS, ...(base?.limits ?? {}), ...(named?.limits ?? {}) };
  }

  /** The per-type limits of a quota class, by type id (types not named: unlimited). */
  async typeDefaults(className = 'default', tx?: StoreOps): Promise<TypeQuotaMap> {
    const [base, named] = await this.classSets(className, tx);
    return mergeTypes(base?.typeLimits, named?.typeLimits);
  }

  async limits(projectId: string, tx?: StoreOps): Promise<QuotaLimits> {
    const own = await this.repo.get(projectId, tx);
    return { ...(await this.defaults('default', tx)), ...(own?.limits ?? {}) };
  }

  async typeLimits(projectId: string, tx?: StoreOps): Promise<TypeQuotaMap> {
    const own = await this.repo.get(projectId, tx);
    return mergeTypes(await this.typeDefaults('default', tx), own?.typeLimits);
  }

  /** One type's limits out of a map (unset ones unlimited). */
  static typed(map: TypeQuotaMap, typeId: string): TypedLimits {
    return { ...UNLIMITED, ...(map[typeId] ?? {}) };
  }

  async usage(projectId: string, tx?: StoreOps): Promise<QuotaUsage> {
    const ops = tx ?? this.ctx.store;
    const volumes = (await ops.find<Volume>('volume.volume', { where: { projectId } })).map((r) => r.data);
    const snapshots = (await ops.find<Snapshot>('volume.snapshot', { where: { projectId } })).map((r) => r.data);
    const byType: Record<string, TypedLimits> = {};
    const bucket = (typeId: string) => (byType[typeId] ??= { volumes: 0, gigabytes: 0, snapshots: 0 });
    const typeOf = new Map(volumes.map((v) => [v.id, v.volumeTypeId]));
    for (const v of volumes) {
      bucket(v.volumeTypeId).volumes += 1;
      bucket(v.volumeTypeId).gigabytes += v.size;
    }
    for (const s of snapshots) {
      const t = typeOf.get(s.volumeId);
      if (t === undefined) continue;
      bucket(t).snapshots += 1;
      bucket(t).gigabytes += s.size;
    }
    const gigabytes = volumes.reduce((n, v) => n + v.size, 0) + snapshots.reduce((n, s) => n + s.size, 0);
    return { volumes: volumes.length, snapshots: snapshots.length, gigabytes, byType };
  }

  /** Throws 413 overLimit when `delta` would take the project past a limit. */
  async check(tx: StoreOps, projectId: string, delta: QuotaDelta): Promise<void> {
    const limits = await this.limits(projectId, tx);
    const perVolume = limits.per_volume_gigabytes;
    if (delta.volumeSize !== undefined && perVolume >= 0 && delta.volumeSize > perVolume) {
      throw overQuota('VolumeSizeExceedsLimit', `Requested volume size ${delta.volumeSize}G is larger than maximum allowed limit ${perVolume}G.`);
    }
    const used = await this.usage(projectId, tx);
    this.checkSet(delta, limits, used, '');
    if (delta.typeId !== undefined) {
      const typed = Quotas.typed(await this.typeLimits(projectId, tx), delta.typeId);
      const typedUse = used.byType[delta.typeId] ?? { volumes: 0, gigabytes: 0, snapshots: 0 };
      this.checkSet(delta, typed, typedUse, ' of this volume type');
    }
  }

  private checkSet(delta: QuotaDelta, limits: TypedLimits, used: TypedLimits, scope: string): void {
    const over = (r: 'volumes' | 'snapshots' | 'gigabytes', add = 0) => add > 0 && limits[r] >= 0 && used[r] + add > limits[r];
    if (over('gigabytes', delta.gigabytes)) {
      throw overQuota(
        'VolumeSizeExceedsAvailableQuota',
        `Requested volume or snapshot exceeds allowed gigabytes quota${scope}. Requested ${delta.gigabytes}G, quota is ${limits.gigabytes}G and ${used.gigabytes}G has been consumed.`,
      );
    }
    if (over('volumes', delta.volumes)) {
      throw overQuota('VolumeLimitExceeded', `Maximum number of volumes allowed (${limits.volumes}) exceeded for quota 'volumes'${scope}.`);
    }
    if (over('snapshots', delta.snapshots)) {
      throw overQuota('SnapshotLimitExceeded', `Maximum number of snapshots allowed (${limits.snapshots}) exceeded for quota 'snapshots'${scope}.`);
    }
  }

  /** Sets some limits of a project; returns the resulting limits. */
  async update(projectId: string, patch: QuotaPatch): Promise<{ limits: QuotaLimits; typeLimits: TypeQuotaMap }> {
    await this.save(this.repo, projectId, patch);
    this.ctx.changed('quota', 'updated', projectId, projectId);
    return { limits: await this.limits(projectId), typeLimits: await this.typeLimits(projectId) };
  }

  /** Sets some limits of a quota class; returns the class's limits. */
  async updateClass(className: string, patch: QuotaPatch): Promise<{ limits: QuotaLimits; typeLimits: TypeQuotaMap }> {
    await this.save(this.classes, className, patch);
    this.ctx.changed('quota-class', 'updated', className);
    return { limits: await this.defaults(className), typeLimits: await this.typeDefaults(className) };
  }

  private async save(repo: Repo<QuotaSet>, id: string, patch: QuotaPatch): Promise<void> {
    const valid = (k: string, v: number) => {
      if (!Number.isInteger(v) || v < -1 || v > MAX_LIMIT) throw badRequest(`Invalid input received: Quota limit ${v} for ${k} must be an integer from -1 to ${MAX_LIMIT}.`);
    };
    for (const [k, v] of Object.entries(patch.limits)) {
      if (!QUOTA_RESOURCES.includes(k as QuotaResource)) throw badRequest(`Bad key(s) in quota set: ${k}`);
      valid(k, v);
    }
    for (const [typeId, l] of Object.entries(patch.typeLimits)) {
      for (const [k, v] of Object.entries(l)) {
        if (!TYPED_RESOURCES.includes(k as (typeof TYPED_RESOURCES)[number])) throw badRequest(`Bad key(s) in quota set: ${k}`);
        valid(`${k} of volume type ${typeId}`, v);
      }
    }
    await this.ctx.store.tx(async (tx) => {
      const cur = await repo.get(id, tx);
      const next: QuotaSet = { id, limits: { ...(cur?.limits ?? {}), ...patch.limits }, typeLimits: mergeTypes(cur?.typeLimits, patch.typeLimits) };
      if (cur) await repo.put(next, tx);
      else await repo.create(next, tx);
    });
  }

  /** Back to the defaults. */
  async reset(projectId: string): Promise<void> {
    if (await this.repo.delete(projectId)) this.ctx.changed('quota', 'deleted', projectId, projectId);
  }

  private async classSets(className: string, tx?: StoreOps): Promise<[QuotaSet | undefined, QuotaSet | undefined]> {
    const named = className === 'default' ? undefined : await this.classes.get(className, tx);
    return [await this.classes.get('default', tx), named];
  }
}
