// Nova 2.1's proxy APIs over real HTTP (os-security-groups and rules, os-floating-ips and
// pools with add/removeFloatingIp, os-networks, os-tenant-networks, os-volumes, os-snapshots),
// plus os-migrations and os-floating-ips-bulk: tempest's 2.1 key sets, statuses and errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startTestCloud, type TestCloud } from '../support/cloud.js';
import { action, assertFault, assertKeys, bootActive, deleteServer, NOVA, setup, waitFor, type Nova } from './compute-helpers.js';

const GROUP_KEYS = ['id', 'name', 'tenant_id', 'rules', 'description'];
const RULE_KEYS = ['from_port', 'to_port', 'group', 'ip_protocol', 'parent_group_id', 'id', 'ip_range'];
const FIP_KEYS = ['id', 'pool', 'instance_id', 'ip', 'fixed_ip'];
const VOLUME_KEYS = ['id', 'status', 'displayName', 'availabilityZone', 'createdAt', 'displayDescription', 'volumeType', 'snapshotId', 'metadata', 'size', 'attachments'];
const SNAPSHOT_KEYS = ['id', 'volumeId', 'status', 'size', 'createdAt', 'displayName', 'displayDescription'];
const MIGRATION_KEYS = ['id', 'status', 'instance_uuid', 'source_node', 'source_compute', 'dest_node', 'dest_compute', 'dest_host', 'old_instance_type_id', 'new_instance_type_id', 'created_at', 'updated_at'];

describe('compute API: 2.1 proxy APIs', () => {
  let tc: TestCloud;
  let n: Nova;
  const get = (path: string, token = n.demo) => tc.req('GET', `${NOVA}${path}`, { token });
  const post = (path: string, body: unknown, token = n.demo) => tc.req('POST', `${NOVA}${path}`, { token, body });
  const put = (path: string, body: unknown, token = n.demo) => tc.req('PUT', `${NOVA}${path}`, { token, body });
  const del = (path: string, token = n.demo) => tc.req('DELETE', `${NOVA}${path}`, { token });

  before(async () => {
    tc = await startTestCloud();
    n = await setup(tc);
  });
  after(() => tc?.close());

  test('security groups: create, show, list, update, rules, delete, and what Nova refuses', async () => {
    const created = await post('/os-security-groups', { security_group: { name: ' web group ', description: 'front' } });
    assert.equal(created.status, 200, created.text);
    const g = created.body.security_group;
    assertKeys(g, GROUP_KEYS, GROUP_KEYS, 'group');
    assert.equal(g.name, ' web group ', 'the name is kept as given');
    assert.deepEqual(g.rules, [], 'egress rules are not shown');
    assert.deepEqual((await get(`/os-security-groups/${g.id}`)).body.security_group, g);
    assert.ok((await get('/os-security-groups')).body.security_groups.some((x: { id: string }) => x.id === g.id));

    const upd = await put(`/os-security-groups/${g.id}`, { security_group: { name: 'web', description: 'new' } });
    assert.equal(upd.status, 200, upd.text);
    assert.deepEqual([upd.body.security_group.name, upd.body.security_group.description], ['web', 'new']);

    const rule = (extra: Record<string, unknown>) => post('/os-security-group-rules', { security_group_rule: { parent_group_id: g.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, ...extra } });
    const ssh = await rule({});
    assert.equal(ssh.status, 200, ssh.text);
    assertKeys(ssh.body.security_group_rule, RULE_KEYS, RULE_KEYS, 'rule');
    assert.deepEqual(ssh.body.security_group_rule.ip_range, { cidr: '0.0.0.0/0' });
    assert.deepEqual(ssh.body.security_group_rule.group, {});
    assertFault(await rule({}), 400, 'badRequest', 'duplicate rule');
    const cidr = await rule({ from_port: 80, to_port: 80, cidr: '10.2.3.124/24' });
    assert.deepEqual(cidr.body.security_group_rule.ip_range, { cidr: '10.2.3.124/24' }, 'the CIDR as written');
    const icmp = await rule({ ip_protocol: 'icmp', from_port: -1, to_port: -1 });
    assert.deepEqual([icmp.body.security_group_rule.from_port, icmp.body.security_group_rule.to_port], [-1, -1]);

    const peer = (await post('/os-security-groups', { security_group: { name: 'peer', description: '' } })).body.security_group;
    const byGroup = await rule({ from_port: 443, to_port: 443, group_id: peer.id });
    assert.equal(byGroup.status, 200, byGroup.text);
    assert.equal(byGroup.body.security_group_rule.group.name, 'peer');
    assert.deepEqual(byGroup.body.security_group_rule.ip_range, {});
    const shown = (await get(`/os-security-groups/${g.id}`)).body.security_group;
    assert.equal(shown.rules.length, 4);
    assert.equal((await del(`/os-security-groups/${peer.id}`)).status, 202);
    assert.equal((await get(`/os-security-groups/${g.id}`)).body.security_group.rules.length, 3, 'rules naming a deleted group go with it');

    assertFault(await rule({ ip_protocol: '999x' }), 400, undefined, 'protocol');
    assertFault(await rule({ from_port: 65536 }), 400, undefined, 'from_port');
    assertFault(await rule({ from_port: 22, to_port: 21 }), 400, undefined, 'range');
    assertFault(await rule({ parent_group_id: 'not-a-uuid' }), 400, undefined, 'parent id');
    assertFault(await rule({ parent_group_id: '3c0e2b8a-1a1b-4c4d-8e8f-000000000000' }), 404, 'itemNotFound', 'unknown parent');
    assertFault(await post('/os-security-group-rules', { nope: {} }), 400);
    assertFault(await del(`/os-security-group-rules/3c0e2b8a-1a1b-4c4d-8e8f-000000000000`), 404);
    assert.equal((await del(`/os-security-group-rules/${icmp.body.security_group_rule.id}`)).status, 202);

    const def = (await get('/os-security-groups')).body.security_groups.find((x: { name: string }) => x.name === 'default');
    assertFault(await del(`/os-security-groups/${def.id}`), 400, 'badRequest', 'default group');
    assertFault(await get('/os-security-groups/3c0e2b8a-1a1b-4c4d-8e8f-000000000000'), 404);
    assertFault(await get(`/os-security-groups/${g.id}`, n.alt), 404, undefined, 'another project');

    // A group used by a server cannot go; the server lists it.
    const s = await bootActive(n, n.demo, { name: 'sg-user' });
    assert.equal((await action(n, n.demo, s.id, { addSecurityGroup: { name: 'web' } })).status, 202);
    assertFault(await del(`/os-security-groups/${g.id}`), 400, 'badRequest', 'group in use');
    const ofServer = (await get(`/servers/${s.id}/os-security-groups`)).body.security_groups.map((x: { name: string }) => x.name).sort();
    assert.deepEqual(ofServer, ['default', 'web']);
    await deleteServer(n, n.demo, s.id);
    assert.equal((await del(`/os-security-groups/${g.id}`)).status, 202);
    assertFault(await get(`/os-security-groups/${g.id}`), 404);

    // all_tenants: everything for an admin, the own project for anyone else.
    const adminGroup = (await post('/os-security-groups', { security_group: { name: 'admin-only', description: '' } }, n.admin)).body.security_group;
    assert.ok((await get('/os-security-groups?all_tenants=true', n.admin)).body.security_groups.some((x: { id: string }) => x.id === adminGroup.id));
    assert.ok(!(await get('/os-security-groups?all_tenants=true')).body.security_groups.some((x: { id: string }) => x.id === adminGroup.id));
  });

  test('floating IPs: pools, allocate, associate with a server, disassociate, release', async () => {
    const pools = (await get('/os-floating-ip-pools')).body.floating_ip_pools;
    assert.deepEqual(pools, [{ name: 'public' }]);
    assertFault(await post('/os-floating-ips', { pool: 'nowhere' }), 404, 'itemNotFound');
    const a = await post('/os-floating-ips', { pool: 'public' });
    assert.equal(a.status, 200, a.text);
    const fip = a.body.floating_ip;
    assertKeys(fip, FIP_KEYS, FIP_KEYS, 'floating ip');
    assert.deepEqual([fip.pool, fip.fixed_ip, fip.instance_id], ['public', null, null]);
    assert.deepEqual((await get(`/os-floating-ips/${fip.id}`)).body.floating_ip, fip);
    assert.ok((await get('/os-floating-ips')).body.floating_ips.some((x: { id: string }) => x.id === fip.id));

    const s = await bootActive(n, n.demo, { name: 'fip-user' });
    assertFault(await action(n, n.demo, s.id, { addFloatingIp: { address: '' } }), 400, undefined, 'empty address');
    assertFault(await action(n, n.demo, s.id, { addFloatingIp: { address: '0.0.0.0' } }), 404, undefined, 'unknown address');
    assert.equal((await action(n, n.demo, s.id, { addFloatingIp: { address: fip.ip } })).status, 202);
    const assoc = (await get(`/os-floating-ips/${fip.id}`)).body.floating_ip;
    assert.equal(assoc.instance_id, s.id);
    assert.ok(assoc.fixed_ip, 'a fixed address of the server');
    const addrs = (await waitFor(n, n.demo, s.id, 'ACTIVE')).addresses as Record<string, { addr: string; 'OS-EXT-IPS:type': string }[]>;
    assert.ok(Object.values(addrs).flat().some((x) => x.addr === fip.ip && x['OS-EXT-IPS:type'] === 'floating'));
    const other = await bootActive(n, n.demo, { name: 'fip-other' });
    assertFault(await action(n, n.demo, other.id, { removeFloatingIp: { address: fip.ip } }), 409, 'conflictingRequest', 'not on that server');
    assert.equal((await action(n, n.demo, s.id, { removeFloatingIp: { address: fip.ip } })).status, 202);
    assert.equal((await get(`/os-floating-ips/${fip.id}`)).body.floating_ip.instance_id, null);

    assert.equal((await del(`/os-floating-ips/${fip.id}`)).status, 202);
    assertFault(await get(`/os-floating-ips/${fip.id}`), 404);
    assertFault(await del('/os-floating-ips/3c0e2b8a-1a1b-4c4d-8e8f-000000000000'), 404);
    await Promise.all([deleteServer(n, n.demo, s.id), deleteServer(n, n.demo, other.id)]);
  });

  test('networks: os-tenant-networks and os-networks show what Neutron lets the caller see', async () => {
    const nets = (await get('/os-tenant-networks')).body.networks;
    const priv = nets.find((x: { label: string }) => x.label === 'private');
    assert.ok(priv, JSON.stringify(nets));
    assertKeys(priv, ['id', 'cidr', 'label'], ['id', 'cidr', 'label'], 'tenant network');
    assert.equal(priv.cidr, '10.0.0.0/26');
    assert.deepEqual((await get(`/os-tenant-networks/${priv.id}`)).body.network, priv);
    assertFault(await get('/os-tenant-networks/3c0e2b8a-1a1b-4c4d-8e8f-000000000000'), 404);
    const all = (await get('/os-networks', n.admin)).body.networks;
    const pub = all.find((x: { label: string }) => x.label === 'public');
    assert.equal((await get(`/os-networks/${pub.id}`, n.admin)).body.network.label, 'public');
    assert.ok(!(await get('/os-tenant-networks', n.alt)).body.networks.some((x: { id: string }) => x.id === priv.id), "another project's network is hidden");
  });

  test('volumes and snapshots: Cinder as Nova 2.1 shows it', async () => {
    const made = await post('/os-volumes', { volume: { size: 1, display_name: 'data', metadata: { Type: 'work' } } });
    assert.equal(made.status, 200, made.text);
    const v = made.body.volume;
    assertKeys(v, VOLUME_KEYS, VOLUME_KEYS, 'volume');
    assert.deepEqual(v.attachments, [{}]);
    const ready = await eventually(async () => {
      const r = (await get(`/os-volumes/${v.id}`)).body.volume;
      return r.status === 'available' ? r : undefined;
    }, 5000);
    assert.deepEqual([ready.displayName, ready.size, ready.metadata.Type], ['data', 1, 'work']);
    const second = (await post('/os-volumes', { volume: { size: '1' } })).body.volume;
    const list = (await get('/os-volumes')).body.volumes;
    assert.ok(list.length >= 2);
    assert.equal((await get('/os-volumes/detail?limit=1')).body.volumes.length, 1);
    assert.equal((await get('/os-volumes?offset=1&limit=1')).body.volumes[0].id, list[1].id);
    for (const size of ['#$%', '', '0', 0]) assertFault(await post('/os-volumes', { volume: { size } }), 400, undefined, `size ${JSON.stringify(size)}`);
    assertFault(await post('/os-volumes', { volume: { size: 1, bogus: 1 } }), 400);
    assertFault(await get('/os-volumes/3c0e2b8a-1a1b-4c4d-8e8f-000000000000'), 404);
    assertFault(await get('/os-volumes/'), 404, undefined, 'empty id');
    assertFault(await get(`/os-volumes/${v.id}`, n.alt), 404, undefined, 'another project');

    const snap = await post('/os-snapshots', { snapshot: { volume_id: v.id, display_name: 'snap' } });
    assert.equal(snap.status, 200, snap.text);
    assertKeys(snap.body.snapshot, SNAPSHOT_KEYS, SNAPSHOT_KEYS, 'snapshot');
    const sid = snap.body.snapshot.id;
    await eventually(async () => (await get(`/os-snapshots/${sid}`)).body.snapshot.status === 'available', 5000);
    assert.ok((await get('/os-snapshots/detail')).body.snapshots.some((x: { id: string }) => x.id === sid));
    assertFault(await post('/os-snapshots', { snapshot: {} }), 400);
    assert.equal((await del(`/os-snapshots/${sid}`)).status, 202);
    await eventually(async () => (await get(`/os-snapshots/${sid}`)).status === 404, 5000);
    for (const id of [v.id, second.id]) {
      await eventually(async () => (await get(`/os-volumes/${id}`)).body.volume.status === 'available', 5000);
      assert.equal((await del(`/os-volumes/${id}`)).status, 202);
    }
    await eventually(async () => (await get(`/os-volumes/${v.id}`)).status === 404, 5000);
    assertFault(await del(`/os-volumes/${v.id}`), 404);
  });

  test('os-migrations records a resize; os-floating-ips-bulk keeps its inventory (admin only)', async () => {
    const s = await bootActive(n, n.demo, { name: 'mig' });
    assert.equal((await action(n, n.demo, s.id, { resize: { flavorRef: '84' } })).status, 202);
    await waitFor(n, n.demo, s.id, 'VERIFY_RESIZE');
    assertFault(await get('/os-migrations'), 403, 'forbidden');
    const m = (await get(`/os-migrations?instance_uuid=${s.id}`, n.admin)).body.migrations;
    assert.equal(m.length, 1);
    assertKeys(m[0], MIGRATION_KEYS, MIGRATION_KEYS, 'migration');
    assert.deepEqual([m[0].status, m[0].old_instance_type_id, m[0].new_instance_type_id], ['finished', 42, 84]);
    assert.equal(typeof m[0].id, 'number');
    assert.equal((await action(n, n.demo, s.id, { confirmResize: null })).status, 204);
    await waitFor(n, n.demo, s.id, 'ACTIVE');
    assert.equal((await get(`/os-migrations?instance_uuid=${s.id}`, n.admin)).body.migrations[0].status, 'confirmed');
    await deleteServer(n, n.demo, s.id);

    const made = await post('/os-floating-ips-bulk', { floating_ips_bulk_create: { ip_range: '192.0.2.0/29', pool: 'bulk' } }, n.admin);
    assert.equal(made.status, 200, made.text);
    assert.deepEqual(made.body.floating_ips_bulk_create, { ip_range: '192.0.2.0/29', pool: 'bulk', interface: 'eth0' });
    const info = (await get('/os-floating-ips-bulk', n.admin)).body.floating_ip_info;
    assert.deepEqual(info.map((x: { address: string }) => x.address).sort(), ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6']);
    assertFault(await post('/os-floating-ips-bulk', { floating_ips_bulk_create: { ip_range: '192.0.2.4' } }, n.admin), 409);
    assertFault(await post('/os-floating-ips-bulk', { floating_ips_bulk_create: { ip_range: 'nope' } }, n.admin), 400);
    assertFault(await get('/os-floating-ips-bulk'), 403);
    const gone = await put('/os-floating-ips-bulk/delete', { ip_range: '192.0.2.0/29' }, n.admin);
    assert.deepEqual(gone.body, { floating_ips_bulk_delete: '192.0.2.0/29' });
    assert.deepEqual((await get('/os-floating-ips-bulk', n.admin)).body.floating_ip_info, []);
  });
});
