// The telemetry collector on the fake compute driver: the test moves the hypervisor's usage
// counters and reads what the collector recorded through the metric API (instances, disks,
// ports, volumes, images, Swift accounts), including rates and the end of a deleted server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { setup, bootActive, deleteServer, type Nova } from './compute-helpers.js';
import type { FakeComputeDriver } from '../../src/drivers/compute/fake.js';

const V1 = '/metric/v1';
let tc: TestCloud;
let n: Nova;
let offset = 0;

before(async () => {
  process.env.STRATUS_TELEMETRY_MS = '0';
  // A clock the test moves 5 minutes per cycle, so measures fall in distinct 300 s buckets
  // (the collector's metrics use devstack's ceilometer-low policies).
  tc = await startTestCloud({ clock: { now: () => Date.now() + offset } });
  n = await setup(tc);
});
after(async () => {
  delete process.env.STRATUS_TELEMETRY_MS;
  await tc?.close();
});

const get = async (path: string, token = n.demo) => {
  const r = await tc.req('GET', `${V1}${path}`, { token });
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.body;
};
const search = async (type: string, filter: unknown, token = n.demo) => {
  const r = await tc.req('POST', `${V1}/search/resource/${type}`, { token, body: filter });
  assert.equal(r.status, 200, r.text);
  return r.body as any[];
};
const values = (rows: [string, number, number][]) => rows.map((r) => r[2]);

test('collector: instance, disk and port counters become measures and rates; a deleted server ends', async () => {
  const fake = tc.cloud.computeDriver as FakeComputeDriver;
  const collector = tc.cloud.metric.collector!;
  const name = uniqueName('vm');
  const s = await bootActive(n, n.demo, { name, networks: 'auto' });
  const ports = (await tc.req('GET', `/networking/v2.0/ports?device_id=${s.id}`, { token: n.demo })).body.ports as { id: string }[];
  assert.equal(ports.length, 1);
  const port = ports[0]!.id;

  fake.setStats(s.id, { cpuTimeNs: 1e9, memoryUsageBytes: 64 * 1048576, disks: { vda: { readBytes: 1000, writeBytes: 500 } }, ports: { [port]: { rxBytes: 100, txBytes: 50, rxPackets: 2, txPackets: 1 } } });
  const first = await collector.cycle();
  assert.ok(first && first.created >= 3, JSON.stringify(first));
  offset += 300_000;
  fake.setStats(s.id, { cpuTimeNs: 4e9, memoryUsageBytes: 96 * 1048576, disks: { vda: { readBytes: 5000, writeBytes: 700 } }, ports: { [port]: { rxBytes: 1100, txBytes: 90, rxPackets: 12, txPackets: 3 } } });
  await collector.cycle();

  // The instance, as its owner sees it (project scoping: the server's project).
  const inst = await get(`/resource/instance/${s.id}`);
  assert.equal(inst.display_name, name);
  assert.equal(inst.flavor_id, '42');
  assert.equal(inst.flavor_name, 'm1.nano');
  assert.equal(inst.image_ref, n.image);
  assert.equal(inst.project_id, s.tenant_id);
  assert.ok(inst.host);
  assert.deepEqual(Object.keys(inst.metrics).sort(), ['cpu', 'memory', 'memory.usage', 'vcpus']);
  assert.deepEqual(values(await get(`/resource/instance/${s.id}/metric/cpu/measures?aggregation=rate:mean&granularity=300`)), [3e9]);
  assert.deepEqual(values(await get(`/resource/instance/${s.id}/metric/memory.usage/measures?granularity=300`)), [64, 96]);
  assert.deepEqual(values(await get(`/resource/instance/${s.id}/metric/vcpus/measures?granularity=300`)), [1, 1]);
  const flavor = (await tc.req('GET', '/compute/v2.1/flavors/42', { token: n.demo })).body.flavor;
  assert.deepEqual(values(await get(`/resource/instance/${s.id}/metric/memory/measures?granularity=300`)), [flavor.ram, flavor.ram]);

  const [disk] = await search('instance_disk', { '=': { instance_id: s.id } });
  assert.equal(disk.name, 'vda');
  assert.deepEqual(values(await get(`/resource/instance_disk/${disk.id}/metric/disk.device.read.bytes/measures?aggregation=rate:mean&granularity=300`)), [4000]);
  const nic = await get(`/resource/instance_network_interface/${port}`);
  assert.equal(nic.instance_id, s.id);
  assert.deepEqual(values(await get(`/resource/instance_network_interface/${port}/metric/network.incoming.bytes/measures?aggregation=rate:mean&granularity=300`)), [1000]);
  assert.deepEqual(values(await get(`/resource/instance_network_interface/${port}/metric/network.outgoing.packets/measures?granularity=300`)), [1, 3]);
  // Another project does not see it.
  assert.equal((await tc.req('GET', `${V1}/resource/instance/${s.id}`, { token: n.alt })).status, 403);

  await deleteServer(n, n.demo, s.id);
  offset += 300_000;
  const last = await collector.cycle();
  assert.ok(last && last.ended >= 3, JSON.stringify(last));
  const ended = await get(`/resource/instance/${s.id}`);
  assert.notEqual(ended.ended_at, null);
  assert.deepEqual(values(await get(`/resource/instance/${s.id}/metric/memory.usage/measures?granularity=300`)), [64, 96]);
});

test('collector: volume.size, image.size and the Swift account', async () => {
  const collector = tc.cloud.metric.collector!;
  const v = await tc.req('POST', `/volume/v3/volumes`, { token: n.demo, body: { volume: { size: 2, name: uniqueName('vol') } } });
  assert.equal(v.status, 202, v.text);
  const cat = await tc.req('GET', '/identity/v3/auth/catalog', { token: n.demo });
  const swift = new URL(cat.body.catalog.find((x: any) => x.type === 'object-store').endpoints[0].url).pathname;
  assert.equal((await tc.req('PUT', `${swift}/c1`, { token: n.demo })).status, 201);
  const put = await fetch(`${tc.url}${swift}/c1/o1`, { method: 'PUT', headers: { 'x-auth-token': n.demo }, body: Buffer.alloc(1234, 1) });
  assert.equal(put.status, 201);
  offset += 300_000;
  await collector.cycle();

  const vol = await get(`/resource/volume/${v.body.volume.id}`);
  assert.equal(vol.display_name, v.body.volume.name);
  assert.deepEqual(values(await get(`/resource/volume/${v.body.volume.id}/metric/volume.size/measures?granularity=300`)), [2]);
  const img = await get(`/resource/image/${n.image}`, n.admin);
  assert.equal(img.disk_format, 'raw');
  assert.equal(values(await get(`/resource/image/${n.image}/metric/image.size/measures?granularity=300`, n.admin)).at(-1), 4096);
  const [acct] = await search('swift_account', { '=': { project_id: (await get(`/resource/volume/${v.body.volume.id}`)).project_id } });
  assert.deepEqual(values(await get(`/resource/swift_account/${acct.id}/metric/storage.objects.size/measures?granularity=300`)), [1234]);
  assert.deepEqual(values(await get(`/resource/swift_account/${acct.id}/metric/storage.objects.containers/measures?granularity=300`)), [1]);
});
