import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertNeutronError, N, Net, projectOf } from './network-helpers.js';

/** Neutron API conventions, networks and subnets, over real HTTP. */
describe('network: conventions, networks, subnets', () => {
  let c: TestCloud;
  let admin: Net;
  let demo: Net;
  let alt: Net;

  before(async () => {
    c = await startTestCloud();
    admin = await Net.as(c, 'admin');
    demo = await Net.as(c, 'demo');
    alt = await Net.as(c, 'alt_demo');
  });
  after(() => c.close());

  it('serves version discovery, the resource list and exactly the listed extensions', async () => {
    const v = await c.req('GET', '/networking/');
    assert.equal(v.status, 200);
    assert.equal(v.body.versions[0].id, 'v2.0');
    assert.equal(v.body.versions[0].links[0].href, `${c.url}/networking/v2.0/`);
    const r = await demo.get('');
    assert.deepEqual(['network', 'subnet', 'port'].filter((n) => !r.body.resources.some((x: any) => x.name === n)), []);
    const exts = (await demo.get('/extensions')).body.extensions;
    assert.ok(exts.length >= 30);
    for (const e of exts) {
      assert.deepEqual(Object.keys(e).sort(), ['alias', 'description', 'links', 'name', 'updated']);
      assert.deepEqual((await demo.get(`/extensions/${e.alias}`)).body.extension, e);
    }
    assertNeutronError(await demo.get('/extensions/nope'), 404, 'ExtensionNotFound');
    assertNeutronError(await c.req('GET', `${N}/networks`), 401);
  });

  it('starts with devstack defaults: public, private, router1 and the default pool', async () => {
    const [pub] = await admin.list('networks', 'name=public');
    assert.equal(pub['router:external'], true);
    assert.equal(pub.is_default, true);
    assert.equal(pub['provider:network_type'], 'flat');
    const [ps] = await admin.list('subnets', `network_id=${pub.id}`);
    assert.equal(ps.cidr, '172.24.4.0/24');
    assert.equal(ps.gateway_ip, '172.24.4.1');
    assert.deepEqual(ps.allocation_pools, [{ start: '172.24.4.2', end: '172.24.4.254' }]);
    assert.equal(ps.enable_dhcp, false);
    const [priv] = await demo.list('networks', 'name=private');
    assert.equal(priv.project_id, await projectOf(c, demo.token));
    const [sub] = await demo.list('subnets', 'name=private-subnet');
    assert.equal(sub.cidr, '10.0.0.0/26');
    assert.equal(sub.gateway_ip, '10.0.0.1');
    const [pool] = await demo.list('subnetpools', 'name=shared-default-subnetpool-v4');
    assert.equal(sub.subnetpool_id, pool.id);
    const [r1] = await demo.list('routers', 'name=router1');
    assert.equal(r1.external_gateway_info.network_id, pub.id);
    const ifaces = await demo.list('ports', `device_id=${r1.id}&device_owner=network:router_interface`);
    assert.deepEqual(ifaces[0].fixed_ips, [{ subnet_id: sub.id, ip_address: '10.0.0.1' }]);
    assert.equal(pub.provider, undefined);
    assert.equal((await demo.show('networks', 'network', pub.id))['provider:network_type'], undefined, 'provider attributes are admin-only');
  });

  it('gives 404 for names and non-UUIDs in paths, as the SDK expects', async () => {
    assertNeutronError(await demo.get('/networks/private'), 404, 'NetworkNotFound');
    assertNeutronError(await demo.get('/subnets/private-subnet'), 404, 'SubnetNotFound');
    assertNeutronError(await demo.get('/routers/router1'), 404, 'RouterNotFound');
    assertNeutronError(await demo.get('/floatingips/172.24.4.10'), 404, 'FloatingIPNotFound');
    assertNeutronError(await demo.get('/nothing-here'), 404);
  });

  it('creates, shows, updates and deletes a network with standard attributes', async () => {
    const name = uniqueName('net');
    const n = await demo.create('networks', 'network', { name, description: 'd1' });
    assert.equal(n.status, 'ACTIVE');
    assert.equal(n.mtu, 1450);
    assert.equal(n.revision_number, 1);
    assert.equal(n.tenant_id, n.project_id);
    assert.deepEqual(n.subnets, []);
    assert.match(n.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const u = await demo.update('networks', 'network', n.id, { name: `${name}-2`, description: 'd2', mtu: 1400 });
    assert.equal(u.revision_number, 2);
    assert.equal(u.mtu, 1400);
    assertNeutronError(await demo.put(`/networks/${n.id}`, { network: { mtu: 9000 } }), 400, 'InvalidInput');
    const fields = (await demo.get(`/networks/${n.id}?fields=id&fields=name`)).body.network;
    assert.deepEqual(Object.keys(fields).sort(), ['id', 'name']);
    assertNeutronError(await demo.put(`/networks/${n.id}`, { network: { name: 'x' } }, { 'if-match': 'revision_number=1' }), 412, 'RevisionNumberConstraintFailed');
    assert.equal((await demo.put(`/networks/${n.id}`, { network: { name: 'y' } }, { 'if-match': 'revision_number=2' })).status, 200);
    await demo.remove('networks', n.id);
    assertNeutronError(await demo.get(`/networks/${n.id}`), 404, 'NetworkNotFound');
  });

  it('bulk-creates all or nothing', async () => {
    const names = [uniqueName('bulk'), uniqueName('bulk')];
    const r = await demo.post('/networks', { networks: names.map((name) => ({ name })) });
    assert.equal(r.status, 201);
    assert.equal(r.body.networks.length, 2);
    const bad = await demo.post('/networks', { networks: [{ name: uniqueName('ok') }, { name: 5 }] });
    assertNeutronError(bad, 400);
    assert.equal((await demo.list('networks', `name=${names[0]}`)).length, 1);
    for (const n of r.body.networks) await demo.remove('networks', n.id);
  });

  it('filters on any attribute, sorts, pages with links, and filters by tags', async () => {
    const tag = uniqueName('t');
    const made = [];
    for (let i = 0; i < 5; i++) {
      const n = await demo.create('networks', 'network', { name: `${tag}-${i}`, admin_state_up: i % 2 === 0 });
      assert.equal((await demo.put(`/networks/${n.id}/tags`, { tags: [tag, `i${i}`] })).status, 200);
      made.push(n);
    }
    assert.equal((await demo.list('networks', `tags=${tag}`)).length, 5);
    assert.equal((await demo.list('networks', `tags=${tag},i1`)).length, 1);
    assert.equal((await demo.list('networks', `tags-any=i1,i2`)).length, 2);
    assert.equal((await demo.list('networks', `tags=${tag}&not-tags-any=i1,i2`)).length, 3);
    assert.equal((await demo.list('networks', `tags=${tag}&admin_state_up=False`)).length, 2);
    assert.equal((await demo.list('networks', `tags=${tag}&name=${tag}-1&name=${tag}-3`)).length, 2);
    const desc = await demo.list('networks', `tags=${tag}&sort_key=name&sort_dir=desc`);
    assert.deepEqual(desc.map((n) => n.name), [4, 3, 2, 1, 0].map((i) => `${tag}-${i}`));
    const p1 = await demo.get(`/networks?tags=${tag}&sort_key=name&sort_dir=asc&limit=2`);
    assert.deepEqual(p1.body.networks.map((n: any) => n.name), [`${tag}-0`, `${tag}-1`]);
    const next = p1.body.networks_links.find((l: any) => l.rel === 'next').href as string;
    const p2 = await c.req('GET', next.slice(c.url.length), { token: demo.token });
    assert.deepEqual(p2.body.networks.map((n: any) => n.name), [`${tag}-2`, `${tag}-3`]);
    const prev = p2.body.networks_links.find((l: any) => l.rel === 'previous').href as string;
    const p0 = await c.req('GET', prev.slice(c.url.length), { token: demo.token });
    assert.deepEqual(p0.body.networks.map((n: any) => n.name), [`${tag}-0`, `${tag}-1`]);
    assertNeutronError(await demo.get('/networks?sort_key=nope'), 400);
    assertNeutronError(await demo.get('/networks?limit=x'), 400);
    assert.equal((await demo.get(`/networks/${made[0].id}/tags/i0`)).status, 204);
    assertNeutronError(await demo.get(`/networks/${made[0].id}/tags/zz`), 404, 'TagNotFound');
    assert.equal((await demo.put(`/networks/${made[0].id}/tags/zz`, undefined)).status, 201);
    assert.equal((await demo.del(`/networks/${made[0].id}/tags/zz`)).status, 204);
    assert.equal((await demo.del(`/networks/${made[0].id}/tags`)).status, 204);
    assert.deepEqual((await demo.get(`/networks/${made[0].id}/tags`)).body.tags, []);
    for (const n of made) await demo.remove('networks', n.id);
  });

  it('shows shared and external networks to everyone, and external subnets to nobody else', async () => {
    const mine = await demo.create('networks', 'network', { name: uniqueName('mine') });
    assertNeutronError(await alt.get(`/networks/${mine.id}`), 404, 'NetworkNotFound');
    const shared = await admin.create('networks', 'network', { name: uniqueName('shared'), shared: true });
    await admin.create('subnets', 'subnet', { network_id: shared.id, cidr: '192.168.233.0/24', ip_version: 4 });
    assert.ok((await alt.list('networks')).some((n) => n.id === shared.id));
    assert.equal((await alt.list('subnets', `network_id=${shared.id}`)).length, 1);
    const ext = await alt.list('networks', 'router:external=True');
    assert.ok(ext.length >= 1 && ext.every((n) => n['router:external']));
    assert.equal((await alt.list('subnets', `network_id=${ext[0].id}`)).length, 0);
    assertNeutronError(await alt.put(`/networks/${shared.id}`, { network: { name: 'x' } }), 403, 'PolicyNotAuthorized');
    await admin.remove('networks', shared.id);
    await demo.remove('networks', mine.id);
  });

  it('enforces who may do what', async () => {
    const altProject = await projectOf(c, alt.token);
    assertNeutronError(await demo.post('/networks', { network: { name: 'x', 'router:external': true } }), 403, 'PolicyNotAuthorized');
    assertNeutronError(await demo.post('/networks', { network: { name: 'x', 'provider:network_type': 'vxlan' } }), 403);
    assertNeutronError(await demo.post('/networks', { network: { name: 'x', tenant_id: altProject } }), 403);
    const reader = await Net.as(c, 'demo_reader', 'demo');
    assertNeutronError(await reader.post('/networks', { network: { name: 'x' } }), 403);
    assert.equal((await reader.get('/networks')).status, 200);
    const forAlt = await admin.create('networks', 'network', { name: uniqueName('for-alt'), project_id: altProject });
    assert.equal(forAlt.tenant_id, altProject);
    assert.ok((await alt.list('networks')).some((n) => n.id === forAlt.id));
    assertNeutronError(await admin.post('/networks', { network: { tenant_id: 'a', project_id: 'b' } }), 400);
    await alt.remove('networks', forAlt.id);
    const flat = await admin.post('/networks', { network: { name: 'x', 'provider:network_type': 'flat', 'provider:physical_network': 'public' } });
    assertNeutronError(flat, 409, 'FlatNetworkInUse');
    const vx = await admin.create('networks', 'network', { name: uniqueName('vx'), 'provider:network_type': 'vxlan', 'provider:segmentation_id': 4242 });
    assertNeutronError(await admin.post('/networks', { network: { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 4242 } }), 409, 'TunnelIdInUse');
    assertNeutronError(await admin.post('/networks', { network: { 'provider:network_type': 'vlan' } }), 400, 'InvalidInput');
    await admin.remove('networks', vx.id);
  });

  it('validates subnets: CIDR, gateway, pools, overlap within a network', async () => {
    const n = await demo.create('networks', 'network', { name: uniqueName('sub') });
    const s = await demo.create('subnets', 'subnet', { network_id: n.id, cidr: '10.100.0.0/28', ip_version: 4 });
    assert.equal(s.gateway_ip, '10.100.0.1');
    assert.deepEqual(s.allocation_pools, [{ start: '10.100.0.2', end: '10.100.0.14' }]);
    assert.deepEqual([s.dns_nameservers, s.host_routes, s.service_types], [[], [], []]);
    const overlap = await demo.post('/subnets', { subnet: { network_id: n.id, cidr: '10.100.0.0/24', ip_version: 4 } });
    assertNeutronError(overlap, 400, 'InvalidInput');
    assert.match(overlap.body.NeutronError.message, /overlaps with another subnet/);
    const bad = [
      [{ cidr: '10.100.1.5/24' }, 'InvalidInput'],
      [{ cidr: 'banana' }, 'HTTPBadRequest'],
      [{ cidr: '10.100.2.0/24', ip_version: 6 }, 'InvalidInput'],
      [{ cidr: '10.100.3.0/24', gateway_ip: '10.100.3.0' }, 'InvalidInput'],
      [{ cidr: '10.100.4.0/24', allocation_pools: [{ start: '10.100.5.1', end: '10.100.5.9' }] }, 'OutOfBoundsAllocationPool'],
      [{ cidr: '10.100.6.0/24', dns_nameservers: ['1.1.1.1', '1.1.1.1'] }, 'HTTPBadRequest'],
      [{ cidr: '10.100.7.0/24', ipv6_address_mode: 'slaac' }, 'InvalidInput'],
    ] as const;
    for (const [extra, type] of bad) assertNeutronError(await demo.post('/subnets', { subnet: { network_id: n.id, ip_version: 4, ...extra } }), 400, type);
    assertNeutronError(await demo.post('/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr: '10.100.8.0/24', gateway_ip: '10.100.8.5', allocation_pools: [{ start: '10.100.8.2', end: '10.100.8.9' }] } }), 409, 'GatewayConflictWithAllocationPools');
    const custom = await demo.create('subnets', 'subnet', {
      network_id: n.id,
      ip_version: 4,
      cidr: '10.100.9.0/24',
      gateway_ip: null,
      enable_dhcp: false,
      dns_nameservers: ['8.8.8.8'],
      host_routes: [{ destination: '10.20.0.0/32', nexthop: '10.100.9.1' }],
      allocation_pools: [{ start: '10.100.9.10', end: '10.100.9.20' }],
    });
    assert.equal(custom.gateway_ip, null);
    const up = await demo.update('subnets', 'subnet', custom.id, { gateway_ip: '10.100.9.1', dns_nameservers: ['7.8.8.8'], enable_dhcp: true });
    assert.equal(up.gateway_ip, '10.100.9.1');
    assertNeutronError(await demo.put(`/subnets/${custom.id}`, { subnet: { cidr: '10.1.0.0/24' } }), 400);
    const v6 = await demo.create('subnets', 'subnet', { network_id: n.id, ip_version: 6, cidr: '2001:db8:1::/64', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' });
    assert.equal(v6.gateway_ip, '2001:db8:1::1');
    assert.equal((await demo.show('networks', 'network', n.id)).subnets.length, 3);
    await demo.remove('networks', n.id);
    assertNeutronError(await demo.get(`/subnets/${s.id}`), 404, 'SubnetNotFound');
  });

  it('allocates subnets from a pool by prefix length', async () => {
    const pool = await demo.create('subnetpools', 'subnetpool', { name: uniqueName('pool'), prefixes: ['10.250.0.0/24'], default_prefixlen: 26 });
    const n = await demo.create('networks', 'network', { name: uniqueName('pooled') });
    const a = await demo.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, subnetpool_id: pool.id });
    const b = await demo.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, subnetpool_id: pool.id, prefixlen: 25 });
    assert.deepEqual([a.cidr, b.cidr], ['10.250.0.0/26', '10.250.0.128/25']);
    const d = await demo.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, use_default_subnetpool: true });
    assert.match(d.cidr, /^10\.0\.[0-3]\.\d+\/26$/);
    assert.notEqual(d.cidr, '10.0.0.0/26');
    assertNeutronError(await demo.post('/subnets', { subnet: { network_id: n.id, ip_version: 4, subnetpool_id: pool.id, prefixlen: 25 } }), 409);
    assertNeutronError(await demo.del(`/subnetpools/${pool.id}`), 409, 'SubnetPoolInUse');
    assertNeutronError(await demo.post('/subnets', { subnet: { network_id: n.id, ip_version: 4 } }), 400);
    await demo.remove('networks', n.id);
    await demo.remove('subnetpools', pool.id);
  });
});
