import { StratusError } from '../../../core/errors.js';
import type { Caller } from './models.js';

/**
 * Nova 2.1's proxy APIs (deprecated at 2.36, still part of 2.1): os-security-groups,
 * os-security-group-rules, os-floating-ips, os-floating-ip-pools, os-networks,
 * os-tenant-networks, os-volumes and os-snapshots. Nova forwards each to Neutron or Cinder as
 * the user; here the adapters (../adapters/*-proxy.ts) call the network and volume logic with
 * the caller's identity, so their own visibility rules apply. The records below are neutral;
 * ../views/proxies.ts renders Nova's shapes.
 *
 * Errors: StratusErrors with Nova's statuses and messages (404 for what the caller cannot
 * see, 400 for what Nova refuses as invalid, 403 for quota).
 */

/** One ingress rule of a security group (Nova shows ingress rules only). */
export interface ProxyRule {
  id: string;
  groupId: string;
  protocol: string | null;
  portMin: number | null;
  portMax: number | null;
  remoteIpPrefix: string | null;
  /** The remote group, when the rule names one that still exists. */
  remoteGroup: { id: string; name: string; projectId: string } | null;
}

export interface ProxyGroup {
  id: string;
  name: string;
  description: string;
  projectId: string;
  rules: ProxyRule[];
}

/** A rule as Nova's API takes it, already checked (ports -1 mean "any" for ICMP). */
export interface NewProxyRule {
  groupId: string;
  protocol: 'tcp' | 'udp' | 'icmp' | null;
  fromPort: number | null;
  toPort: number | null;
  cidr: string | null;
  remoteGroupId: string | null;
}

export interface ProxyFloatingIp {
  id: string;
  ip: string;
  /** The external network's name (its id when it has none). */
  pool: string;
  fixedIp: string | null;
  /** The server whose port holds the address, if any. */
  serverId: string | null;
}

export interface ProxyNetwork {
  id: string;
  label: string;
  projectId: string;
  /** First IPv4 / IPv6 subnet, when there is one. */
  v4: { cidr: string; gateway: string | null; dns: string[] } | null;
  v6: { cidr: string; gateway: string | null } | null;
  mtu: number;
  dhcp: boolean;
}

/** Neutron's part of the proxies. */
export interface NetworkProxy {
  listGroups(caller: Caller, allProjects: boolean): Promise<ProxyGroup[]>;
  getGroup(caller: Caller, id: string): Promise<ProxyGroup>;
  createGroup(caller: Caller, name: string, description: string): Promise<ProxyGroup>;
  updateGroup(caller: Caller, id: string, name: string | undefined, description: string | undefined): Promise<ProxyGroup>;
  /** 400 for the default group or a group in use (Nova turns Neutron's 409 into a 400). */
  deleteGroup(caller: Caller, id: string): Promise<void>;
  /** Groups of the ports of a server. */
  groupsOfServer(caller: Caller, serverId: string): Promise<ProxyGroup[]>;
  /** 400 for a duplicate. */
  createRule(caller: Caller, rule: NewProxyRule): Promise<ProxyRule>;
  deleteRule(caller: Caller, id: string): Promise<void>;

  listFloatingIps(caller: Caller): Promise<ProxyFloatingIp[]>;
  getFloatingIp(caller: Caller, id: string): Promise<ProxyFloatingIp>;
  /** From the pool named (name or id of an external network); 404 for an unknown pool. */
  allocateFloatingIp(caller: Caller, pool: string | undefined): Promise<ProxyFloatingIp>;
  releaseFloatingIp(caller: Caller, id: string): Promise<void>;
  floatingIpPools(caller: Caller): Promise<string[]>;
  /** Associates the caller's address with a port of the server (the one holding `fixedAddress`). */
  associate(caller: Caller, address: string, serverId: string, fixedAddress: string | undefined): Promise<void>;
  /** 409 when the address is not associated with that server. */
  disassociate(caller: Caller, address: string, serverId: string): Promise<void>;

  /** Networks the caller sees in Neutron. */
  listNetworks(caller: Caller): Promise<ProxyNetwork[]>;
  getNetwork(caller: Caller, id: string): Promise<ProxyNetwork>;
}

export interface ProxyVolume {
  id: string;
  status: string;
  size: number;
  availabilityZone: string;
  createdAt: number;
  name: string | null;
  description: string | null;
  volumeType: string | null;
  snapshotId: string | null;
  metadata: Record<string, string>;
  /** Servers it is attached to, with the device. */
  attachments: { serverId: string; device: string | null }[];
}

export interface ProxySnapshot {
  id: string;
  volumeId: string;
  status: string;
  size: number;
  createdAt: number;
  name: string | null;
  description: string | null;
}

export interface NewProxyVolume {
  size: number;
  name: string | null;
  description: string | null;
  volumeType: string | null;
  availabilityZone: string | null;
  snapshotId: string | null;
  metadata: Record<string, string>;
}

/** Cinder's part of the proxies. */
export interface VolumeProxy {
  /** The caller's project's volumes, newest first. */
  listVolumes(caller: Caller): Promise<ProxyVolume[]>;
  getVolume(caller: Caller, id: string): Promise<ProxyVolume>;
  createVolume(caller: Caller, input: NewProxyVolume): Promise<ProxyVolume>;
  deleteVolume(caller: Caller, id: string): Promise<void>;
  listSnapshots(caller: Caller): Promise<ProxySnapshot[]>;
  getSnapshot(caller: Caller, id: string): Promise<ProxySnapshot>;
  createSnapshot(caller: Caller, input: { volumeId: string; name: string | null; description: string | null; force: boolean }): Promise<ProxySnapshot>;
  deleteSnapshot(caller: Caller, id: string): Promise<void>;
}

/** A port that may carry the proxies (the Neutron and Cinder adapters do). */
export interface WithProxy<P> {
  readonly proxy?: P;
}

/** The proxy of a port, or a clear 400 when this cloud runs without that service. */
export function proxyOf<P>(port: WithProxy<P>, service: string): P {
  if (!port.proxy) throw new StratusError('BadRequest', `${service} service unavailable: this cloud runs without it.`, 'ServiceUnavailable');
  return port.proxy;
}
