import { UUID_RE, uuid } from '../../../core/ids.js';
import type { StoreOps } from '../../../store/index.js';
import type { ComputeContext } from './context.js';
import { Repo } from './context.js';
import { E } from './errors.js';
import { KIND, type Caller, type GroupPolicy, type ServerGroup } from './models.js';
import type { Quotas } from './quotas.js';

/**
 * os-server-groups: a named policy (affinity, anti-affinity and their soft forms) and the
 * servers in it. The scheduler honours the policy when it claims a host.
 */
export class Groups {
  readonly repo: Repo<ServerGroup>;

  constructor(
    private readonly ctx: ComputeContext,
    private readonly quotas: Quotas,
  ) {
    this.repo = new Repo<ServerGroup>(ctx, KIND.group, E.groupNotFound);
  }

  async get(caller: Caller, id: string): Promise<ServerGroup> {
    const g = UUID_RE.test(id) ? await this.repo.get(id) : undefined;
    if (!g || (!caller.admin && g.projectId !== caller.projectId)) throw E.groupNotFound(id);
    return g;
  }

  async list(caller: Caller, allProjects: boolean): Promise<ServerGroup[]> {
    const all = allProjects && caller.admin ? await this.repo.list() : await this.repo.list({ projectId: caller.projectId });
    return all.sort((a, b) => a.createdAt - b.createdAt);
  }

  async create(caller: Caller, name: string, policy: GroupPolicy): Promise<ServerGroup> {
    const g = await this.ctx.store.tx(async (tx) => {
      const used = await this.repo.count({ projectId: caller.projectId }, tx);
      await this.quotas.check(caller.projectId, { server_groups: 1 }, { server_groups: used }, tx);
      const group: ServerGroup = { id: uuid(), name, projectId: caller.projectId, userId: caller.userId, policy, members: [], createdAt: this.ctx.now() };
      return this.repo.create(group, tx);
    });
    this.ctx.changed(KIND.group, 'created', g.id, g.projectId);
    return g;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const g = await this.get(caller, id);
    await this.repo.delete(g.id);
    this.ctx.changed(KIND.group, 'deleted', g.id, g.projectId);
  }

  /** Refuses (403) when `count` more members would pass server_group_members. */
  async addMembers(groupId: string, count: number, tx: StoreOps): Promise<void> {
    const g = await this.repo.require(groupId, tx);
    await this.quotas.check(g.projectId, { server_group_members: count }, { server_group_members: g.members.length }, tx);
  }

  async join(groupId: string, serverId: string, tx: StoreOps): Promise<void> {
    const g = await this.repo.require(groupId, tx);
    if (!g.members.includes(serverId)) await this.repo.update({ ...g, members: [...g.members, serverId] }, tx);
  }

  /** Removes a deleted server from its group; a missing group is ignored. */
  async leave(groupId: string, serverId: string): Promise<void> {
    await this.ctx.store.tx(async (tx) => {
      const g = await this.repo.get(groupId, tx);
      if (g && g.members.includes(serverId)) await this.repo.update({ ...g, members: g.members.filter((m) => m !== serverId) }, tx);
    });
  }
}
