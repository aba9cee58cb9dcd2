import { randomUUID } from 'node:crypto';
import { E } from '../errors.js';
import type { Core } from './core.js';
import { formatCidr, parseCidr } from './ip.js';
import type { MeteringLabel, MeteringLabelRule } from './models.js';
import { standard } from './repos.js';

export interface RuleInput {
  meteringLabelId: string;
  direction?: 'ingress' | 'egress';
  excluded?: boolean;
  remoteIpPrefix?: string | null;
  sourceIpPrefix?: string | null;
  destinationIpPrefix?: string | null;
}

/**
 * Metering labels and their rules (`metering`, admin only): which traffic of a project's
 * routers is counted. The counters themselves are telemetry's business.
 */
export class Metering {
  constructor(private readonly n: Core) {}

  labels = () => this.n.r.labels.list();
  label = (id: string) => this.n.r.labels.require(id);
  rules = () => this.n.r.labelRules.list();
  rule = (id: string) => this.n.r.labelRules.require(id);

  async createLabel(projectId: string, input: { name?: string; description?: string; shared?: boolean }): Promise<MeteringLabel> {
    return this.n.ctx.tx(async () => this.n.r.labels.create({ ...standard(this.n.ctx, projectId, input), shared: input.shared ?? false }));
  }

  async deleteLabel(id: string): Promise<void> {
    await this.n.ctx.tx(async () => {
      await this.label(id);
      await this.n.r.labelRules.deleteWhere({ meteringLabelId: id });
      await this.n.r.labels.delete(id);
    });
  }

  async createRule(input: RuleInput): Promise<MeteringLabelRule> {
    return this.n.ctx.tx(async () => {
      const label = await this.label(input.meteringLabelId);
      const prefix = (name: string, v: string | null | undefined) => {
        if (v === null || v === undefined) return null;
        const c = parseCidr(v);
        if (!c) throw E.attr(`Invalid input for ${name}. Reason: '${v}' is not a valid IP subnet.`);
        return formatCidr(c);
      };
      const remote = prefix('remote_ip_prefix', input.remoteIpPrefix);
      const source = prefix('source_ip_prefix', input.sourceIpPrefix);
      const dest = prefix('destination_ip_prefix', input.destinationIpPrefix);
      if (remote !== null && (source !== null || dest !== null))
        throw E.bad('NotSupportedByMeteringRule', "Cannot use 'remote-ip-prefix' in conjunction with 'source-ip-prefix' or 'destination-ip-prefix'.");
      if (remote === null && source === null && dest === null)
        throw E.bad('NotSupportedByMeteringRule', "You must define at least one of the following parameters 'remote_ip_prefix', or 'source_ip_prefix' or 'destination_ip_prefix'.");
      const now = this.n.ctx.now();
      const rule: MeteringLabelRule = {
        id: randomUUID(),
        projectId: label.projectId,
        meteringLabelId: label.id,
        direction: input.direction ?? 'ingress',
        excluded: input.excluded ?? false,
        remoteIpPrefix: remote,
        sourceIpPrefix: source,
        destinationIpPrefix: dest,
        name: '',
        description: '',
        tags: [],
        createdAt: now,
        updatedAt: now,
        revision: 1,
      };
      const same = (await this.n.r.labelRules.list({ meteringLabelId: label.id })).find(
        (r) => r.direction === rule.direction && r.remoteIpPrefix === remote && r.sourceIpPrefix === source && r.destinationIpPrefix === dest,
      );
      if (same) throw E.conflict('MeteringLabelRuleOverlaps', `Metering label rule with remote_ip_prefix ${remote ?? source ?? dest} overlaps another.`);
      return this.n.r.labelRules.create(rule);
    });
  }

  async deleteRule(id: string): Promise<void> {
    await this.n.ctx.tx(async () => {
      await this.rule(id);
      await this.n.r.labelRules.delete(id);
    });
  }
}
