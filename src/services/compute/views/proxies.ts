import type { ProxyFloatingIp, ProxyGroup, ProxyNetwork, ProxyRule, ProxySnapshot, ProxyVolume } from '../logic/proxy-ports.js';

/**
 * Nova 2.1's shapes for its proxy APIs (tempest's schemas under
 * `api_schema/response/compute/v2_1/`: security_groups, floating_ips, tenant_networks,
 * volumes, snapshots).
 */

/** A rule: ports as Nova shows Neutron's (no range: 1–65535 for TCP/UDP, -1 otherwise). */
export function ruleView(r: ProxyRule) {
  let from = r.portMin;
  let to = r.portMax;
  if (r.protocol !== null && from === null && to === null) {
    const tcpUdp = ['tcp', 'udp', '6', '17'].includes(r.protocol.toLowerCase());
    from = tcpUdp ? 1 : -1;
    to = tcpUdp ? 65535 : -1;
  }
  return {
    id: r.id,
    parent_group_id: r.groupId,
    ip_protocol: r.protocol,
    from_port: from,
    to_port: to,
    group: r.remoteGroup ? { name: r.remoteGroup.name, tenant_id: r.remoteGroup.projectId } : {},
    ip_range: r.remoteGroup ? {} : { cidr: r.remoteIpPrefix ?? '0.0.0.0/0' },
  };
}

export function groupView(g: ProxyGroup) {
  return { id: g.id, name: g.name, description: g.description, tenant_id: g.projectId, rules: g.rules.map(ruleView) };
}

export function floatingIpView(f: ProxyFloatingIp) {
  return { id: f.id, ip: f.ip, pool: f.pool, fixed_ip: f.fixedIp, instance_id: f.serverId };
}

/** os-tenant-networks: id, cidr (first IPv4 subnet, else null) and label. */
export function tenantNetworkView(n: ProxyNetwork) {
  return { id: n.id, cidr: n.v4?.cidr ?? null, label: n.label };
}

/** os-networks: Nova's network fields, from what Neutron knows (the rest null); more for admins. */
export function networkView(n: ProxyNetwork, admin: boolean) {
  const out: Record<string, unknown> = {
    id: n.id,
    label: n.label,
    cidr: n.v4?.cidr ?? null,
    netmask: null,
    gateway: n.v4?.gateway ?? null,
    broadcast: null,
    dns1: n.v4?.dns[0] ?? null,
    dns2: n.v4?.dns[1] ?? null,
    cidr_v6: n.v6?.cidr ?? null,
    gateway_v6: n.v6?.gateway ?? null,
    netmask_v6: null,
  };
  if (admin) {
    Object.assign(out, {
      created_at: null,
      updated_at: null,
      deleted_at: null,
      deleted: null,
      injected: null,
      bridge: null,
      vlan: null,
      vpn_public_address: null,
      vpn_public_port: null,
      vpn_private_address: null,
      dhcp_start: null,
      project_id: n.projectId || null,
      host: null,
      bridge_interface: null,
      multi_host: null,
      priority: null,
      rxtx_base: null,
      mtu: n.mtu,
      dhcp_server: null,
      enable_dhcp: n.dhcp,
      share_address: null,
    });
  }
  return out;
}

/** Cinder's timestamp as Nova passes it on: microseconds, no zone. */
function cinderTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

/** os-volumes: the same view for list, detail, show and create. */
export function volumeView(v: ProxyVolume) {
  return {
    id: v.id,
    status: v.status,
    size: v.size,
    availabilityZone: v.availabilityZone,
    createdAt: cinderTime(v.createdAt),
    // Nova's quirk: an unattached volume has one empty attachment.
    attachments: v.attachments.length ? v.attachments.map((a) => ({ id: v.id, volumeId: v.id, serverId: a.serverId, ...(a.device ? { device: a.device } : {}) })) : [{}],
    displayName: v.name,
    displayDescription: v.description,
    volumeType: v.volumeType,
    snapshotId: v.snapshotId,
    metadata: v.metadata,
  };
}

export function snapshotView(s: ProxySnapshot) {
  return {
    id: s.id,
    volumeId: s.volumeId,
    status: s.status,
    size: s.size,
    createdAt: cinderTime(s.createdAt),
    displayName: s.name,
    displayDescription: s.description,
  };
}
