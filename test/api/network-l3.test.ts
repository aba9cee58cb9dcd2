import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeNetworkDriver } from '../../src/drivers/network/fake.js';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertNeutronError, Net, projectOf, until } from './network-helpers.js';

/** Routers, floating IPs, quotas, agents and metering over real HTTP. */
describe('network: routers, floating IPs, quotas, agents', () => {
  let c: TestCloud;
  let admin: Net;
  let demo: Net;
  let alt: Net;
  let pub: any;
  let fake: FakeNetworkDriver;

  before(async () => {
    c = await startTestCloud();
    admin = await Net.as(c, 'admin');
    demo = await Net.as(c, 'demo');
    alt = await Net.as(c, 'alt_demo');
    [pub] = await demo.list('networks', 'name=public');
    fake = c.cloud.networking.driver as FakeNetworkDriver;
  });
  after(() => c.close());

  it('sets a gateway, adds and removes interfaces by subnet and by port, and refuses overlaps', async () => {
    const r = await demo.create('routers', 'router', { name: uniqueName('r') });
    assert.equal(r.external_gateway_info, null);
    assert.equal(r.status, 'ACTIVE');
    const gw = await demo.update('routers', 'router', r.id, { external_gateway_info: { network_id: pub.id } });
    assert.equal(gw.external_gateway_info.enable_snat, true);
    assert.match(gw.external_gateway_info.external_fixed_ips[0].ip_address, /^172\.24\.4\.\d+$/);
    assertNeutronError(await demo.put(`/routers/${r.id}`, { router: { external_gateway_info: { network_id: pub.id, enable_snat: false } } }), 403);
    const a = await demo.netWithSubnet(uniqueName('a'), '10.60.0.0/24');
    const b = await demo.netWithSubnet(uniqueName('b'), '10.60.0.0/25');
    const ia = await demo.put(`/routers/${r.id}/add_router_interface`, { subnet_id: a.sub.id });
    assert.equal(ia.status, 200);
    assert.deepEqual(Object.keys(ia.body).sort(), ['id', 'network_id', 'port_id', 'project_id', 'subnet_id', 'subnet_ids', 'tenant_id']);
    const over = await demo.put(`/routers/${r.id}/add_router_interface`, { subnet_id: b.sub.id });
    assertNeutronError(over, 400, 'BadRequest');
    assert.match(over.body.NeutronError.message, /overlaps with cidr/);
    assertNeutronError(await demo.put(`/routers/${r.id}/add_router_interface`, { subnet_id: a.sub.id }), 400);
    assertNeutronError(await demo.put(`/routers/${r.id}/add_router_interface`, {}), 400);
    const port = (await demo.get(`/ports/${ia.body.port_id}`)).body.port;
    assert.deepEqual([port.device_owner, port.device_id, port.fixed_ips[0].ip_address], ['network:router_interface', r.id, '10.60.0.1']);
    const c2 = await demo.netWithSubnet(uniqueName('c'), '10.61.0.0/24');
    const p = await demo.create('ports', 'port', { network_id: c2.net.id });
    const ip = await demo.put(`/routers/${r.id}/add_router_interface`, { port_id: p.id });
    assert.equal(ip.body.port_id, p.id);
    assertNeutronError(await demo.put(`/routers/${r.id}/add_router_interface`, { port_id: p.id }), 409, 'PortInUse');
    assert.equal((await demo.list('ports', `device_id=${r.id}`)).length, 2, 'the gateway port belongs to no project');
    const routes = await demo.update('routers', 'router', r.id, { routes: [{ destination: '192.168.50.0/24', nexthop: '10.60.0.20' }] });
    assert.deepEqual(routes.routes, [{ destination: '192.168.50.0/24', nexthop: '10.60.0.20' }]);
    assertNeutronError(await demo.put(`/routers/${r.id}`, { router: { routes: [{ destination: '1.2.3.0/24', nexthop: '10.99.0.1' }] } }), 400, 'InvalidRoutes');
    assertNeutronError(await demo.put(`/routers/${r.id}/remove_router_interface`, { subnet_id: a.sub.id }), 409, 'RouterInterfaceInUseByRoute');
    await demo.update('routers', 'router', r.id, { routes: null });
    assertNeutronError(await demo.del(`/routers/${r.id}`), 409, 'RouterInUse');
    await c.cloud.networking.settle();
    const spec = fake.routers.get(r.id)!;
    assert.deepEqual(spec.interfaces.length, 2);
    assert.equal(spec.gateway?.enableSnat, true);
    assert.equal((await demo.put(`/routers/${r.id}/remove_router_interface`, { subnet_id: a.sub.id })).body.subnet_id, a.sub.id);
    assertNeutronError(await demo.put(`/routers/${r.id}/remove_router_interface`, { subnet_id: a.sub.id }), 404, 'RouterInterfaceNotFoundForSubnet');
    assert.equal((await demo.put(`/routers/${r.id}/remove_router_interface`, { port_id: p.id })).status, 200);
    assertNeutronError(await demo.get(`/ports/${p.id}`), 404, 'PortNotFound'); // as in Neutron, the port goes with the interface
    assertNeutronError(await alt.get(`/routers/${r.id}`), 404, 'RouterNotFound');
    await demo.remove('routers', r.id);
    await c.cloud.networking.settle();
    assert.ok(!fake.routers.has(r.id));
    for (const n of [a, b, c2]) await demo.remove('networks', n.net.id);
  });

  it('associates floating IPs through a router, with Neutron’s errors otherwise', async () => {
    const [priv] = await demo.list('networks', 'name=private');
    const vm = await demo.create('ports', 'port', { network_id: priv.id, device_owner: 'compute:nova', device_id: 'vm-fip' });
    const f = await demo.create('floatingips', 'floatingip', { floating_network_id: pub.id });
    assert.deepEqual([f.status, f.port_id, f.fixed_ip_address, f.router_id, f.port_details], ['DOWN', null, null, null, null]);
    const assoc = await demo.update('floatingips', 'floatingip', f.id, { port_id: vm.id });
    assert.equal(assoc.fixed_ip_address, vm.fixed_ips[0].ip_address);
    const [r1] = await demo.list('routers', 'name=router1');
    assert.equal(assoc.router_id, r1.id);
    assert.equal(assoc.port_details.device_id, 'vm-fip');
    assert.equal((await until(() => demo.show('floatingips', 'floatingip', f.id), (x) => x.status === 'ACTIVE')).status, 'ACTIVE');
    assert.equal(fake.floatingIps.get(f.id)?.fixedIp, vm.fixed_ips[0].ip_address);
    const other = await demo.create('floatingips', 'floatingip', { floating_network_id: pub.id });
    assertNeutronError(await demo.put(`/floatingips/${other.id}`, { floatingip: { port_id: vm.id } }), 409, 'FloatingIPPortAlreadyAssociated');
    const island = await demo.netWithSubnet(uniqueName('island'), '10.62.0.0/24');
    const lonely = await demo.create('ports', 'port', { network_id: island.net.id });
    assertNeutronError(await demo.put(`/floatingips/${other.id}`, { floatingip: { port_id: lonely.id } }), 404, 'ExternalGatewayForFloatingIPNotFound');
    assertNeutronError(await demo.put(`/routers/${r1.id}/remove_router_interface`, { subnet_id: vm.fixed_ips[0].subnet_id }), 409, 'RouterInterfaceInUseByFloatingIP');
    assertNeutronError(await demo.put(`/routers/${r1.id}`, { router: { external_gateway_info: null } }), 409, 'RouterExternalGatewayInUseByFloatingIp');
    assertNeutronError(await demo.post('/floatingips', { floatingip: { floating_network_id: priv.id } }), 400, 'BadRequest');
    assertNeutronError(await demo.post('/floatingips', { floatingip: { floating_network_id: pub.id, floating_ip_address: '172.24.4.200' } }), 403);
    const chosen = await admin.create('floatingips', 'floatingip', { floating_network_id: pub.id, floating_ip_address: '172.24.4.200' });
    assertNeutronError(await admin.post('/floatingips', { floatingip: { floating_network_id: pub.id, floating_ip_address: '172.24.4.200' } }), 409, 'IpAddressInUse');
    await demo.remove('ports', vm.id);
    const cleared = await demo.show('floatingips', 'floatingip', f.id);
    assert.deepEqual([cleared.port_id, cleared.fixed_ip_address, cleared.router_id], [null, null, null]);
    await until(() => demo.show('floatingips', 'floatingip', f.id), (x) => x.status === 'DOWN');
    assert.ok(!fake.floatingIps.has(f.id));
    for (const id of [f.id, other.id]) await demo.remove('floatingips', id);
    await admin.remove('floatingips', chosen.id);
    assertNeutronError(await demo.get(`/floatingips/${f.id}`), 404, 'FloatingIPNotFound');
  });

  it('deletes an external network with the floating IPs nobody uses', async () => {
    const ext = await admin.create('networks', 'network', { name: uniqueName('ext'), 'router:external': true });
    await admin.create('subnets', 'subnet', { network_id: ext.id, cidr: '172.30.9.0/24', ip_version: 4, enable_dhcp: false });
    const f = await admin.create('floatingips', 'floatingip', { floating_network_id: ext.id });
    await admin.remove('networks', ext.id);
    assertNeutronError(await admin.get(`/floatingips/${f.id}`), 404, 'FloatingIPNotFound');
  });

  it('enforces quotas and reports usage', async () => {
    const altProject = await projectOf(c, alt.token);
    assertNeutronError(await alt.put(`/quotas/${altProject}`, { quota: { network: 1 } }), 403);
    const set = await admin.put(`/quotas/${altProject}`, { quota: { network: 2, security_group: 2 } });
    assert.equal(set.body.quota.network, 2);
    assert.equal((await alt.get(`/quotas/${altProject}`)).body.quota.network, 2);
    assertNeutronError(await alt.get(`/quotas/${await projectOf(c, demo.token)}`), 403);
    const existing = (await alt.list('networks')).filter((n) => n.project_id === altProject).length;
    const made = [];
    for (let i = existing; i < 2; i++) made.push(await alt.create('networks', 'network', { name: uniqueName('q') }));
    assertNeutronError(await alt.post('/networks', { network: { name: 'over' } }), 409, 'OverQuota');
    const details = (await alt.get(`/quotas/${altProject}/details`)).body.quota;
    assert.deepEqual(details.network, { limit: 2, used: 2, reserved: 0 });
    const sg = await alt.create('security-groups', 'security_group', { name: uniqueName('sg') });
    assertNeutronError(await alt.post('/security-groups', { security_group: { name: 'x' } }), 409, 'OverQuota');
    assert.ok((await admin.get('/quotas')).body.quotas.some((q: any) => q.project_id === altProject));
    assert.equal((await admin.del(`/quotas/${altProject}`)).status, 204);
    assert.equal((await alt.get(`/quotas/${altProject}`)).body.quota.network, 100);
    assertNeutronError(await admin.put(`/quotas/${altProject}`, { quota: { bogus: 1 } }), 400);
    for (const n of made) await alt.remove('networks', n.id);
    await alt.remove('security-groups', sg.id);
  });

  it('lists agents and schedules routers and networks on them (admin only)', async () => {
    assert.deepEqual(await demo.list('agents'), [], 'agents are visible to admins only');
    const agents = await admin.list('agents');
    const types = agents.map((a) => a.agent_type).sort();
    assert.deepEqual(types, ['DHCP agent', 'L3 agent', 'Linux bridge agent', 'Metadata agent']);
    assert.ok(agents.every((a) => a.alive));
    const l3 = agents.find((a) => a.agent_type === 'L3 agent');
    const [r1] = await demo.list('routers', 'name=router1');
    assert.equal((await admin.get(`/routers/${r1.id}/l3-agents`)).body.agents[0].id, l3.id);
    assertNeutronError(await admin.post(`/agents/${l3.id}/l3-routers`, { router_id: r1.id }), 409);
    assert.equal((await admin.del(`/agents/${l3.id}/l3-routers/${r1.id}`)).status, 204);
    await c.cloud.networking.settle();
    assert.ok(!fake.routers.has(r1.id), 'an unscheduled router leaves the data plane');
    assert.equal((await admin.post(`/agents/${l3.id}/l3-routers`, { router_id: r1.id })).status, 201);
    await c.cloud.networking.settle();
    assert.ok(fake.routers.has(r1.id));
    const dhcpAgent = agents.find((a) => a.agent_type === 'DHCP agent');
    const [priv] = await demo.list('networks', 'name=private');
    assert.ok((await admin.get(`/agents/${dhcpAgent.id}/dhcp-networks`)).body.networks.some((n: any) => n.id === priv.id));
    const bare = await admin.create('networks', 'network', { name: uniqueName('bare') });
    const hosted = async () => (await admin.get(`/agents/${dhcpAgent.id}/dhcp-networks`)).body.networks.some((n: any) => n.id === bare.id);
    assert.equal(await hosted(), false, 'a network without DHCP subnets is not hosted');
    assert.equal((await admin.post(`/agents/${dhcpAgent.id}/dhcp-networks`, { network_id: bare.id })).status, 201);
    assert.equal(await hosted(), true);
    assert.equal((await admin.del(`/agents/${dhcpAgent.id}/dhcp-networks/${bare.id}`)).status, 204);
    assert.equal(await hosted(), false);
    await admin.remove('networks', bare.id);
    const upd = await admin.put(`/agents/${dhcpAgent.id}`, { agent: { description: 'in-process' } });
    assert.equal(upd.body.agent.description, 'in-process');
  });

  it('keeps metering labels and rules, and allocates a topology on request', async () => {
    const label = await admin.create('metering/metering-labels', 'metering_label', { name: uniqueName('label') });
    const rule = await admin.create('metering/metering-label-rules', 'metering_label_rule', { metering_label_id: label.id, remote_ip_prefix: '10.0.0.0/24' });
    assert.equal(rule.direction, 'ingress');
    assertNeutronError(await demo.get('/metering/metering-labels'), 403);
    await admin.remove('metering/metering-labels', label.id);
    assertNeutronError(await admin.get(`/metering/metering-label-rules/${rule.id}`), 404);
    const altProject = await projectOf(c, alt.token);
    assert.equal((await alt.get(`/auto-allocated-topology/${altProject}?fields=dry-run`)).body.auto_allocated_topology['dry-run'], 'pass');
    const topo = (await alt.get(`/auto-allocated-topology/${altProject}`)).body.auto_allocated_topology;
    assert.equal((await alt.get(`/auto-allocated-topology/${altProject}`)).body.auto_allocated_topology.id, topo.id);
    const n = await alt.show('networks', 'network', topo.id);
    assert.equal(n.name, 'auto_allocated_network');
    assert.equal((await alt.del(`/auto-allocated-topology/${altProject}`)).status, 204);
    assertNeutronError(await alt.get(`/networks/${topo.id}`), 404);
  });
});
