import { AGE_COLUMN, NAME_COLUMN, arr, column, firstOf, formatLabels, hostPort, int, obj, objs, orNone, since, str, type J } from './format.js';
import type { Printer } from './index.js';

/** Printers of services, endpoints and endpoint slices (reference §2.10). */

/**
 * External-IP cell: `spec.externalIPs` for ClusterIP/NodePort (`<none>` without), the load
 * balancer ingress IPs/hostnames (plus externalIPs) for LoadBalancer (`<pending>` until
 * assigned), `spec.externalName` for ExternalName.
 */
export function externalIp(spec: J, status: J): string {
  const externalIps = arr(spec.externalIPs).map(str).filter(Boolean);
  switch (str(spec.type) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIps.length ? externalIps.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = objs(obj(status.loadBalancer).ingress)
        .map((i) => str(i.ip) || str(i.hostname))
        .filter(Boolean);
      const all = [...externalIps, ...(ingress.length ? [ingress.join(',')] : [])];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

/** Port(s) cell: `80/TCP`, `80:31234/TCP` with a node port, comma-joined, `<none>` without. */
export function servicePorts(ports: unknown): string {
  const list = objs(ports).map((p) => {
    const protocol = str(p.protocol) || 'TCP';
    return int(p.nodePort) ? `${int(p.port)}:${int(p.nodePort)}/${protocol}` : `${int(p.port)}/${protocol}`;
  });
  return list.length ? list.join(',') : '<none>';
}

export const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'The type of the service (ClusterIP, NodePort, LoadBalancer, ExternalName).'),
    column('Cluster-IP', 'string', 'The IP address of the service, "None" for a headless service.'),
    column('External-IP', 'string', 'External IPs or load balancer addresses of the service.'),
    column('Port(s)', 'string', 'The ports exposed by the service.'),
    AGE_COLUMN,
    column('Selector', 'string', 'Pods with labels matching this selector receive the traffic.', 1),
  ],
  cells: (o, now) => {
    const spec = obj(o.spec);
    return [
      str(o.metadata.name),
      str(spec.type) || 'ClusterIP',
      orNone(str(spec.clusterIP)),
      externalIp(spec, obj(o.status)),
      servicePorts(spec.ports),
      since(o.metadata.creationTimestamp, now),
      formatLabels(spec.selector),
    ];
  },
};

/** Endpoints cell of v1 Endpoints: `ip:port` per ready address and port, three then ` + N more...`. */
export function formatEndpoints(subsets: unknown): string {
  const list: string[] = [];
  for (const ss of objs(subsets)) {
    const addresses = objs(ss.addresses).map((a) => str(a.ip));
    const ports = objs(ss.ports);
    if (ports.length === 0) list.push(...addresses);
    else for (const p of ports) for (const ip of addresses) list.push(hostPort(ip, int(p.port)));
  }
  return list.length ? firstOf(list) : '<none>';
}

export const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', 'Endpoints of the service (ready addresses and ports).'), AGE_COLUMN],
  cells: (o, now) => [str(o.metadata.name), formatEndpoints(o.subsets), since(o.metadata.creationTimestamp, now)],
};

export const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', 'The type of address carried by this EndpointSlice (IPv4, IPv6, FQDN).'),
    column('Ports', 'string', 'The port numbers of the endpoints.'),
    column('Endpoints', 'string', 'The addresses of the endpoints.'),
    AGE_COLUMN,
  ],
  cells: (o, now) => {
    const ports = objs(o.ports).map((p) => (typeof p.port === 'number' ? String(int(p.port)) : '<unset>'));
    const addresses = objs(o.endpoints).flatMap((e) => arr(e.addresses).map(str));
    return [
      str(o.metadata.name),
      str(o.addressType),
      ports.length ? firstOf(ports) : '<unset>',
      addresses.length ? firstOf(addresses) : '<unset>',
      since(o.metadata.creationTimestamp, now),
    ];
  },
};
