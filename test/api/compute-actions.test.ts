// Server actions over real HTTP on the fake hypervisor: each from the right states (409
// otherwise), with Nova's status, task_state, vm_state and power_state; lock; rebuild;
// resize with confirm and revert; createImage; console output; instance actions; volume
// attachments and boot from volume.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startTestCloud, type TestCloud } from '../support/cloud.js';
import { action, assertFault, assertKeys, bootActive, deleteServer, NOVA, SERVER_BASIC, SERVER_REQUIRED, setup, showServer, waitFor, type Nova } from './compute-helpers.js';

const VOL = (project: string) => `/volume/v3/${project}`;

describe('compute API: server actions', () => {
  let tc: TestCloud;
  let n: Nova;
  let demoProject: string;
  before(async () => {
    tc = await startTestCloud();
    n = await setup(tc);
    demoProject = (await tc.req('GET', '/identity/v3/auth/tokens', { token: n.admin, headers: { 'x-subject-token': n.demo } })).body.token.project.id;
  });
  after(() => tc?.close());

  const expectState = async (id: string, status: string, vm: string, power: number) => {
    const s = await waitFor(n, n.demo, id, status);
    assert.deepEqual([s['OS-EXT-STS:vm_state'], s['OS-EXT-STS:power_state']], [vm, power], `${status}: vm_state and power_state`);
    return s;
  };

  test('stop/start, reboot, pause/unpause, suspend/resume; wrong states are 409', async () => {
    const s = await bootActive(n, n.demo, { name: 'power' });
    const act = (body: unknown) => action(n, n.demo, s.id, body);
    assert.equal((await act({ 'os-stop': null })).status, 202);
    await expectState(s.id, 'SHUTOFF', 'stopped', 4);
    assertFault(await act({ 'os-stop': null }), 409, 'conflictingRequest');
    assertFault(await act({ pause: null }), 409);
    assertFault(await act({ reboot: { type: 'SOFT' } }), 409, undefined, 'soft reboot of a stopped server');
    assert.equal((await act({ 'os-start': null })).status, 202);
    await expectState(s.id, 'ACTIVE', 'active', 1);
    assertFault(await act({ 'os-start': null }), 409);
    assert.equal((await act({ reboot: { type: 'HARD' } })).status, 202);
    await expectState(s.id, 'ACTIVE', 'active', 1);
    assert.equal((await act({ reboot: { type: 'soft' } })).status, 202);
    await expectState(s.id, 'ACTIVE', 'active', 1);
    assertFault(await act({ reboot: { type: 'MEDIUM' } }), 400);
    assert.equal((await act({ pause: null })).status, 202);
    await expectState(s.id, 'PAUSED', 'paused', 3);
    assertFault(await act({ suspend: null }), 409);
    assert.equal((await act({ unpause: null })).status, 202);
    await expectState(s.id, 'ACTIVE', 'active', 1);
    assert.equal((await act({ suspend: null })).status, 202);
    await expectState(s.id, 'SUSPENDED', 'suspended', 7);
    assertFault(await act({ unpause: null }), 409);
    assert.equal((await act({ resume: null })).status, 202);
    await expectState(s.id, 'ACTIVE', 'active', 1);
    assertFault(await act({ frobnicate: null }), 400, 'badRequest');
    assertFault(await act({ restore: null }), 409);
    assertFault(await action(n, n.demo, crypto.randomUUID(), { 'os-stop': null }), 404);
    const names = (await tc.req('GET', `${NOVA}/servers/${s.id}/os-instance-actions`, { token: n.demo })).body.instanceActions.map((a: any) => a.action);
    for (const a of ['create', 'stop', 'start', 'reboot', 'pause', 'unpause', 'suspend', 'resume']) assert.ok(names.includes(a), `${a} in ${names}`);
    await deleteServer(n, n.demo, s.id);
  });

  test('instance actions carry events; lock blocks the owner, not the admin', async () => {
    const s = await bootActive(n, n.demo, { name: 'locked' });
    const list = (await tc.req('GET', `${NOVA}/servers/${s.id}/os-instance-actions`, { token: n.demo })).body.instanceActions;
    const create = list.find((a: any) => a.action === 'create');
    assertKeys(create, ['action', 'request_id', 'user_id', 'project_id', 'start_time', 'message', 'instance_uuid'], ['action', 'request_id', 'user_id', 'project_id', 'start_time', 'message', 'instance_uuid'], 'instance action');
    const one = await tc.req('GET', `${NOVA}/servers/${s.id}/os-instance-actions/${create.request_id}`, { token: n.demo });
    assert.equal(one.body.instanceAction.events[0].result, 'Success');
    assertFault(await tc.req('GET', `${NOVA}/servers/${s.id}/os-instance-actions/req-nope`, { token: n.demo }), 404);
    assert.equal((await action(n, n.demo, s.id, { lock: null })).status, 202);
    assertFault(await action(n, n.demo, s.id, { 'os-stop': null }), 409);
    assertFault(await tc.req('DELETE', `${NOVA}/servers/${s.id}`, { token: n.demo }), 409);
    assert.equal((await action(n, n.admin, s.id, { 'os-stop': null })).status, 202, 'admin overrides the lock');
    await waitFor(n, n.demo, s.id, 'SHUTOFF');
    assert.equal((await action(n, n.demo, s.id, { unlock: null })).status, 202);
    await deleteServer(n, n.demo, s.id);
  });

  test('rebuild keeps the id and ports; answers the basic keys plus adminPass', async () => {
    const s = await bootActive(n, n.demo, { name: 'rebuild-me' });
    const r = await action(n, n.demo, s.id, { rebuild: { imageRef: n.image, name: 'rebuilt', metadata: { r: '1' } } });
    assert.equal(r.status, 202, r.text);
    assertKeys(r.body.server, [...SERVER_BASIC, 'adminPass'], [...SERVER_REQUIRED, 'adminPass'], 'rebuild');
    assert.equal(r.body.server.status, 'REBUILD');
    const after = await waitFor(n, n.demo, s.id, 'ACTIVE');
    assert.equal(after.name, 'rebuilt');
    assert.deepEqual(after.addresses, s.addresses);
    assertFault(await action(n, n.demo, s.id, { rebuild: { imageRef: crypto.randomUUID() } }), 400);
    await deleteServer(n, n.demo, s.id);
  });

  test('resize: VERIFY_RESIZE, then confirm (new flavor) or revert (old flavor)', async () => {
    const s = await bootActive(n, n.demo, { name: 'resize-me' });
    assertFault(await action(n, n.demo, s.id, { resize: { flavorRef: '42' } }), 400, undefined, 'same flavor');
    assertFault(await action(n, n.demo, s.id, { confirmResize: null }), 409);
    assert.equal((await action(n, n.demo, s.id, { resize: { flavorRef: '84' } })).status, 202);
    await expectState(s.id, 'VERIFY_RESIZE', 'resized', 1);
    assert.equal((await action(n, n.demo, s.id, { confirmResize: null })).status, 204);
    assert.equal((await expectState(s.id, 'ACTIVE', 'active', 1)).flavor.id, '84');
    assert.equal((await action(n, n.demo, s.id, { resize: { flavorRef: 'c1' } })).status, 202);
    await waitFor(n, n.demo, s.id, 'VERIFY_RESIZE');
    assert.equal((await action(n, n.demo, s.id, { revertResize: null })).status, 202);
    assert.equal((await expectState(s.id, 'ACTIVE', 'active', 1)).flavor.id, '84');
    await deleteServer(n, n.demo, s.id);
  });

  test('createImage uploads a snapshot into Glance; console output honours length', async () => {
    const s = await bootActive(n, n.demo, { name: 'snap-me' });
    const r = await action(n, n.demo, s.id, { createImage: { name: 'snap', metadata: { purpose: 'test' } } });
    assert.equal(r.status, 202, r.text);
    const imageId = r.headers.get('location')!.split('/').pop()!;
    const img = await eventually(async () => {
      const g = await tc.req('GET', `/image/v2/images/${imageId}`, { token: n.demo });
      return g.body?.status === 'active' ? g.body : undefined;
    });
    assert.equal(img.instance_uuid, s.id);
    assert.equal(img.purpose, 'test');
    assert.ok(img.size > 0);
    await waitFor(n, n.demo, s.id, 'ACTIVE');
    const out = await action(n, n.demo, s.id, { 'os-getConsoleOutput': { length: 3 } });
    assert.equal(out.status, 200);
    assert.equal(out.body.output.split('\n').length, 3);
    const all = await action(n, n.demo, s.id, { 'os-getConsoleOutput': {} });
    assert.match(all.body.output, /login:/);
    assertFault(await action(n, n.demo, s.id, { 'os-getConsoleOutput': { length: 'x' } }), 400);
    await tc.req('DELETE', `/image/v2/images/${imageId}`, { token: n.demo });
    await deleteServer(n, n.demo, s.id);
  });

  const newVolume = async (body: Record<string, unknown> = {}) => {
    const v = await tc.req('POST', `${VOL(demoProject)}/volumes`, { token: n.demo, body: { volume: { size: 1, ...body } } });
    assert.equal(v.status, 202, v.text);
    await eventually(async () => (await tc.req('GET', `${VOL(demoProject)}/volumes/${v.body.volume.id}`, { token: n.demo })).body.volume.status === 'available');
    return v.body.volume.id as string;
  };
  const volume = async (id: string) => (await tc.req('GET', `${VOL(demoProject)}/volumes/${id}`, { token: n.demo })).body.volume;

  test('volume attach and detach: both APIs agree', async () => {
    const s = await bootActive(n, n.demo, { name: 'with-volume' });
    const vol = await newVolume();
    const a = await tc.req('POST', `${NOVA}/servers/${s.id}/os-volume_attachments`, { token: n.demo, body: { volumeAttachment: { volumeId: vol } } });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.body.volumeAttachment, { id: vol, volumeId: vol, serverId: s.id, device: '/dev/vdb' });
    await eventually(async () => (await volume(vol)).status === 'in-use');
    assert.equal((await volume(vol)).attachments[0].server_id, s.id);
    const list = await tc.req('GET', `${NOVA}/servers/${s.id}/os-volume_attachments`, { token: n.demo });
    assert.deepEqual(list.body.volumeAttachments, [a.body.volumeAttachment]);
    assert.deepEqual((await showServer(n, n.demo, s.id)).body.server['os-extended-volumes:volumes_attached'], [{ id: vol }]);
    assertFault(await tc.req('POST', `${NOVA}/servers/${s.id}/os-volume_attachments`, { token: n.demo, body: { volumeAttachment: { volumeId: vol } } }), 400);
    assertFault(await tc.req('POST', `${NOVA}/servers/${s.id}/os-volume_attachments`, { token: n.demo, body: { volumeAttachment: { volumeId: crypto.randomUUID() } } }), 404);
    assert.equal((await action(n, n.demo, s.id, { 'os-stop': null })).status, 202);
    await waitFor(n, n.demo, s.id, 'SHUTOFF');
    assert.equal((await tc.req('DELETE', `${NOVA}/servers/${s.id}/os-volume_attachments/${vol}`, { token: n.demo })).status, 202);
    await eventually(async () => (await volume(vol)).status === 'available');
    assertFault(await tc.req('GET', `${NOVA}/servers/${s.id}/os-volume_attachments/${vol}`, { token: n.demo }), 404);
    assert.equal((await tc.req('POST', `${NOVA}/servers/${s.id}/os-volume_attachments`, { token: n.demo, body: { volumeAttachment: { volumeId: vol } } })).status, 200);
    await eventually(async () => (await volume(vol)).status === 'in-use');
    await deleteServer(n, n.demo, s.id);
    await eventually(async () => (await volume(vol)).status === 'available');
    await tc.req('DELETE', `${VOL(demoProject)}/volumes/${vol}`, { token: n.demo });
  });

  test('boot from a new blank volume and from an existing one; delete_on_termination', async () => {
    const blank = { source_type: 'blank', destination_type: 'volume', boot_index: 0, volume_size: 1, delete_on_termination: true };
    const a = await bootActive(n, n.demo, { name: 'bfv-blank', imageRef: '', block_device_mapping_v2: [blank] });
    assert.equal(a.image, '');
    const [root] = a['os-extended-volumes:volumes_attached'];
    assert.equal((await volume(root.id)).status, 'in-use');
    assertFault(await tc.req('DELETE', `${NOVA}/servers/${a.id}/os-volume_attachments/${root.id}`, { token: n.demo }), 400, undefined, 'root volume');
    await deleteServer(n, n.demo, a.id);
    await eventually(async () => (await tc.req('GET', `${VOL(demoProject)}/volumes/${root.id}`, { token: n.demo })).status === 404);
    const vol = await newVolume();
    await tc.req('POST', `${VOL(demoProject)}/volumes/${vol}/action`, { token: n.demo, body: { 'os-set_bootable': { bootable: true } } });
    const b = await bootActive(n, n.demo, { name: 'bfv-existing', imageRef: '', block_device_mapping_v2: [{ uuid: vol, source_type: 'volume', destination_type: 'volume', boot_index: 0 }] });
    assert.deepEqual(b['os-extended-volumes:volumes_attached'], [{ id: vol }]);
    await deleteServer(n, n.demo, b.id);
    await eventually(async () => (await volume(vol)).status === 'available', 5000);
    const nonBootable = await newVolume();
    assertFault(await tc.req('POST', `${NOVA}/servers`, { token: n.demo, body: { server: { name: 'nb', imageRef: '', flavorRef: '42', block_device_mapping_v2: [{ uuid: nonBootable, source_type: 'volume', destination_type: 'volume', boot_index: 0 }] } } }), 400);
    assertFault(await tc.req('POST', `${NOVA}/servers`, { token: n.demo, body: { server: { name: 'noboot', imageRef: '', flavorRef: '42' } } }), 400);
    for (const id of [vol, nonBootable]) await tc.req('DELETE', `${VOL(demoProject)}/volumes/${id}`, { token: n.demo });
  });

  test('security groups: remove the last one, add it back', async () => {
    const s = await bootActive(n, n.demo, { name: 'sg-change' });
    assert.equal((await action(n, n.demo, s.id, { removeSecurityGroup: { name: 'default' } })).status, 202);
    assert.equal((await showServer(n, n.demo, s.id)).body.server.security_groups, undefined);
    assertFault(await action(n, n.demo, s.id, { removeSecurityGroup: { name: 'default' } }), 400);
    assertFault(await action(n, n.demo, s.id, { addSecurityGroup: { name: 'no-such' } }), 404);
    assert.equal((await action(n, n.demo, s.id, { addSecurityGroup: { name: 'default' } })).status, 202);
    const port = (await tc.req('GET', `/networking/v2.0/ports?device_id=${s.id}`, { token: n.demo })).body.ports[0];
    assert.equal(port.security_groups.length, 1);
    await deleteServer(n, n.demo, s.id);
  });
});
