import type { Json } from '../../../core/validate.js';
import type { InterfaceInfo } from '../logic/router-interfaces.js';
import type { FloatingIp, Port, Router } from '../logic/models.js';
import { std, type ViewCtx } from './core.js';

export function routerView(r: Router, gatewayPort: Port | undefined, v: ViewCtx): Json {
  const out: Json = {
    ...std(r),
    admin_state_up: r.adminStateUp,
    status: r.status,
    external_gateway_info: r.gateway
      ? {
          network_id: r.gateway.networkId,
          enable_snat: r.gateway.enableSnat,
          external_fixed_ips: (gatewayPort?.fixedIps ?? []).map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
        }
      : null,
    routes: r.routes.map((x) => ({ destination: x.destination, nexthop: x.nexthop })),
    availability_zone_hints: r.azHints,
    availability_zones: r.l3Unscheduled ? [] : ['nova'],
  };
  if (v.admin) {
    out.distributed = r.distributed;
    out.ha = r.ha ?? false;
  }
  return out;
}

export function interfaceView(i: InterfaceInfo): Json {
  return {
    id: i.routerId,
    tenant_id: i.projectId,
    project_id: i.projectId,
    port_id: i.portId,
    subnet_id: i.subnetId,
    subnet_ids: i.subnetIds,
    network_id: i.networkId,
  };
}

export function fipView(f: FloatingIp, port: Port | undefined): Json {
  return {
    ...std(f, false),
    floating_network_id: f.floatingNetworkId,
    floating_ip_address: f.floatingIpAddress,
    router_id: f.routerId,
    port_id: f.portId,
    fixed_ip_address: f.fixedIpAddress,
    status: f.status,
    dns_name: f.dnsName,
    dns_domain: f.dnsDomain,
    port_details: port
      ? {
          name: port.name,
          network_id: port.networkId,
          mac_address: port.macAddress,
          admin_state_up: port.adminStateUp,
          status: port.status,
          device_id: port.deviceId,
          device_owner: port.deviceOwner,
        }
      : null,
  };
}
