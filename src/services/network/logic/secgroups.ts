import { randomUUID } from 'node:crypto';
import { E } from '../errors.js';
import { owns } from './access.js';
import type { Core } from './core.js';
import type { Actor, SecurityGroup, SecurityGroupRule } from './models.js';
import { defined, standard } from './repos.js';
import { checkRule, sameRule, type RuleInput } from './rules-check.js';

export interface GroupInput {
  name?: string;
  description?: string;
  stateful?: boolean;
  tags?: string[];
}

/**
 * Security groups and their rules. Each project gets a `default` group on first use (listing
 * groups, creating a group or a port), with Neutron's four rules: all egress, and ingress from
 * members of the group itself, for IPv4 and IPv6. New groups start with the two egress rules.
 */
export class SecurityGroups {
  constructor(private readonly n: Core) {}

  /** The project's default group, created if it does not exist yet. */
  async ensureDefault(projectId: string): Promise<SecurityGroup> {
    const existing = await this.n.r.sgs.byUniq(`${projectId}/default`);
    if (existing || projectId === '') return existing!;
    return this.n.ctx.tx(async () => {
      const again = await this.n.r.sgs.byUniq(`${projectId}/default`);
      if (again) return again;
      const g: SecurityGroup = {
        ...standard(this.n.ctx, projectId, { name: 'default', description: 'Default security group' }),
        stateful: true,
        isDefault: true,
      };
      await this.n.r.sgs.create(g);
      for (const eth of ['IPv4', 'IPv6'] as const) {
        await this.addRule(g, { ...ANY, direction: 'egress', ethertype: eth });
        await this.addRule(g, { ...ANY, direction: 'ingress', ethertype: eth, remoteGroupId: g.id });
      }
      this.n.schedule('sg', g.id);
      return g;
    });
  }

  async create(projectId: string, input: GroupInput): Promise<SecurityGroup> {
    if (input.name === 'default') throw E.sgDefaultExists();
    await this.ensureDefault(projectId);
    return this.n.ctx.tx(async () => {
      await this.n.quotas.check(projectId, 'security_group');
      const g: SecurityGroup = { ...standard(this.n.ctx, projectId, input), stateful: input.stateful ?? true, isDefault: false };
      await this.n.r.sgs.create(g);
      for (const eth of ['IPv4', 'IPv6'] as const) await this.addRule(g, { ...ANY, direction: 'egress', ethertype: eth });
      this.n.schedule('sg', g.id);
      return g;
    });
  }

  async update(id: string, patch: GroupInput, ifRevision?: number): Promise<SecurityGroup> {
    return this.n.ctx.tx(async () => {
      const g = await this.n.r.sgs.require(id);
      if (g.isDefault && patch.name !== undefined && patch.name !== 'default') throw E.sgCannotUpdateDefault();
      if (!g.isDefault && patch.name === 'default') throw E.sgDefaultExists();
      if (patch.stateful !== undefined && patch.stateful !== g.stateful && (await this.users(id)).length) throw E.sgInUse(id);
      const next = await this.n.r.sgs.update({ ...g, ...defined(patch) }, ifRevision);
      this.n.schedule('sg', id);
      return next;
    });
  }

  async users(id: string) {
    return (await this.n.r.ports.list()).filter((p) => p.securityGroups.includes(id));
  }

  async delete(actor: Actor, id: string, ifRevision?: number): Promise<void> {
    await this.n.ctx.tx(async () => {
      const g = await this.n.r.sgs.require(id);
      if (ifRevision !== undefined && ifRevision !== g.revision) throw E.revision(ifRevision, g.revision);
      if (g.isDefault && !actor.admin) throw E.sgCannotRemoveDefault();
      if ((await this.users(id)).length) throw E.sgInUse(id);
      await this.n.r.rules.deleteWhere({ securityGroupId: id });
      for (const r of await this.n.r.rules.list({ remoteGroupId: id })) {
        await this.n.r.rules.delete(r.id);
        this.n.schedule('sg', r.securityGroupId);
      }
      await this.n.r.sgs.delete(id);
      this.n.schedule('sg', id);
    });
  }

  rulesOf(groupId: string): Promise<SecurityGroupRule[]> {
    return this.n.r.rules.list({ securityGroupId: groupId });
  }

  /** Adds a rule as a user asks: checked, deduplicated and counted against the quota. */
  async createRule(actor: Actor, input: RuleInput & { securityGroupId: string; description?: string; projectId?: string }): Promise<SecurityGroupRule> {
    const rule = checkRule(input);
    return this.n.ctx.tx(async () => {
      const g = await this.n.r.sgs.get(input.securityGroupId);
      if (!g || !owns(actor, g.projectId)) throw E.sgNotFound(input.securityGroupId);
      if (rule.remoteGroupId !== null) {
        const remote = await this.n.r.sgs.get(rule.remoteGroupId);
        if (!remote || !owns(actor, remote.projectId)) throw E.sgNotFound(rule.remoteGroupId);
      }
      const dup = (await this.rulesOf(g.id)).find((r) => sameRule(rule, r));
      if (dup) throw E.sgRuleExists(dup.id);
      await this.n.quotas.check(g.projectId, 'security_group_rule');
      const created = await this.addRule(g, rule, input.description ?? '');
      await this.touch(g);
      return created;
    });
  }

  async updateRule(id: string, description: string, ifRevision?: number): Promise<SecurityGroupRule> {
    return this.n.ctx.tx(async () => {
      const r = await this.n.r.rules.require(id);
      return this.n.r.rules.update({ ...r, description }, ifRevision);
    });
  }

  async deleteRule(id: string, ifRevision?: number): Promise<void> {
    await this.n.ctx.tx(async () => {
      const r = await this.n.r.rules.require(id);
      if (ifRevision !== undefined && ifRevision !== r.revision) throw E.revision(ifRevision, r.revision);
      await this.n.r.rules.delete(id);
      const g = await this.n.r.sgs.get(r.securityGroupId);
      if (g) await this.touch(g);
    });
  }

  /** A rule change is a change of its group: new revision, and a driver sync. */
  private async touch(g: SecurityGroup): Promise<void> {
    await this.n.r.sgs.update(g);
    this.n.schedule('sg', g.id);
  }

  private async addRule(g: SecurityGroup, r: RuleInput, description = ''): Promise<SecurityGroupRule> {
    const now = this.n.ctx.now();
    const rule: SecurityGroupRule = {
      ...r,
      id: randomUUID(),
      projectId: g.projectId,
      securityGroupId: g.id,
      description,
      createdAt: now,
      updatedAt: now,
      revision: 1,
      tags: [],
      name: '',
    };
    return this.n.r.rules.create(rule);
  }
}

const ANY: RuleInput = { direction: 'egress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null };
