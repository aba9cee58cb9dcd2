import {
  NetworkDriverError,
  type DhcpSpec,
  type FloatingIpSpec,
  type MetadataSpec,
  type NetworkCapabilities,
  type NetworkDriver,
  type NetworkInventory,
  type NetworkSpec,
  type PortSpec,
  type RouterSpec,
  type SecurityGroupSpec,
} from './driver.js';

export interface FakeCall {
  method: keyof NetworkDriver;
  id: string;
}

type Method = Exclude<keyof NetworkDriver, 'capabilities'>;

/**
 * The in-memory network driver: it keeps the desired state it was given, checks the ordering
 * rules of the contract, records every call, and can be told to fail. It moves no packets, so a
 * cloud on it does IPAM and bookkeeping only.
 *
 * @example
 *   const fake = new FakeNetworkDriver();
 *   fake.failNext('plugPort');            // the next plugPort rejects (retryable)
 *   fake.failAlways('ensureRouter');      // until fake.heal()
 */
export class FakeNetworkDriver implements NetworkDriver {
  readonly capabilities: NetworkCapabilities = {
    name: 'fake',
    networkTypes: ['vxlan', 'flat', 'local'],
    physicalNetworks: ['public'],
    vifType: 'bridge',
    mtu: 1500,
    dataPlane: false,
  };
  readonly networks = new Map<string, NetworkSpec>();
  readonly ports = new Map<string, PortSpec>();
  readonly routers = new Map<string, RouterSpec>();
  readonly floatingIps = new Map<string, FloatingIpSpec>();
  readonly securityGroups = new Map<string, SecurityGroupSpec>();
  readonly dhcp = new Map<string, DhcpSpec>();
  readonly metadata = new Map<string, MetadataSpec>();
  readonly calls: FakeCall[] = [];
  private readonly failing = new Map<Method, number>();
  started = false;

  /** The next `times` calls of `method` reject with a retryable error. */
  failNext(method: Method, times = 1): void {
    this.failing.set(method, (this.failing.get(method) ?? 0) + times);
  }
  failAlways(method: Method): void {
    this.failing.set(method, Infinity);
  }
  heal(): void {
    this.failing.clear();
  }
  callsOf(method: Method): string[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.id);
  }

  private enter(method: Method, id: string): void {
    this.calls.push({ method, id });
    if (this.calls.length > 10_000) this.calls.splice(0, 5_000);
    const left = this.failing.get(method) ?? 0;
    if (left > 0) {
      this.failing.set(method, left - 1);
      throw new NetworkDriverError('failed', `fake: ${method} told to fail`);
    }
  }

  private needNetwork(id: string): void {
    if (!this.networks.has(id)) throw new NetworkDriverError('missing', `fake: network ${id} not ensured`);
  }

  async start(): Promise<void> {
    this.enter('start', '');
    this.started = true;
  }
  async close(): Promise<void> {
    this.started = false;
  }
  async inventory(): Promise<NetworkInventory> {
    this.enter('inventory', '');
    return {
      networks: [...this.networks.keys()],
      ports: [...this.ports.keys()],
      routers: [...this.routers.keys()],
      floatingIps: [...this.floatingIps.keys()],
      securityGroups: [...this.securityGroups.keys()],
      dhcp: [...this.dhcp.keys()],
      metadata: [...this.metadata.keys()],
    };
  }

  async ensureNetwork(spec: NetworkSpec): Promise<void> {
    this.enter('ensureNetwork', spec.id);
    this.networks.set(spec.id, clone(spec));
  }
  async deleteNetwork(id: string): Promise<void> {
    this.enter('deleteNetwork', id);
    this.networks.delete(id);
    this.dhcp.delete(id);
    this.metadata.delete(id);
  }

  async plugPort(spec: PortSpec): Promise<void> {
    this.enter('plugPort', spec.id);
    this.needNetwork(spec.networkId);
    this.ports.set(spec.id, clone(spec));
  }
  async unplugPort(id: string): Promise<void> {
    this.enter('unplugPort', id);
    this.ports.delete(id);
  }

  async ensureRouter(spec: RouterSpec): Promise<void> {
    this.enter('ensureRouter', spec.id);
    for (const leg of [...spec.interfaces, ...(spec.gateway ? [spec.gateway] : [])]) this.needNetwork(leg.networkId);
    this.routers.set(spec.id, clone(spec));
    // Floating IPs need a gateway: drop the ones the new spec no longer supports.
    if (!spec.gateway) for (const [id, f] of this.floatingIps) if (f.routerId === spec.id) this.floatingIps.delete(id);
  }
  async deleteRouter(id: string): Promise<void> {
    this.enter('deleteRouter', id);
    this.routers.delete(id);
    for (const [fid, f] of this.floatingIps) if (f.routerId === id) this.floatingIps.delete(fid);
  }

  async mapFloatingIp(spec: FloatingIpSpec): Promise<void> {
    this.enter('mapFloatingIp', spec.id);
    const r = this.routers.get(spec.routerId);
    if (!r?.gateway) throw new NetworkDriverError('missing', `fake: router ${spec.routerId} has no gateway`);
    this.floatingIps.set(spec.id, clone(spec));
  }
  async unmapFloatingIp(id: string): Promise<void> {
    this.enter('unmapFloatingIp', id);
    this.floatingIps.delete(id);
  }

  async syncSecurityGroup(spec: SecurityGroupSpec): Promise<void> {
    this.enter('syncSecurityGroup', spec.id);
    this.securityGroups.set(spec.id, clone(spec));
  }
  async deleteSecurityGroup(id: string): Promise<void> {
    this.enter('deleteSecurityGroup', id);
    this.securityGroups.delete(id);
  }

  async syncDhcp(spec: DhcpSpec): Promise<void> {
    this.enter('syncDhcp', spec.networkId);
    this.needNetwork(spec.networkId);
    if (spec.subnets.length === 0) this.dhcp.delete(spec.networkId);
    else this.dhcp.set(spec.networkId, clone(spec));
  }
  async deleteDhcp(networkId: string): Promise<void> {
    this.enter('deleteDhcp', networkId);
    this.dhcp.delete(networkId);
  }

  async ensureMetadataProxy(spec: MetadataSpec): Promise<void> {
    this.enter('ensureMetadataProxy', spec.networkId);
    this.needNetwork(spec.networkId);
    this.metadata.set(spec.networkId, clone(spec));
  }
  async deleteMetadataProxy(networkId: string): Promise<void> {
    this.enter('deleteMetadataProxy', networkId);
    this.metadata.delete(networkId);
  }
}

function clone<T>(v: T): T {
  return structuredClone(v);
}
