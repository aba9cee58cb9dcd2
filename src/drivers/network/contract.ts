import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  NetworkDriverError,
  type NetworkDriver,
  type NetworkSpec,
  type PortSpec,
  type RouterSpec,
  type SecurityGroupSpec,
} from './driver.js';

export interface ContractTarget {
  driver: NetworkDriver;
  /** Removes whatever the run left behind (namespaces, processes). */
  cleanup(): Promise<void>;
}

/**
 * The shared suite every network driver passes: the fake in every `npm test`, the real Linux
 * driver as root. It checks the contract in driver.ts through the driver's own interface:
 * idempotence, convergence, ordering errors and inventory.
 *
 * @example
 *   networkDriverContract('fake', async () => ({ driver: new FakeNetworkDriver(), cleanup: async () => {} }));
 */
export function networkDriverContract(name: string, make: () => Promise<ContractTarget>): void {
  describe(`network driver contract: ${name}`, () => {
    let t: ContractTarget;
    let d: NetworkDriver;
    before(async () => {
      t = await make();
      d = t.driver;
      await d.start();
      await d.start();
    });
    after(async () => {
      await d.close();
      await t.cleanup();
    });

    it('declares its capabilities as data', () => {
      assert.ok(d.capabilities.networkTypes.length > 0);
      assert.ok(d.capabilities.mtu >= 1280);
      assert.equal(typeof d.capabilities.vifType, 'string');
    });

    it('ensures and deletes networks idempotently', async () => {
      const n = network('10.201.0.0/24');
      await d.ensureNetwork(n);
      await d.ensureNetwork(n);
      await d.ensureNetwork({ ...n, mtu: 1400 });
      assert.ok((await d.inventory()).networks.includes(n.id));
      await d.deleteNetwork(n.id);
      await d.deleteNetwork(n.id);
      await d.deleteNetwork(randomUUID());
      assert.ok(!(await d.inventory()).networks.includes(n.id));
    });

    it('refuses to plug a port into a network it does not have', async () => {
      await assert.rejects(d.plugPort(port(randomUUID(), '10.0.0.5', '10.0.0.0/24')), (e) => e instanceof NetworkDriverError && e.code === 'missing');
    });

    it('plugs, re-plugs with new state, and unplugs ports', async () => {
      const n = network('10.202.0.0/24');
      await d.ensureNetwork(n);
      const p = port(n.id, '10.202.0.5', '10.202.0.0/24');
      await d.plugPort(p);
      await d.plugPort(p);
      await d.plugPort({ ...p, adminStateUp: false, fixedIps: [{ ...p.fixedIps[0]!, ipAddress: '10.202.0.6' }] });
      assert.ok((await d.inventory()).ports.includes(p.id));
      await d.unplugPort(p.id);
      await d.unplugPort(p.id);
      assert.ok(!(await d.inventory()).ports.includes(p.id));
      await d.deleteNetwork(n.id);
    });

    it('builds routers with interfaces, gateway, SNAT and routes, and maps floating IPs', async () => {
      const ext = { ...network('172.31.250.0/24'), external: true, networkType: d.capabilities.networkTypes.includes('flat') ? 'flat' : d.capabilities.networkTypes[0]! };
      const inner = network('10.203.0.0/24');
      await d.ensureNetwork(ext);
      await d.ensureNetwork(inner);
      const r = router(inner, ext);
      await assert.rejects(d.mapFloatingIp(fip(r.id)), (e) => e instanceof NetworkDriverError && e.code === 'missing');
      await d.ensureRouter({ ...r, gateway: null });
      await d.ensureRouter(r);
      await d.ensureRouter(r);
      const f = fip(r.id);
      await d.mapFloatingIp(f);
      await d.mapFloatingIp(f);
      await d.mapFloatingIp({ ...f, fixedIp: '10.203.0.11' });
      assert.ok((await d.inventory()).floatingIps.includes(f.id));
      await d.unmapFloatingIp(f.id);
      await d.unmapFloatingIp(f.id);
      await d.mapFloatingIp(f);
      await d.deleteRouter(r.id);
      await d.deleteRouter(r.id);
      const inv = await d.inventory();
      assert.ok(!inv.routers.includes(r.id));
      assert.ok(!inv.floatingIps.includes(f.id), 'deleting a router unmaps its floating IPs');
      await d.deleteNetwork(inner.id);
      await d.deleteNetwork(ext.id);
    });

    it('syncs security groups by full replacement', async () => {
      const sg: SecurityGroupSpec = {
        id: randomUUID(),
        stateful: true,
        memberIps: ['10.204.0.5'],
        rules: [
          { id: randomUUID(), direction: 'egress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null },
          { id: randomUUID(), direction: 'ingress', ethertype: 'IPv4', protocol: 6, portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0', remoteGroupId: null },
        ],
      };
      await d.syncSecurityGroup(sg);
      await d.syncSecurityGroup(sg);
      await d.syncSecurityGroup({ ...sg, rules: [{ ...sg.rules[0]!, remoteGroupId: sg.id }], memberIps: [] });
      assert.ok((await d.inventory()).securityGroups.includes(sg.id));
      await d.deleteSecurityGroup(sg.id);
      await d.deleteSecurityGroup(sg.id);
      assert.ok(!(await d.inventory()).securityGroups.includes(sg.id));
    });

    it('serves DHCP and metadata per network, and stops both with the network', async () => {
      const n = network('10.205.0.0/24');
      await assert.rejects(d.syncDhcp(dhcp(n)), (e) => e instanceof NetworkDriverError && e.code === 'missing');
      await d.ensureNetwork(n);
      await d.syncDhcp(dhcp(n));
      await d.syncDhcp(dhcp(n));
      await d.ensureMetadataProxy({ networkId: n.id, cidrs: ['10.205.0.0/24'] });
      await d.ensureMetadataProxy({ networkId: n.id, cidrs: ['10.205.0.0/24'] });
      let inv = await d.inventory();
      assert.ok(inv.dhcp.includes(n.id) && inv.metadata.includes(n.id));
      await d.syncDhcp({ ...dhcp(n), subnets: [], hosts: [] });
      assert.ok(!(await d.inventory()).dhcp.includes(n.id), 'an empty subnet list stops DHCP');
      await d.syncDhcp(dhcp(n));
      await d.deleteDhcp(n.id);
      await d.deleteDhcp(n.id);
      await d.syncDhcp(dhcp(n));
      await d.deleteNetwork(n.id);
      inv = await d.inventory();
      assert.ok(!inv.dhcp.includes(n.id) && !inv.metadata.includes(n.id));
      await d.deleteMetadataProxy(n.id);
    });
  });
}

function subnetOf(cidr: string) {
  const base = cidr.split('/')[0]!.split('.').slice(0, 3).join('.');
  return { id: randomUUID(), cidr, ipVersion: 4 as const, gatewayIp: `${base}.1`, enableDhcp: true, dnsNameservers: [], hostRoutes: [], ipv6AddressMode: null, ipv6RaMode: null };
}

function network(cidr: string): NetworkSpec {
  return { id: randomUUID(), projectId: 'p', mtu: 1450, adminStateUp: true, external: false, networkType: 'vxlan', physicalNetwork: null, segmentationId: 77, subnets: [subnetOf(cidr)] };
}

function port(networkId: string, ip: string, cidr: string): PortSpec {
  return {
    id: randomUUID(),
    networkId,
    macAddress: 'fa:16:3e:00:00:01',
    mtu: 1450,
    adminStateUp: true,
    fixedIps: [{ subnetId: randomUUID(), ipAddress: ip, cidr }],
    portSecurity: true,
    securityGroupIds: [],
    allowedAddressPairs: [],
    deviceOwner: 'compute:nova',
    deviceId: randomUUID(),
  };
}

function router(inner: NetworkSpec, ext: NetworkSpec): RouterSpec {
  const leg = (n: NetworkSpec, ip: string, mac: string) => ({ portId: randomUUID(), networkId: n.id, macAddress: mac, fixedIps: [{ subnetId: n.subnets[0]!.id, ipAddress: ip, cidr: n.subnets[0]!.cidr }] });
  return {
    id: randomUUID(),
    adminStateUp: true,
    interfaces: [leg(inner, '10.203.0.1', 'fa:16:3e:00:00:02')],
    gateway: { ...leg(ext, '172.31.250.10', 'fa:16:3e:00:00:03'), enableSnat: true, nexthops: ['172.31.250.1'] },
    routes: [{ destination: '192.168.77.0/24', nexthop: '10.203.0.254' }],
  };
}

function fip(routerId: string) {
  return { id: randomUUID(), routerId, floatingIp: '172.31.250.20', fixedIp: '10.203.0.10', portId: randomUUID(), externalNetworkId: randomUUID() };
}

function dhcp(n: NetworkSpec) {
  const sub = n.subnets[0]!;
  const base = sub.cidr.split('/')[0]!.split('.').slice(0, 3).join('.');
  return {
    networkId: n.id,
    serverPort: { portId: randomUUID(), networkId: n.id, macAddress: 'fa:16:3e:00:00:04', fixedIps: [{ subnetId: sub.id, ipAddress: `${base}.2`, cidr: sub.cidr }] },
    subnets: n.subnets,
    hosts: [{ portId: randomUUID(), macAddress: 'fa:16:3e:00:00:05', ipAddress: `${base}.5`, hostname: `host-${base.replace(/\./g, '-')}-5`, options: [] }],
    mtu: n.mtu,
    dnsDomain: 'openstacklocal.',
  };
}
