/**
 * The network driver: what the Neutron control plane asks of a data plane. The service stores
 * intent (networks, ports, routers, floating IPs, security groups), commits it, and then calls
 * these methods from its reconciler with the complete desired state of one object. A driver
 * never reads the store and never calls back into the service.
 *
 * Contract (checked by `contract.ts` against every implementation):
 * - **Idempotent, full-state calls.** Every `ensure*`/`sync*`/`plug*`/`map*` call carries the
 *   whole desired state of its object and may be repeated any number of times; a repeat with the
 *   same spec changes nothing, a repeat with a different spec converges the object to the new
 *   spec (removing what the new spec no longer lists). Every `delete*`/`unplug*`/`unmap*` of
 *   something absent resolves without error.
 * - **Order.** The service ensures a network before plugging ports into it, building DHCP or a
 *   metadata proxy on it, or attaching a router to it, and maps a floating IP only after the
 *   router it names has been ensured with a gateway. A call that depends on an object the driver
 *   does not have rejects with `NetworkDriverError` code `missing`; the service retries it later.
 * - **Failure.** A rejected call leaves the object either as it was or partly converged, never
 *   in a state that a repeat of the same call cannot repair. Transient problems reject with
 *   `retryable: true`; the service then marks the resource `ERROR` and retries with backoff.
 * - **Restart.** After a crash the service calls `start()`, compares `inventory()` with its
 *   stored intent, deletes what it no longer wants and re-ensures the rest.
 * - **Containment** (DESIGN.md §4). A real driver creates everything below its one underlay
 *   namespace; nothing is added to the host's root namespace except, when not isolated, the one
 *   external veth and its guard route.
 *
 * Names: the host-side device of a port is `tapName(portId)` and the instance-side peer is
 * `peerName(portId)`; a compute driver moves the peer into the instance's namespace.
 */
export interface NetworkDriver {
  readonly capabilities: NetworkCapabilities;

  /** Prepares the data plane (underlay namespace, external bridge). Idempotent. */
  start(): Promise<void>;
  /** Releases processes and handles; leaves the data plane in place for the next start. */
  close(): Promise<void>;
  /** What the data plane currently holds, by id, so the service can adopt or clean after a crash. */
  inventory(): Promise<NetworkInventory>;

  /**
   * A network: a Linux bridge (one per network) with the given MTU; for `external` networks the
   * bridge that carries the floating range. `subnets` lists every subnet (gateway addresses are
   * owned by router ports, never by the bridge).
   */
  ensureNetwork(spec: NetworkSpec): Promise<void>;
  /** Removes the bridge, DHCP server and metadata proxy of the network. */
  deleteNetwork(networkId: string): Promise<void>;

  /**
   * An instance port: the host-side device `tapName(id)` on the network's bridge, with MAC and
   * MTU. With `portSecurity`, traffic from the port is limited to its MAC and fixed IPs plus
   * `allowedAddressPairs` (anti-spoofing), and traffic is filtered by the union of the rules of
   * `securityGroupIds` (stateful unless every group is `stateful: false`; ingress denied unless a
   * rule allows it; a group the driver has not been given yet counts as having no rules). With `adminStateUp` false the port is plugged
   * but carries no traffic. Throws `missing` when the network was not ensured.
   */
  plugPort(spec: PortSpec): Promise<void>;
  unplugPort(portId: string): Promise<void>;

  /**
   * A router: a namespace with IP forwarding, one leg per interface (the subnet gateway
   * addresses), an optional gateway leg on an external network with SNAT of every interface
   * subnet to the first gateway address when `enableSnat`, and the extra `routes`. Interfaces of
   * different routers never reach each other except through their gateways.
   */
  ensureRouter(spec: RouterSpec): Promise<void>;
  /** Removes the router namespace with its legs and every floating IP mapped on it. */
  deleteRouter(routerId: string): Promise<void>;

  /**
   * A floating IP: 1:1 DNAT of `floatingIp` to `fixedIp` and SNAT back on `routerId`'s gateway
   * leg. Re-mapping the same id to another fixed IP or router moves it. Throws `missing` when
   * the router is unknown or has no gateway.
   */
  mapFloatingIp(spec: FloatingIpSpec): Promise<void>;
  unmapFloatingIp(floatingIpId: string): Promise<void>;

  /**
   * The rules and member addresses of one security group. Rules whose `remoteGroupId` names a
   * group match the member addresses of that group as last synced. Ports using the group pick
   * the change up without being re-plugged.
   */
  syncSecurityGroup(spec: SecurityGroupSpec): Promise<void>;
  deleteSecurityGroup(securityGroupId: string): Promise<void>;

  /**
   * DHCP for one network (dnsmasq on the DHCP port's addresses): one static host entry per port
   * address on a DHCP-enabled subnet, with the subnets' gateway, DNS servers and host routes.
   * `hosts` is the complete list; an empty `subnets` list means stop serving.
   */
  syncDhcp(spec: DhcpSpec): Promise<void>;
  deleteDhcp(networkId: string): Promise<void>;

  /**
   * The metadata proxy of one network: answers http://169.254.169.254 for every instance on the
   * network and forwards each request over the control plane's unix socket (given to the driver
   * when it is built) with `X-Forwarded-For: <instance IP>` and `X-Neutron-Network-ID`, so the
   * control plane can tell which port, and so which instance, asked.
   */
  ensureMetadataProxy(spec: MetadataSpec): Promise<void>;
  deleteMetadataProxy(networkId: string): Promise<void>;
}

/** Static facts about a driver, as data (nova's capabilities idea). */
export interface NetworkCapabilities {
  /** Driver name shown in health and agent listings. */
  name: string;
  /** `provider:network_type` values it can build. The first is the tenant default. */
  networkTypes: string[];
  /** Physical networks usable with `flat`. */
  physicalNetworks: string[];
  /** `binding:vif_type` of bound ports. */
  vifType: string;
  /** MTU of the underlying links; tenant networks get less for encapsulated types. */
  mtu: number;
  /** False for drivers that only model state (the fake); instances cannot reach anything. */
  dataPlane: boolean;
}

export interface NetworkInventory {
  networks: string[];
  ports: string[];
  routers: string[];
  floatingIps: string[];
  securityGroups: string[];
  dhcp: string[];
  metadata: string[];
}

export interface SubnetSpec {
  id: string;
  cidr: string;
  ipVersion: 4 | 6;
  gatewayIp: string | null;
  enableDhcp: boolean;
  dnsNameservers: string[];
  hostRoutes: { destination: string; nexthop: string }[];
  ipv6AddressMode: string | null;
  ipv6RaMode: string | null;
}

export interface NetworkSpec {
  id: string;
  projectId: string;
  mtu: number;
  adminStateUp: boolean;
  external: boolean;
  networkType: string;
  physicalNetwork: string | null;
  segmentationId: number | null;
  subnets: SubnetSpec[];
}

export interface FixedIp {
  subnetId: string;
  ipAddress: string;
  /** The subnet's CIDR, so the driver knows the prefix length. */
  cidr: string;
}

export interface PortSpec {
  id: string;
  networkId: string;
  macAddress: string;
  mtu: number;
  adminStateUp: boolean;
  fixedIps: FixedIp[];
  portSecurity: boolean;
  securityGroupIds: string[];
  allowedAddressPairs: { ipAddress: string; macAddress: string }[];
  deviceOwner: string;
  deviceId: string;
}

export interface RouterLeg {
  portId: string;
  networkId: string;
  macAddress: string;
  fixedIps: FixedIp[];
}

export interface RouterSpec {
  id: string;
  adminStateUp: boolean;
  /** Internal legs, one per interface port. */
  interfaces: RouterLeg[];
  gateway: (RouterLeg & { enableSnat: boolean; nexthops: string[] }) | null;
  routes: { destination: string; nexthop: string }[];
}

export interface FloatingIpSpec {
  id: string;
  routerId: string;
  floatingIp: string;
  fixedIp: string;
  portId: string;
  externalNetworkId: string;
}

export interface RuleSpec {
  id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** IP protocol number; null means any. */
  protocol: number | null;
  /** For TCP/UDP/SCTP/DCCP/UDP-Lite a port range; for ICMP the type and code. */
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
}

export interface SecurityGroupSpec {
  id: string;
  stateful: boolean;
  rules: RuleSpec[];
  /** Addresses of the ports in the group (fixed IPs and allowed pairs), for remote-group rules. */
  memberIps: string[];
}

export interface DhcpHost {
  portId: string;
  macAddress: string;
  ipAddress: string;
  hostname: string;
  /** Extra DHCP options (`extra_dhcp_opts`), by name. */
  options: { name: string; value: string; ipVersion: 4 | 6 }[];
}

export interface DhcpSpec {
  networkId: string;
  /** The DHCP server's own port: its MAC and one address per DHCP-enabled subnet. */
  serverPort: RouterLeg | null;
  subnets: SubnetSpec[];
  hosts: DhcpHost[];
  mtu: number;
  dnsDomain: string;
}

export interface MetadataSpec {
  networkId: string;
  /** IPv4 subnets on the network, whose instances the proxy serves. */
  cidrs: string[];
}

export type NetworkDriverErrorCode = 'missing' | 'invalid' | 'failed';

/** Every driver rejection. `retryable` asks the service to try the same call again later. */
export class NetworkDriverError extends Error {
  constructor(
    readonly code: NetworkDriverErrorCode,
    message: string,
    readonly retryable = code !== 'invalid',
  ) {
    super(message);
  }
}

/** Host-side device name of a port (Linux allows 15 characters), as Neutron names taps. */
export function tapName(portId: string): string {
  return `tap${portId.slice(0, 11)}`;
}

/** Instance-side peer of `tapName(portId)`, renamed to eth0… inside the instance. */
export function peerName(portId: string): string {
  return `ns${portId.slice(0, 11)}`;
}
