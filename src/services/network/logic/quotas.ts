import { E } from '../errors.js';
import type { NetContext } from './context.js';
import type { Repos } from './repos.js';

/** Neutron's default per-project limits (-1 is unlimited). */
export const QUOTA_DEFAULTS: Record<string, number> = {
  network: 100,
  subnet: 100,
  subnetpool: -1,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
};

export type QuotaResource = keyof typeof QUOTA_DEFAULTS;

/**
 * Quotas with enforcement. `check` runs inside the creating transaction, so concurrent creates
 * cannot overshoot a limit.
 */
export class Quotas {
  constructor(
    private readonly ctx: NetContext,
    private readonly r: Repos,
  ) {}

  private repoOf(res: string) {
    const r = this.r;
    const m = { network: r.networks, subnet: r.subnets, subnetpool: r.pools, port: r.ports, router: r.routers, floatingip: r.fips, security_group: r.sgs, security_group_rule: r.rules };
    return m[res as keyof typeof m];
  }

  async limits(projectId: string): Promise<Record<string, number>> {
    const q = await this.r.quotas.get(projectId);
    return { ...QUOTA_DEFAULTS, ...(q?.limits ?? {}) };
  }

  async used(projectId: string, res: string): Promise<number> {
    return this.repoOf(res)!.count({ projectId });
  }

  async details(projectId: string): Promise<Record<string, { limit: number; used: number; reserved: number }>> {
    const lim = await this.limits(projectId);
    const out: Record<string, { limit: number; used: number; reserved: number }> = {};
    for (const [res, limit] of Object.entries(lim)) out[res] = { limit, used: await this.used(projectId, res), reserved: 0 };
    return out;
  }

  /** Throws OverQuota when `adding` more of `res` would exceed the project's limit. */
  async check(projectId: string, res: QuotaResource, adding = 1): Promise<void> {
    if (projectId === '') return;
    const limit = (await this.limits(projectId))[res]!;
    if (limit < 0) return;
    if ((await this.used(projectId, res)) + adding > limit) throw E.overQuota([res]);
  }

  /** Projects with limits set explicitly. */
  async listSet(): Promise<{ projectId: string; limits: Record<string, number> }[]> {
    return (await this.r.quotas.list()).map((q) => ({ projectId: q.projectId, limits: { ...QUOTA_DEFAULTS, ...q.limits } }));
  }

  async update(projectId: string, limits: Record<string, number>): Promise<Record<string, number>> {
    return this.ctx.tx(async () => {
      for (const [res, v] of Object.entries(limits)) {
        if (!(res in QUOTA_DEFAULTS)) throw E.attr(`Unrecognized attribute(s) '${res}'`);
        if (!Number.isInteger(v) || v < -1) throw E.attr(`Invalid input for ${res}. Reason: '${v}' should be an integer greater than or equal to -1.`);
      }
      const cur = await this.r.quotas.get(projectId);
      const next = { id: projectId, projectId, limits: { ...(cur?.limits ?? {}), ...limits } };
      if (cur) await this.r.quotas.update(next);
      else await this.r.quotas.create(next);
      return this.limits(projectId);
    });
  }

  async reset(projectId: string): Promise<void> {
    await this.ctx.tx(async () => {
      await this.r.quotas.delete(projectId);
    });
  }
}
