import { isoSeconds } from '../../../core/clock.js';
import type { Json } from '../../../core/validate.js';
import { isBound } from '../logic/ports.js';
import { hostnameFor } from '../logic/sync.js';
import { isNetworkOwned, type Network, type Port, type Standard, type Subnet } from '../logic/models.js';

/** How views render for a caller: admins see provider and binding details. */
export interface ViewCtx {
  admin: boolean;
  vifType: string;
}

/** Neutron's standard attributes, with both `tenant_id` and `project_id`. */
export function std(x: Omit<Standard, 'name'> & { name?: string }, withName = true): Json {
  const out: Json = { id: x.id };
  if (withName) out.name = x.name ?? '';
  Object.assign(out, {
    tenant_id: x.projectId,
    project_id: x.projectId,
    description: x.description,
    tags: x.tags,
    created_at: isoSeconds(x.createdAt),
    updated_at: isoSeconds(x.updatedAt),
    revision_number: x.revision,
  });
  return out;
}

export function networkView(n: Network, subnetIds: string[], v: ViewCtx): Json {
  const out: Json = {
    ...std(n),
    admin_state_up: n.adminStateUp,
    status: 'ACTIVE',
    subnets: subnetIds,
    shared: n.shared,
    'router:external': n.external,
    is_default: n.isDefault,
    mtu: n.mtu,
    port_security_enabled: n.portSecurity,
    availability_zone_hints: n.azHints,
    availability_zones: ['nova'],
    dns_domain: n.dnsDomain,
  };
  if (v.admin) {
    out['provider:network_type'] = n.networkType;
    out['provider:physical_network'] = n.physicalNetwork;
    out['provider:segmentation_id'] = n.segmentationId;
  }
  return out;
}

export function subnetView(s: Subnet): Json {
  return {
    ...std(s),
    network_id: s.networkId,
    ip_version: s.ipVersion,
    cidr: s.cidr,
    gateway_ip: s.gatewayIp,
    allocation_pools: s.allocationPools.map((p) => ({ start: p.start, end: p.end })),
    dns_nameservers: s.dnsNameservers,
    host_routes: s.hostRoutes.map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
    enable_dhcp: s.enableDhcp,
    ipv6_ra_mode: s.ipv6RaMode,
    ipv6_address_mode: s.ipv6AddressMode,
    subnetpool_id: s.subnetpoolId,
    service_types: s.serviceTypes,
  };
}

function vifType(p: Port, v: ViewCtx): string {
  if (p.hostId === '') return 'unbound';
  if (isBound(p) && p.vnicType !== 'normal') return 'binding_failed';
  return v.vifType;
}

export function portView(p: Port, v: ViewCtx, dnsDomain = 'openstacklocal.'): Json {
  const out: Json = {
    ...std(p),
    network_id: p.networkId,
    mac_address: p.macAddress,
    admin_state_up: p.adminStateUp,
    status: p.status,
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
    fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
    allowed_address_pairs: p.allowedAddressPairs.map((a) => ({ ip_address: a.ipAddress, mac_address: a.macAddress })),
    extra_dhcp_opts: p.extraDhcpOpts.map((o) => ({ opt_name: o.optName, opt_value: o.optValue, ip_version: o.ipVersion })),
    security_groups: p.securityGroups,
    port_security_enabled: p.portSecurity,
    'binding:vnic_type': p.vnicType,
    dns_name: p.dnsName,
    dns_assignment: p.fixedIps.map((f) => {
      const hostname = hostnameFor(p, f.ipAddress);
      return { hostname, ip_address: f.ipAddress, fqdn: `${hostname}.${dnsDomain}` };
    }),
  };
  if (v.admin) {
    out['binding:host_id'] = p.hostId;
    out['binding:profile'] = p.profile;
    out['binding:vif_type'] = vifType(p, v);
    out['binding:vif_details'] = p.hostId !== '' && !isNetworkOwned(p.deviceOwner) ? { port_filter: true, connectivity: 'l2' } : {};
  }
  return out;
}
