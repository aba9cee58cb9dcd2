import { randomUUID } from 'node:crypto';
import type { NetworkSpec, PortSpec, RuleSpec } from '../../src/drivers/network/driver.js';

/**
 * Network driver specs for the linux driver's suites: a one-subnet /24 network, its host
 * addresses, an instance port, a router/DHCP leg on it and a security-group rule (fresh UUIDs each call).
 */

/** A network with one IPv4 subnet `cidr` (a /24, gateway .1): external = flat `public` without DHCP, else VXLAN with DHCP. */
export function net(cidr: string, external = false): NetworkSpec {
  const base = cidr.split('/')[0]!.split('.').slice(0, 3).join('.');
  return {
    id: randomUUID(),
    projectId: 'p',
    mtu: 1450,
    adminStateUp: true,
    external,
    networkType: external ? 'flat' : 'vxlan',
    physicalNetwork: external ? 'public' : null,
    segmentationId: null,
    subnets: [{ id: randomUUID(), cidr, ipVersion: 4, gatewayIp: `${base}.1`, enableDhcp: !external, dnsNameservers: [], hostRoutes: [], ipv6AddressMode: null, ipv6RaMode: null }],
  };
}

/** Host `host` of the network's /24 (`ipOf(10.61.0.0/24, 11)` = 10.61.0.11). */
export const ipOf = (n: NetworkSpec, host: number) => `${n.subnets[0]!.cidr.split('/')[0]!.split('.').slice(0, 3).join('.')}.${host}`;

/** The fixed IPs of a port at host `host` of the network's subnet. */
export const fixedIps = (n: NetworkSpec, host: number) => [{ subnetId: n.subnets[0]!.id, ipAddress: ipOf(n, host), cidr: n.subnets[0]!.cidr }];

/** An instance port (compute:nova, port security on) at host `host`, in security groups `sgs`. */
export function port(n: NetworkSpec, host: number, mac: string, sgs: string[]): PortSpec {
  return {
    id: randomUUID(),
    networkId: n.id,
    macAddress: mac,
    mtu: n.mtu,
    adminStateUp: true,
    fixedIps: fixedIps(n, host),
    portSecurity: true,
    securityGroupIds: sgs,
    allowedAddressPairs: [],
    deviceOwner: 'compute:nova',
    deviceId: randomUUID(),
  };
}

/** A router interface, gateway or DHCP server leg at host `host`. */
export const leg = (n: NetworkSpec, host: number, mac: string) => ({ portId: randomUUID(), networkId: n.id, macAddress: mac, fixedIps: fixedIps(n, host) });

/** A security-group rule: IPv4 ingress from anywhere on any protocol, with `r` on top. */
export const rule = (r: Partial<RuleSpec>): RuleSpec => ({ id: randomUUID(), direction: 'ingress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null, ...r });
