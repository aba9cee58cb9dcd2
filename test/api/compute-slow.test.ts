// The lifecycle on a slow hypervisor (the fake told to take its time): the API answers at
// once, refuses actions while a server builds, and a delete during the build wins.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startTestCloud, type TestCloud } from '../support/cloud.js';
import { action, assertFault, createServer, NOVA, setup, showServer, waitFor, waitGone, type Nova } from './compute-helpers.js';

describe('compute API on a slow hypervisor', () => {
  let tc: TestCloud;
  let n: Nova;
  before(async () => {
    // Read by FakeComputeDriver.fromEnv when the cloud starts; this file runs in its own process.
    process.env.STRATUS_FAKE_COMPUTE_DELAYS = 'spawn=400,powerOff=300';
    tc = await startTestCloud();
    delete process.env.STRATUS_FAKE_COMPUTE_DELAYS;
    n = await setup(tc);
  });
  after(() => tc?.close());

  test('BUILD shows task states; actions are 409 until ACTIVE', async () => {
    const t0 = performance.now();
    const s = await createServer(n, n.demo, { name: 'slow' });
    assert.ok(performance.now() - t0 < 300, 'the API does not wait for the hypervisor');
    const building = await eventually(async () => {
      const b = (await showServer(n, n.demo, s.id)).body.server;
      return b['OS-EXT-STS:task_state'] === 'spawning' ? b : undefined;
    });
    assert.deepEqual([building.status, building['OS-EXT-STS:vm_state'], building['OS-EXT-STS:power_state']], ['BUILD', 'building', 0]);
    assert.equal(building.progress, 0);
    assertFault(await action(n, n.demo, s.id, { 'os-stop': null }), 409, 'conflictingRequest');
    assertFault(await action(n, n.demo, s.id, { reboot: { type: 'HARD' } }), 409);
    await waitFor(n, n.demo, s.id, 'ACTIVE');
    assert.equal((await action(n, n.demo, s.id, { 'os-stop': null })).status, 202);
    const stopping = (await showServer(n, n.demo, s.id)).body.server;
    assert.deepEqual([stopping.status, stopping['OS-EXT-STS:task_state']], ['ACTIVE', 'powering-off']);
    assertFault(await action(n, n.demo, s.id, { 'os-start': null }), 409);
    await waitFor(n, n.demo, s.id, 'SHUTOFF');
    assert.equal((await tc.req('DELETE', `${NOVA}/servers/${s.id}`, { token: n.demo })).status, 204);
    await waitGone(n, n.demo, s.id);
  });

  test('a delete during the build wins and releases the port', async () => {
    const s = await createServer(n, n.demo, { name: 'short-lived' });
    await eventually(async () => (await showServer(n, n.demo, s.id)).body.server['OS-EXT-STS:task_state'] === 'spawning');
    assert.equal((await tc.req('DELETE', `${NOVA}/servers/${s.id}`, { token: n.demo })).status, 204);
    assert.equal((await showServer(n, n.demo, s.id)).body.server['OS-EXT-STS:task_state'], 'deleting');
    assert.equal((await tc.req('DELETE', `${NOVA}/servers/${s.id}`, { token: n.demo })).status, 204, 'a second delete is accepted');
    await waitGone(n, n.demo, s.id);
    await eventually(async () => (await tc.req('GET', `/networking/v2.0/ports?device_id=${s.id}`, { token: n.demo })).body.ports.length === 0);
  });

  test('concurrent creates claim capacity atomically', async () => {
    const ids = await Promise.all(['c1', 'c2', 'c3', 'c4'].map(async (name) => (await createServer(n, n.demo, { name })).id));
    for (const id of ids) await waitFor(n, n.demo, id, 'ACTIVE');
    const hv = (await tc.req('GET', `${NOVA}/os-hypervisors/detail`, { token: n.admin })).body.hypervisors[0];
    assert.equal(hv.running_vms, 4);
    assert.equal(hv.vcpus_used, 4);
    assert.equal(hv.memory_mb_used, 4 * 192);
    for (const id of ids) await tc.req('DELETE', `${NOVA}/servers/${id}`, { token: n.demo });
    for (const id of ids) await waitGone(n, n.demo, id);
    assert.equal((await tc.req('GET', `${NOVA}/os-hypervisors/detail`, { token: n.admin })).body.hypervisors[0].vcpus_used, 0);
  });
});
