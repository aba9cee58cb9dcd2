import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { FakeNetworkDriver } from '../../src/drivers/network/fake.js';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertNeutronError, Net, until } from './network-helpers.js';

/** Ports and IPAM over real HTTP, with the fake driver behind them. */
describe('network: ports and IPAM', () => {
  let c: TestCloud;
  let admin: Net;
  let demo: Net;
  let alt: Net;
  let fake: FakeNetworkDriver;

  before(async () => {
    c = await startTestCloud();
    admin = await Net.as(c, 'admin');
    demo = await Net.as(c, 'demo');
    alt = await Net.as(c, 'alt_demo');
    fake = c.cloud.networking.driver as FakeNetworkDriver;
  });
  after(() => c.close());

  it('hands out exactly the free addresses of a /26 to 100 parallel creates, never one twice', async () => {
    const { net, sub } = await demo.netWithSubnet(uniqueName('ipam'), '10.77.0.0/26', { enable_dhcp: false });
    const free = 64 - 3; // network, gateway, broadcast
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => demo.post('/ports', { port: { network_id: net.id, name: `p${i}` } })));
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    assert.equal(ok.length, free);
    for (const r of refused) assertNeutronError(r, 409, 'IpAddressGenerationFailure');
    const ips = ok.map((r) => r.body.port.fixed_ips[0].ip_address);
    assert.equal(new Set(ips).size, ips.length, 'no address twice');
    const macs = ok.map((r) => r.body.port.mac_address);
    assert.equal(new Set(macs).size, macs.length, 'no MAC twice');
    assert.ok(macs.every((m) => /^fa:16:3e(:[0-9a-f]{2}){3}$/.test(m)));
    const avail = (await admin.get(`/network-ip-availabilities/${net.id}`)).body.network_ip_availability;
    assert.deepEqual([avail.total_ips, avail.used_ips], [free, free]);
    assert.equal(avail.subnet_ip_availability[0].subnet_id, sub.id);
    assertNeutronError(await demo.get('/network-ip-availabilities'), 403);
    await Promise.all(ok.map((r) => demo.remove('ports', r.body.port.id)));
    assert.equal((await admin.get(`/network-ip-availabilities/${net.id}`)).body.network_ip_availability.used_ips, 0);
    await demo.remove('networks', net.id);
  });

  it('creates ports with fixed IPs by subnet or address, MACs, and a DHCP port per network', async () => {
    const { net, sub } = await demo.netWithSubnet(uniqueName('ports'), '10.78.0.0/24');
    const dhcp = await demo.list('ports', `network_id=${net.id}&device_owner=network:dhcp`);
    assert.equal(dhcp.length, 1);
    assert.equal(dhcp[0].fixed_ips[0].ip_address, '10.78.0.2');
    const p = await demo.create('ports', 'port', { network_id: net.id, fixed_ips: [{ ip_address: '10.78.0.50' }], device_id: 'vm-1', device_owner: 'compute:nova' });
    assert.deepEqual(p.fixed_ips, [{ subnet_id: sub.id, ip_address: '10.78.0.50' }]);
    assert.equal(p.status, 'DOWN');
    assert.deepEqual(p.dns_assignment, [{ hostname: 'host-10-78-0-50', ip_address: '10.78.0.50', fqdn: 'host-10-78-0-50.openstacklocal.' }]);
    assertNeutronError(await demo.post('/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.78.0.50' }] } }), 409, 'IpAddressInUse');
    assertNeutronError(await demo.post('/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.99.0.5' }] } }), 400, 'InvalidIpForNetwork');
    assertNeutronError(await demo.post('/ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: sub.id, ip_address: '10.78.0.255' }] } }), 400, 'InvalidIpForSubnet');
    assertNeutronError(await demo.post('/ports', { port: { network_id: net.id, mac_address: p.mac_address } }), 409, 'MacAddressInUse');
    assert.equal((await demo.list('ports', 'device_id=vm-1')).length, 1);
    assert.equal((await demo.list('ports', 'fixed_ips=ip_address=10.78.0.50')).length, 1);
    assert.equal((await demo.list('ports', `fixed_ips=subnet_id=${sub.id}&fixed_ips=ip_address_substr=10.78.0.5`)).length, 1);
    const two = await demo.update('ports', 'port', p.id, { fixed_ips: [{ subnet_id: sub.id, ip_address: '10.78.0.50' }, { subnet_id: sub.id }] });
    assert.equal(two.fixed_ips.length, 2);
    const one = await demo.update('ports', 'port', p.id, { fixed_ips: [{ subnet_id: sub.id }] });
    assert.deepEqual(one.fixed_ips.map((f: any) => f.ip_address), ['10.78.0.50']);
    const custom = await demo.create('ports', 'port', { network_id: net.id, mac_address: 'FA:16:3E:00:00:AA' });
    assert.equal(custom.mac_address, 'fa:16:3e:00:00:aa');
  });

  it('applies the default security group, port security and allowed address pairs', async () => {
    const { net } = await demo.netWithSubnet(uniqueName('sec'), '10.79.0.0/24');
    const [def] = await demo.list('security-groups', 'name=default');
    const p = await demo.create('ports', 'port', { network_id: net.id });
    assert.deepEqual(p.security_groups, [def.id]);
    assert.equal(p.port_security_enabled, true);
    const none = await demo.create('ports', 'port', { network_id: net.id, security_groups: [] });
    assert.deepEqual(none.security_groups, []);
    assertNeutronError(await demo.post('/ports', { port: { network_id: net.id, port_security_enabled: false, security_groups: [def.id] } }), 400, 'PortSecurityAndIPRequiredForSecurityGroups');
    assertNeutronError(await demo.put(`/ports/${p.id}`, { port: { port_security_enabled: false } }), 409, 'PortSecurityPortHasSecurityGroup');
    const off = await demo.update('ports', 'port', p.id, { port_security_enabled: false, security_groups: [] });
    assert.equal(off.port_security_enabled, false);
    assertNeutronError(await demo.put(`/ports/${p.id}`, { port: { allowed_address_pairs: [{ ip_address: '10.79.0.200' }] } }), 409, 'AddressPairAndPortSecurityRequired');
    const pairs = await demo.update('ports', 'port', none.id, { allowed_address_pairs: [{ ip_address: '10.79.0.200' }, { ip_address: '10.80.0.0/24', mac_address: 'fa:16:3e:11:22:33' }] });
    assert.deepEqual(pairs.allowed_address_pairs, [
      { ip_address: '10.79.0.200', mac_address: none.mac_address },
      { ip_address: '10.80.0.0/24', mac_address: 'fa:16:3e:11:22:33' },
    ]);
    const altGroup = (await alt.list('security-groups', 'name=default'))[0];
    assertNeutronError(await demo.post('/ports', { port: { network_id: net.id, security_groups: [altGroup.id] } }), 404, 'SecurityGroupNotFound');
    assertNeutronError(await demo.del(`/security-groups/${def.id}`), 409);
    await demo.remove('ports', p.id);
    await demo.remove('ports', none.id);
    await demo.remove('networks', net.id);
  });

  it('keeps binding details for admins and records status through the driver', async () => {
    const { net } = await demo.netWithSubnet(uniqueName('bind'), '10.81.0.0/24');
    const p = await demo.create('ports', 'port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm-2' });
    assert.equal(p['binding:host_id'], undefined, 'binding details are admin-only');
    assert.equal(p['binding:vnic_type'], 'normal');
    assertNeutronError(await demo.put(`/ports/${p.id}`, { port: { 'binding:host_id': 'h' } }), 403);
    const asAdmin = await admin.show('ports', 'port', p.id);
    assert.deepEqual([asAdmin['binding:host_id'], asAdmin['binding:vif_type']], ['', 'unbound']);
    fake.failNext('plugPort');
    const bound = await admin.update('ports', 'port', p.id, { 'binding:host_id': hostname() });
    assert.equal(bound.status, 'BUILD');
    assert.equal(bound['binding:vif_type'], 'bridge');
    const errored = await until(() => demo.show('ports', 'port', p.id), (x) => x.status === 'ERROR', 2000);
    assert.ok(['ERROR', 'ACTIVE'].includes(errored.status));
    const active = await until(() => demo.show('ports', 'port', p.id), (x) => x.status === 'ACTIVE', 5000);
    assert.equal(active.status, 'ACTIVE');
    assert.ok(fake.ports.has(p.id), 'the driver has the port');
    assert.deepEqual(fake.ports.get(p.id)!.securityGroupIds, p.security_groups);
    const down = await demo.update('ports', 'port', p.id, { admin_state_up: false });
    assert.equal(down.admin_state_up, false);
    assert.equal((await until(() => demo.show('ports', 'port', p.id), (x) => x.status === 'DOWN')).status, 'DOWN');
    await c.cloud.networking.settle();
    assert.ok(fake.dhcp.get(net.id)!.hosts.some((h) => h.portId === p.id), 'the port has a DHCP host entry');
    assertNeutronError(await demo.put(`/ports/${p.id}`, { port: { mac_address: 'fa:16:3e:01:02:03' } }), 409, 'PortBound');
    await demo.remove('ports', p.id);
    await c.cloud.networking.settle();
    assert.ok(!fake.ports.has(p.id), 'unplugged');
    await demo.remove('networks', net.id);
  });

  it('refuses ports on networks the caller may not use, and service-port deletes', async () => {
    const [pub] = await demo.list('networks', 'name=public');
    assertNeutronError(await demo.post('/ports', { port: { network_id: pub.id } }), 403);
    const [priv] = await demo.list('networks', 'name=private');
    assertNeutronError(await alt.post('/ports', { port: { network_id: priv.id } }), 404, 'NetworkNotFound');
    const [iface] = await demo.list('ports', `network_id=${priv.id}&device_owner=network:router_interface`);
    assertNeutronError(await demo.del(`/ports/${iface.id}`), 409, 'ServicePortInUse');
    assertNeutronError(await demo.del(`/networks/${priv.id}`), 409, 'NetworkInUse');
    const exhausted = await demo.netWithSubnet(uniqueName('tiny'), '10.82.0.0/30', { enable_dhcp: false });
    await demo.create('ports', 'port', { network_id: exhausted.net.id });
    assertNeutronError(await demo.post('/ports', { port: { network_id: exhausted.net.id } }), 409, 'IpAddressGenerationFailure');
  });
});
