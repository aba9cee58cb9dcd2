import type { StoreOps } from '../../../store/index.js';
import type { ComputeContext } from './context.js';
import { Repo } from './context.js';
import { E } from './errors.js';
import { DEFAULT_QUOTAS, KIND, QUOTA_RESOURCES, type QuotaRecord, type QuotaResource, type Server } from './models.js';

export type Limits = Record<QuotaResource, number>;
export type Amounts = Partial<Record<QuotaResource, number>>;

/** Resources counted from servers (the rest are per-request or owned by other services). */
export interface ServerUsage {
  instances: number;
  cores: number;
  ram: number;
}

/**
 * Nova's quotas: per-project limits over the defaults (`defaults` record, then the project's
 * record). Checks count usage inside the caller's transaction, so two creates racing for the
 * last slot cannot both pass.
 */
export class Quotas {
  readonly repo: Repo<QuotaRecord>;

  constructor(private readonly ctx: ComputeContext) {
    this.repo = new Repo<QuotaRecord>(ctx, KIND.quota, (id) => E.notFound(`Quota for ${id} could not be found.`));
  }

  async defaults(tx?: StoreOps): Promise<Limits> {
    const d = await this.repo.get('defaults', tx);
    return { ...DEFAULT_QUOTAS, ...(d?.limits ?? {}) };
  }

  async limits(projectId: string, tx?: StoreOps): Promise<Limits> {
    const [d, p] = await Promise.all([this.defaults(tx), this.repo.get(`project:${projectId}`, tx)]);
    return { ...d, ...(p?.limits ?? {}) };
  }

  async update(projectId: string, limits: Amounts): Promise<Limits> {
    await this.ctx.store.tx(async (tx) => {
      const id = `project:${projectId}`;
      const cur = await this.repo.get(id, tx);
      const next: QuotaRecord = { id, limits: { ...(cur?.limits ?? {}), ...limits } };
      if (cur) await this.repo.update(next, tx);
      else await this.repo.create(next, tx);
    });
    return this.limits(projectId);
  }

  async updateDefaults(limits: Amounts): Promise<Limits> {
    await this.ctx.store.tx(async (tx) => {
      const cur = await this.repo.get('defaults', tx);
      const next: QuotaRecord = { id: 'defaults', limits: { ...(cur?.limits ?? {}), ...limits } };
      if (cur) await this.repo.update(next, tx);
      else await this.repo.create(next, tx);
    });
    return this.defaults();
  }

  /** Back to the defaults. */
  async reset(projectId: string): Promise<void> {
    await this.repo.delete(`project:${projectId}`);
  }

  /** Instances, cores and RAM the project's servers hold. */
  async serverUsage(projectId: string, tx?: StoreOps): Promise<ServerUsage> {
    const servers = (await (tx ?? this.ctx.store).find<Server>(KIND.server, { where: { projectId } })).map((r) => r.data);
    return {
      instances: servers.length,
      cores: servers.reduce((n, s) => n + s.flavor.vcpus, 0),
      ram: servers.reduce((n, s) => n + s.flavor.ram, 0),
    };
  }

  /**
   * Refuses (403, Nova's "Quota exceeded for …") when `used + requested` passes a limit;
   * -1 is unlimited. Checks resources in the order given.
   */
  async check(projectId: string, requested: Amounts, used: Amounts, tx?: StoreOps): Promise<void> {
    const limits = await this.limits(projectId, tx);
    for (const r of Object.keys(requested) as QuotaResource[]) {
      const want = requested[r] ?? 0;
      const have = used[r] ?? 0;
      const limit = limits[r];
      if (limit >= 0 && have + want > limit) throw E.quota(r, want, have, limit);
    }
  }

  /** How many servers (between min and max) fit the project's instance, core and RAM quotas. */
  async fit(projectId: string, per: { cores: number; ram: number }, min: number, max: number, tx: StoreOps): Promise<number> {
    const limits = await this.limits(projectId, tx);
    const used = await this.serverUsage(projectId, tx);
    const room = (limit: number, have: number, each: number) => (limit < 0 || each === 0 ? Infinity : Math.floor((limit - have) / each));
    const n = Math.min(max, room(limits.instances, used.instances, 1), room(limits.cores, used.cores, per.cores), room(limits.ram, used.ram, per.ram));
    if (n >= min) return n;
    // Name the first resource that refuses `min`, as Nova does.
    await this.check(projectId, { instances: min, cores: per.cores * min, ram: per.ram * min }, used, tx);
    return min;
  }
}

export function isQuotaResource(k: string): k is QuotaResource {
  return (QUOTA_RESOURCES as readonly string[]).includes(k);
}
