/**
 * Domain models of the networking service (camelCase; wire names live in views/ and routes/).
 * Every resource carries Neutron's standard attributes.
 */
export interface Standard {
  id: string;
  /** Owning project; '' for resources owned by no project (router gateway and FIP ports). */
  projectId: string;
  name: string;
  description: string;
  tags: string[];
  createdAt: number;
  updatedAt: number;
  revision: number;
}

/** Who acts, as far as the logic cares (policy proper is in ../policy.ts). */
export interface Actor {
  projectId: string | null;
  admin: boolean;
}

export interface Network extends Standard {
  adminStateUp: boolean;
  shared: boolean;
  external: boolean;
  isDefault: boolean;
  mtu: number;
  portSecurity: boolean;
  networkType: string;
  physicalNetwork: string | null;
  segmentationId: number | null;
  dnsDomain: string;
  azHints: string[];
  /**
   * DHCP agent scheduling: null hosts the network while it has a DHCP-enabled subnet (Neutron's
   * automatic scheduling); true or false is what the dhcp_agent_scheduler API last said.
   */
  dhcpScheduled: boolean | null;
}

export interface Pool {
  start: string;
  end: string;
}

export interface HostRoute {
  destination: string;
  nexthop: string;
}

export interface Subnet extends Standard {
  networkId: string;
  ipVersion: 4 | 6;
  cidr: string;
  gatewayIp: string | null;
  allocationPools: Pool[];
  dnsNameservers: string[];
  hostRoutes: HostRoute[];
  enableDhcp: boolean;
  ipv6RaMode: string | null;
  ipv6AddressMode: string | null;
  subnetpoolId: string | null;
  serviceTypes: string[];
}

export interface FixedIp {
  subnetId: string;
  ipAddress: string;
}

export interface AddressPair {
  ipAddress: string;
  macAddress: string;
}

export interface DhcpOpt {
  optName: string;
  optValue: string;
  ipVersion: 4 | 6;
}

export type PortStatus = 'ACTIVE' | 'DOWN' | 'BUILD' | 'ERROR' | 'N/A';

export interface Port extends Standard {
  networkId: string;
  macAddress: string;
  adminStateUp: boolean;
  status: PortStatus;
  deviceId: string;
  deviceOwner: string;
  fixedIps: FixedIp[];
  securityGroups: string[];
  allowedAddressPairs: AddressPair[];
  portSecurity: boolean;
  hostId: string;
  vnicType: string;
  profile: Record<string, unknown>;
  extraDhcpOpts: DhcpOpt[];
  dnsName: string;
}

export interface Gateway {
  networkId: string;
  enableSnat: boolean;
  portId: string | null;
}

export interface Router extends Standard {
  adminStateUp: boolean;
  status: 'ACTIVE' | 'ALLOCATING' | 'ERROR';
  gateway: Gateway | null;
  routes: HostRoute[];
  distributed: boolean;
  /** l3-ha; with one L3 agent an HA router has no standby and behaves as any other. */
  ha: boolean;
  azHints: string[];
  /** Taken off the L3 agent through the l3_agent_scheduler API. */
  l3Unscheduled: boolean;
}

export interface FloatingIp extends Standard {
  floatingNetworkId: string;
  floatingIpAddress: string;
  /** The network-owned port on the external network that holds the address. */
  floatingPortId: string;
  portId: string | null;
  fixedIpAddress: string | null;
  routerId: string | null;
  status: 'ACTIVE' | 'DOWN' | 'ERROR';
  dnsName: string;
  dnsDomain: string;
}

export interface SecurityGroup extends Standard {
  stateful: boolean;
  isDefault: boolean;
}

export interface SecurityGroupRule {
  id: string;
  projectId: string;
  securityGroupId: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** As given (name or number as a string), null for any. */
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
  description: string;
  createdAt: number;
  updatedAt: number;
  revision: number;
  /** Rules that only Neutron itself may add (the default group's); shown like any other. */
  tags: string[];
  name: string;
}

export interface SubnetPool extends Standard {
  ipVersion: 4 | 6;
  prefixes: string[];
  defaultPrefixlen: number;
  minPrefixlen: number;
  maxPrefixlen: number;
  shared: boolean;
  isDefault: boolean;
  defaultQuota: number | null;
}

export interface MeteringLabel extends Standard {
  shared: boolean;
}

export interface MeteringLabelRule {
  id: string;
  projectId: string;
  meteringLabelId: string;
  direction: 'ingress' | 'egress';
  excluded: boolean;
  remoteIpPrefix: string | null;
  sourceIpPrefix: string | null;
  destinationIpPrefix: string | null;
  name: string;
  description: string;
  tags: string[];
  createdAt: number;
  updatedAt: number;
  revision: number;
}

export interface Agent {
  id: string;
  agentType: string;
  binary: string;
  topic: string;
  host: string;
  adminStateUp: boolean;
  description: string;
  availabilityZone: string | null;
  createdAt: number;
  startedAt: number;
  configurations: Record<string, unknown>;
}

export interface Quota {
  id: string;
  projectId: string;
  limits: Record<string, number>;
}

/** One allocated address; the id `<subnet>/<ip>` makes double allocation impossible in the store. */
export interface IpAllocation {
  id: string;
  subnetId: string;
  networkId: string;
  ip: string;
  portId: string;
}

export const KIND = {
  network: 'network.network',
  subnet: 'network.subnet',
  port: 'network.port',
  router: 'network.router',
  floatingip: 'network.floatingip',
  sg: 'network.security_group',
  sgRule: 'network.security_group_rule',
  subnetpool: 'network.subnetpool',
  quota: 'network.quota',
  alloc: 'network.ip_allocation',
  segment: 'network.segment',
  agent: 'network.agent',
  meteringLabel: 'network.metering_label',
  meteringRule: 'network.metering_label_rule',
  meta: 'network.meta',
} as const;

export const OWNER = {
  dhcp: 'network:dhcp',
  routerInterface: 'network:router_interface',
  routerGateway: 'network:router_gateway',
  floatingip: 'network:floatingip',
} as const;

/** Ports the network itself owns: deleted with the network, never given security groups. */
export function isNetworkOwned(deviceOwner: string): boolean {
  return deviceOwner.startsWith('network:');
}
