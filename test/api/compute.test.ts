// Compute API (Nova v2.1) over real HTTP: discovery, microversions, flavors, keypairs, and
// the operator APIs (limits, quotas, zones, hypervisors, services, usage, server groups).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertFault, assertKeys, NOVA, setup, type Nova } from './compute-helpers.js';

const run = promisify(execFile);

describe('compute API: discovery, flavors, keypairs, operator APIs', () => {
  let tc: TestCloud;
  let n: Nova;
  before(async () => {
    tc = await startTestCloud();
    n = await setup(tc);
  });
  after(() => tc?.close());

  test('catalog lists compute at /compute/v2.1', async () => {
    const r = await tc.req('GET', '/identity/v3/auth/catalog', { token: n.demo });
    const compute = r.body.catalog.find((c: any) => c.type === 'compute');
    assert.equal(compute.name, 'nova');
    assert.ok(compute.endpoints.every((e: any) => e.url === `${tc.url}/compute/v2.1`));
  });

  test('version discovery: /compute/ lists v2.0 first; every self link is followable', async () => {
    const r = await tc.req('GET', '/compute/');
    assert.equal(r.status, 200);
    assert.equal(r.body.versions[0].id, 'v2.0');
    for (const v of r.body.versions) {
      assertKeys(v, ['id', 'links', 'status', 'updated', 'version', 'min_version'], ['id', 'links', 'status', 'updated'], 'version item');
      const self = v.links.filter((l: any) => l.rel === 'self');
      assert.equal(self.length, 1);
      const doc = await tc.req('GET', new URL(self[0].href).pathname);
      assert.equal(doc.status, 200, self[0].href);
      assert.deepEqual(doc.body.version.links.filter((l: any) => l.rel === 'self'), self);
    }
    const v21 = r.body.versions[1];
    assert.deepEqual([v21.id, v21.status, v21.version, v21.min_version], ['v2.1', 'CURRENT', '2.1', '2.1']);
    for (const path of ['/compute/v2.1', '/compute/v2.1/', '/compute/v2', '/compute/v2/']) assert.equal((await tc.req('GET', path)).status, 200, path);
  });

  test('microversions: echoed, latest is 2.1, others are 406, malformed 400', async () => {
    const plain = await tc.req('GET', `${NOVA}/flavors`, { token: n.demo });
    assert.equal(plain.headers.get('x-openstack-nova-api-version'), '2.1');
    assert.equal(plain.headers.get('openstack-api-version'), 'compute 2.1');
    assert.match(plain.headers.get('vary') ?? '', /X-OpenStack-Nova-API-Version/);
    assert.ok(plain.headers.get('x-compute-request-id')?.startsWith('req-'));
    const latest = await tc.req('GET', `${NOVA}/flavors`, { token: n.demo, headers: { 'openstack-api-version': 'compute latest' } });
    assert.equal(latest.headers.get('openstack-api-version'), 'compute 2.1');
    assertFault(await tc.req('GET', `${NOVA}/flavors`, { token: n.demo, headers: { 'x-openstack-nova-api-version': '2.90' } }), 406, 'notAcceptable');
    assertFault(await tc.req('GET', `${NOVA}/flavors`, { token: n.demo, headers: { 'openstack-api-version': 'compute 3.0' } }), 406);
    assertFault(await tc.req('GET', `${NOVA}/flavors`, { token: n.demo, headers: { 'x-openstack-nova-api-version': 'two' } }), 400, 'badRequest');
  });

  test('no token is 401; errors use Nova fault keys', async () => {
    const r = await tc.req('GET', `${NOVA}/servers`);
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /Keystone uri=/);
    assertFault(await tc.req('GET', `${NOVA}/servers/not-a-uuid`, { token: n.demo }), 404, 'itemNotFound');
    assertFault(await tc.req('GET', `${NOVA}/nothing-here`, { token: n.demo }), 404, 'itemNotFound');
  });

  test("devstack's flavors, with filters, limit and marker", async () => {
    const list = await tc.req('GET', `${NOVA}/flavors`, { token: n.demo });
    const ids = list.body.flavors.map((f: any) => f.id);
    for (const id of ['1', '2', '3', '4', '5', '42', '84', 'c1', 'd1', 'd2', 'd3', 'd4']) assert.ok(ids.includes(id), id);
    for (const f of list.body.flavors) assert.deepEqual(Object.keys(f).sort(), ['id', 'links', 'name']);
    const nano = await tc.req('GET', `${NOVA}/flavors/42`, { token: n.demo });
    assert.deepEqual(
      [nano.body.flavor.name, nano.body.flavor.ram, nano.body.flavor.vcpus, nano.body.flavor.disk, nano.body.flavor.swap],
      ['m1.nano', 192, 1, 1, ''],
    );
    assertKeys(nano.body.flavor, ['id', 'name', 'ram', 'disk', 'vcpus', 'swap', 'OS-FLV-EXT-DATA:ephemeral', 'OS-FLV-DISABLED:disabled', 'os-flavor-access:is_public', 'rxtx_factor', 'links'], ['id', 'name', 'ram', 'vcpus', 'disk', 'swap', 'links'], 'flavor');
    const big = await tc.req('GET', `${NOVA}/flavors/detail?minRam=4096&minDisk=20`, { token: n.demo });
    assert.deepEqual(big.body.flavors.map((f: any) => f.name).sort(), ['ds4G', 'm1.large', 'm1.medium', 'm1.xlarge']);
    const page = await tc.req('GET', `${NOVA}/flavors?limit=2`, { token: n.demo });
    assert.equal(page.body.flavors.length, 2);
    assert.equal(page.body.flavors_links[0].rel, 'next');
    const next = await tc.req('GET', `${NOVA}/flavors?marker=${page.body.flavors[1].id}`, { token: n.demo });
    assert.ok(!next.body.flavors.some((f: any) => page.body.flavors.some((p: any) => p.id === f.id)));
    assertFault(await tc.req('GET', `${NOVA}/flavors?marker=nope`, { token: n.demo }), 400);
    assertFault(await tc.req('GET', `${NOVA}/flavors/m1.tiny`, { token: n.demo }), 404, 'itemNotFound');
  });

  test('admin flavors: create, extra specs, private access, delete', async () => {
    const name = uniqueName('flv');
    assertFault(await tc.req('POST', `${NOVA}/flavors`, { token: n.demo, body: { flavor: { name, ram: 64, vcpus: 1, disk: 0 } } }), 403, 'forbidden');
    const c = await tc.req('POST', `${NOVA}/flavors`, { token: n.admin, body: { flavor: { name, ram: 64, vcpus: 1, disk: 0, id: name, 'os-flavor-access:is_public': false } } });
    assert.equal(c.status, 200, c.text);
    assertFault(await tc.req('POST', `${NOVA}/flavors`, { token: n.admin, body: { flavor: { name, ram: 64, vcpus: 1, disk: 0 } } }), 409, 'conflictingRequest');
    assertFault(await tc.req('GET', `${NOVA}/flavors/${name}`, { token: n.demo }), 404);
    const spec = await tc.req('POST', `${NOVA}/flavors/${name}/os-extra_specs`, { token: n.admin, body: { extra_specs: { 'hw:cpu_policy': 'shared' } } });
    assert.deepEqual(spec.body, { extra_specs: { 'hw:cpu_policy': 'shared' } });
    const demoProject = (await tc.req('GET', '/identity/v3/auth/tokens', { token: n.admin, headers: { 'x-subject-token': n.demo } })).body.token.project.id;
    const acc = await tc.req('POST', `${NOVA}/flavors/${name}/action`, { token: n.admin, body: { addTenantAccess: { tenant: demoProject } } });
    assert.deepEqual(acc.body.flavor_access, [{ flavor_id: name, tenant_id: demoProject }]);
    assert.equal((await tc.req('GET', `${NOVA}/flavors/${name}`, { token: n.demo })).status, 200);
    assert.equal((await tc.req('GET', `${NOVA}/flavors/${name}/os-extra_specs/hw:cpu_policy`, { token: n.demo })).body['hw:cpu_policy'], 'shared');
    assert.equal((await tc.req('DELETE', `${NOVA}/flavors/${name}/os-extra_specs/hw:cpu_policy`, { token: n.admin })).status, 200);
    assert.equal((await tc.req('DELETE', `${NOVA}/flavors/${name}`, { token: n.admin })).status, 202);
    assertFault(await tc.req('GET', `${NOVA}/flavors/${name}`, { token: n.admin }), 404);
  });

  test('keypairs: generate, import, fingerprint, per user, duplicates, bad keys', async () => {
    const name = uniqueName('kp');
    const c = await tc.req('POST', `${NOVA}/os-keypairs`, { token: n.demo, body: { keypair: { name } } });
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(Object.keys(c.body.keypair).sort(), ['fingerprint', 'name', 'private_key', 'public_key', 'user_id']);
    assert.match(c.body.keypair.private_key, /BEGIN (RSA|OPENSSH) PRIVATE KEY/);
    assert.match(c.body.keypair.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    // The private key is real: ssh-keygen derives the same public key and fingerprint from it.
    const dir = mkdtempSync(join(tmpdir(), 'stratus-kp-'));
    try {
      writeFileSync(join(dir, 'id'), c.body.keypair.private_key, { mode: 0o600 });
      const derived = await run('ssh-keygen', ['-y', '-f', join(dir, 'id')]).catch(() => undefined);
      if (derived) assert.equal(derived.stdout.trim().split(' ').slice(0, 2).join(' '), c.body.keypair.public_key.split(' ').slice(0, 2).join(' '));
      writeFileSync(join(dir, 'id.pub'), c.body.keypair.public_key);
      const fp = await run('ssh-keygen', ['-l', '-E', 'md5', '-f', join(dir, 'id.pub')]).catch(() => undefined);
      if (fp) assert.ok(fp.stdout.includes(`MD5:${c.body.keypair.fingerprint}`), fp.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assertFault(await tc.req('POST', `${NOVA}/os-keypairs`, { token: n.demo, body: { keypair: { name } } }), 409, 'conflictingRequest');
    const show = await tc.req('GET', `${NOVA}/os-keypairs/${name}`, { token: n.demo });
    assert.deepEqual(Object.keys(show.body.keypair).sort(), ['created_at', 'deleted', 'deleted_at', 'fingerprint', 'id', 'name', 'public_key', 'updated_at', 'user_id']);
    assert.equal(typeof show.body.keypair.id, 'number');
    assertFault(await tc.req('GET', `${NOVA}/os-keypairs/${name}`, { token: n.alt }), 404, 'itemNotFound');
    const list = await tc.req('GET', `${NOVA}/os-keypairs`, { token: n.demo });
    assert.deepEqual(list.body.keypairs.find((k: any) => k.keypair.name === name), { keypair: { name, public_key: c.body.keypair.public_key, fingerprint: c.body.keypair.fingerprint } });
    const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test@host';
    const imp = await tc.req('POST', `${NOVA}/os-keypairs`, { token: n.demo, body: { keypair: { name: `${name}-imp`, public_key: pub } } });
    assert.equal(imp.status, 200, imp.text);
    assert.equal(imp.body.keypair.private_key, undefined);
    assert.equal(imp.body.keypair.public_key, pub);
    for (const bad of ['ssh-rsa AAAA', 'not a key', 'ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ==', '']) {
      assertFault(await tc.req('POST', `${NOVA}/os-keypairs`, { token: n.demo, body: { keypair: { name: uniqueName('bad'), public_key: bad } } }), 400, 'badRequest', bad);
    }
    for (const badName of ['', 'a/b', 'x'.repeat(256), ' lead']) {
      assertFault(await tc.req('POST', `${NOVA}/os-keypairs`, { token: n.demo, body: { keypair: { name: badName } } }), 400, 'badRequest', badName);
    }
    assert.equal((await tc.req('DELETE', `${NOVA}/os-keypairs/${name}`, { token: n.demo })).status, 202);
    assertFault(await tc.req('DELETE', `${NOVA}/os-keypairs/${name}`, { token: n.demo }), 404);
  });

  test('limits and quota sets', async () => {
    const lim = await tc.req('GET', `${NOVA}/limits`, { token: n.demo });
    assert.equal(lim.status, 200);
    assert.deepEqual(lim.body.limits.rate, []);
    assert.equal(lim.body.limits.absolute.maxTotalInstances, 10);
    assert.equal(lim.body.limits.absolute.maxTotalCores, 20);
    const me = (await tc.req('GET', '/identity/v3/auth/tokens', { token: n.admin, headers: { 'x-subject-token': n.alt } })).body.token.project.id;
    const q = await tc.req('GET', `${NOVA}/os-quota-sets/${me}`, { token: n.alt });
    assert.equal(q.body.quota_set.id, me);
    assert.equal(q.body.quota_set.key_pairs, 100);
    assertFault(await tc.req('PUT', `${NOVA}/os-quota-sets/${me}`, { token: n.alt, body: { quota_set: { instances: 50 } } }), 403);
    const up = await tc.req('PUT', `${NOVA}/os-quota-sets/${me}`, { token: n.admin, body: { quota_set: { instances: 50 } } });
    assert.equal(up.body.quota_set.instances, 50);
    assertFault(await tc.req('PUT', `${NOVA}/os-quota-sets/${me}`, { token: n.admin, body: { quota_set: { bogus: 1 } } }), 400);
    const detail = await tc.req('GET', `${NOVA}/os-quota-sets/${me}/detail`, { token: n.alt });
    assert.deepEqual(Object.keys(detail.body.quota_set.instances).sort(), ['in_use', 'limit', 'reserved']);
    assert.equal((await tc.req('DELETE', `${NOVA}/os-quota-sets/${me}`, { token: n.admin })).status, 202);
    assert.equal((await tc.req('GET', `${NOVA}/os-quota-sets/${me}`, { token: n.alt })).body.quota_set.instances, 10);
    const defaults = await tc.req('GET', `${NOVA}/os-quota-sets/${me}/defaults`, { token: n.alt });
    assert.equal(defaults.body.quota_set.ram, 51200);
  });

  test('availability zones, hypervisors and services', async () => {
    const az = await tc.req('GET', `${NOVA}/os-availability-zone`, { token: n.demo });
    assert.deepEqual(az.body, { availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }] });
    assertFault(await tc.req('GET', `${NOVA}/os-hypervisors`, { token: n.demo }), 403);
    const hv = await tc.req('GET', `${NOVA}/os-hypervisors/detail`, { token: n.admin });
    assert.equal(hv.body.hypervisors.length, 1);
    const h = hv.body.hypervisors[0];
    assert.ok(h.vcpus >= 1 && h.memory_mb > 0 && h.local_gb > 0, JSON.stringify(h));
    assert.equal((await tc.req('GET', `${NOVA}/os-hypervisors/${h.id}`, { token: n.admin })).body.hypervisor.hypervisor_hostname, h.hypervisor_hostname);
    assertFault(await tc.req('GET', `${NOVA}/os-hypervisors/9999`, { token: n.admin }), 404);
    const stats = await tc.req('GET', `${NOVA}/os-hypervisors/statistics`, { token: n.admin });
    assert.equal(stats.body.hypervisor_statistics.count, 1);
    const svc = await tc.req('GET', `${NOVA}/os-services`, { token: n.admin });
    assert.deepEqual(svc.body.services.map((s: any) => s.binary).sort(), ['nova-compute', 'nova-conductor', 'nova-scheduler']);
    const detail = await tc.req('GET', `${NOVA}/os-availability-zone/detail`, { token: n.admin });
    assert.deepEqual(detail.body.availabilityZoneInfo.map((z: any) => z.zoneName).sort(), ['internal', 'nova']);
  });

  test('server groups: create, list, show, delete; bad policy is 400', async () => {
    const c = await tc.req('POST', `${NOVA}/os-server-groups`, { token: n.demo, body: { server_group: { name: 'g1', policies: ['anti-affinity'] } } });
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(Object.keys(c.body.server_group).sort(), ['id', 'members', 'metadata', 'name', 'policies']);
    assert.deepEqual(c.body.server_group.policies, ['anti-affinity']);
    assertFault(await tc.req('POST', `${NOVA}/os-server-groups`, { token: n.demo, body: { server_group: { name: 'g2', policies: ['nope'] } } }), 400);
    assertFault(await tc.req('GET', `${NOVA}/os-server-groups/${c.body.server_group.id}`, { token: n.alt }), 404);
    const list = await tc.req('GET', `${NOVA}/os-server-groups`, { token: n.demo });
    assert.ok(list.body.server_groups.some((g: any) => g.id === c.body.server_group.id));
    assert.equal((await tc.req('DELETE', `${NOVA}/os-server-groups/${c.body.server_group.id}`, { token: n.demo })).status, 204);
  });

  test('simple tenant usage', async () => {
    assertFault(await tc.req('GET', `${NOVA}/os-simple-tenant-usage`, { token: n.demo }), 403);
    const all = await tc.req('GET', `${NOVA}/os-simple-tenant-usage?start=2020-01-01T00:00:00&end=2100-01-01T00:00:00&detailed=1`, { token: n.admin });
    assert.equal(all.status, 200);
    assert.ok(Array.isArray(all.body.tenant_usages));
    assertFault(await tc.req('GET', `${NOVA}/os-simple-tenant-usage?start=yesterday`, { token: n.admin }), 400);
  });
});
