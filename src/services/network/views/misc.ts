import { isoSeconds } from '../../../core/clock.js';
import type { Json } from '../../../core/validate.js';
import type { IpAvailability } from '../logic/index.js';
import type { Agent, MeteringLabel, MeteringLabelRule, SecurityGroup, SecurityGroupRule, SubnetPool } from '../logic/models.js';
import { std } from './core.js';

export function ruleView(r: SecurityGroupRule): Json {
  return {
    id: r.id,
    tenant_id: r.projectId,
    project_id: r.projectId,
    security_group_id: r.securityGroupId,
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: r.protocol,
    port_range_min: r.portRangeMin,
    port_range_max: r.portRangeMax,
    remote_ip_prefix: r.remoteIpPrefix,
    remote_group_id: r.remoteGroupId,
    description: r.description,
    created_at: isoSeconds(r.createdAt),
    updated_at: isoSeconds(r.updatedAt),
    revision_number: r.revision,
  };
}

export function groupView(g: SecurityGroup, rules: SecurityGroupRule[]): Json {
  return { ...std(g), stateful: g.stateful, security_group_rules: rules.map(ruleView) };
}

export function poolView(p: SubnetPool): Json {
  return {
    ...std(p),
    ip_version: p.ipVersion,
    prefixes: p.prefixes,
    default_prefixlen: p.defaultPrefixlen,
    min_prefixlen: p.minPrefixlen,
    max_prefixlen: p.maxPrefixlen,
    shared: p.shared,
    is_default: p.isDefault,
    default_quota: p.defaultQuota,
  };
}

/** Agent timestamps are "YYYY-MM-DD HH:MM:SS", as Neutron renders them. */
const agentTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');

export function agentView(a: Agent, heartbeat: number, startedAt: number): Json {
  return {
    id: a.id,
    agent_type: a.agentType,
    binary: a.binary,
    topic: a.topic,
    host: a.host,
    admin_state_up: a.adminStateUp,
    alive: true,
    created_at: agentTime(a.createdAt),
    started_at: agentTime(startedAt),
    heartbeat_timestamp: agentTime(heartbeat),
    description: a.description,
    availability_zone: a.availabilityZone,
    configurations: a.configurations,
    resources_synced: null,
  };
}

export function labelView(l: MeteringLabel): Json {
  return { id: l.id, name: l.name, description: l.description, tenant_id: l.projectId, project_id: l.projectId, shared: l.shared };
}

export function labelRuleView(r: MeteringLabelRule): Json {
  return {
    id: r.id,
    metering_label_id: r.meteringLabelId,
    direction: r.direction,
    excluded: r.excluded,
    remote_ip_prefix: r.remoteIpPrefix,
    source_ip_prefix: r.sourceIpPrefix,
    destination_ip_prefix: r.destinationIpPrefix,
    tenant_id: r.projectId,
    project_id: r.projectId,
  };
}

export function quotaView(projectId: string | null, limits: Record<string, number>): Json {
  return projectId === null ? { ...limits } : { ...limits, project_id: projectId, tenant_id: projectId };
}

export function availabilityView(a: IpAvailability): Json {
  return {
    network_id: a.network.id,
    network_name: a.network.name,
    tenant_id: a.network.projectId,
    project_id: a.network.projectId,
    total_ips: a.totalIps,
    used_ips: a.usedIps,
    subnet_ip_availability: a.subnets.map((s) => ({
      subnet_id: s.id,
      subnet_name: s.name,
      cidr: s.cidr,
      ip_version: s.ipVersion,
      total_ips: s.totalIps,
      used_ips: s.usedIps,
    })),
  };
}
