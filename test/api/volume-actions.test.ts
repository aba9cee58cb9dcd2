import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, type TestCloud } from '../support/cloud.js';
import { assertFault, keys, makeVolume, volumeUser, waitGone, waitSnapshot, waitVolume, type VolumeUser } from './volume-helpers.js';

describe('block storage: volume actions and the attach state machine', () => {
  let c: TestCloud;
  let demo: VolumeUser;
  let admin: VolumeUser;
  const act = (u: VolumeUser, id: string, name: string, args: unknown = {}) => u.req('POST', `/volumes/${id}/action`, { body: { [name]: args } });
  const show = async (u: VolumeUser, id: string) => (await u.req('GET', `/volumes/${id}`)).body.volume;

  before(async () => {
    c = await startTestCloud();
    [demo, admin] = await Promise.all([volumeUser(c, 'demo'), volumeUser(c, 'admin')]);
  });
  after(() => c?.close());

  it('reserve → attaching, a second reserve is 400, unreserve → available', async () => {
    const v = await makeVolume(demo);
    assert.equal((await act(demo, v.id, 'os-reserve')).status, 202);
    assert.equal((await show(demo, v.id)).status, 'attaching');
    assertFault(await act(demo, v.id, 'os-reserve'), 400, 'badRequest');
    assert.equal((await act(demo, v.id, 'os-unreserve')).status, 202);
    assert.equal((await show(demo, v.id)).status, 'available');
    assert.equal((await act(demo, v.id, 'os-unreserve')).status, 202, 'unreserve is a no-op when not reserved');
  });

  it('reserve, initialize_connection, attach → in-use with one attachment; detach → available', async () => {
    const v = await makeVolume(demo);
    const server = randomUUID();
    await act(demo, v.id, 'os-reserve');
    const conn = await act(demo, v.id, 'os-initialize_connection', { connector: { host: 'stratus', initiator: 'x' } });
    assert.equal(conn.status, 200, conn.text);
    assert.equal(conn.body.connection_info.driver_volume_type, 'local');
    assert.match(conn.body.connection_info.data.device_path, /volume-/);
    assertFault(await act(demo, v.id, 'os-initialize_connection', {}), 400, 'badRequest');
    assert.equal((await act(demo, v.id, 'os-attach', { instance_uuid: server, mountpoint: '/dev/vdb', mode: 'rw' })).status, 202);
    const inUse = await show(demo, v.id);
    assert.equal(inUse.status, 'in-use');
    assert.equal(inUse.attachments.length, 1);
    const a = inUse.attachments[0];
    assert.deepEqual(keys(a), ['attached_at', 'attachment_id', 'device', 'host_name', 'id', 'server_id', 'volume_id']);
    assert.deepEqual([a.server_id, a.device, a.volume_id, a.id], [server, '/dev/vdb', v.id, v.id]);
    assert.equal(inUse.metadata.attached_mode, 'rw');

    assertFault(await demo.req('DELETE', `/volumes/${v.id}`), 400, 'badRequest');
    assertFault(await act(demo, v.id, 'os-extend', { new_size: 2 }), 400, 'badRequest');
    assertFault(await act(demo, v.id, 'os-reserve'), 400, 'badRequest');
    assertFault(await act(demo, v.id, 'os-attach', { instance_uuid: randomUUID(), mountpoint: '/dev/vdc' }), 400, 'badRequest');
    assertFault(await demo.req('POST', '/snapshots', { body: { snapshot: { volume_id: v.id } } }), 400, 'badRequest');
    const snap = await demo.req('POST', '/snapshots', { body: { snapshot: { volume_id: v.id, force: true } } });
    assert.equal(snap.status, 202, snap.text);
    await waitSnapshot(demo, snap.body.snapshot.id, 'available');

    assert.equal((await act(demo, v.id, 'os-begin_detaching')).status, 202);
    assert.equal((await show(demo, v.id)).status, 'detaching');
    assertFault(await act(demo, v.id, 'os-begin_detaching'), 400, 'badRequest');
    assert.equal((await act(demo, v.id, 'os-roll_detaching')).status, 202);
    assert.equal((await show(demo, v.id)).status, 'in-use');
    await act(demo, v.id, 'os-begin_detaching');
    assert.equal((await act(demo, v.id, 'os-terminate_connection', { connector: { host: 'stratus' } })).status, 202);
    assert.equal((await act(demo, v.id, 'os-detach', { attachment_id: a.attachment_id })).status, 202);
    const free = await show(demo, v.id);
    assert.equal(free.status, 'available');
    assert.deepEqual(free.attachments, []);
    assert.equal(free.metadata.attached_mode, undefined);
    // As in Cinder, a detach with nothing to detach is accepted and changes nothing.
    assert.equal((await act(demo, v.id, 'os-detach')).status, 202);
    assert.equal((await show(demo, v.id)).status, 'available');
  });

  it('attaches straight from available, to a host as well, and detaches by attachment id', async () => {
    const v = await makeVolume(demo);
    assert.equal((await act(demo, v.id, 'os-attach', { host_name: 'node-1', mountpoint: '/mnt/x' })).status, 202);
    const inUse = await show(demo, v.id);
    assert.equal(inUse.attachments[0].host_name, 'node-1');
    assert.equal(inUse.attachments[0].server_id, null);
    assert.equal((await act(demo, v.id, 'os-detach', { attachment_id: randomUUID() })).status, 202);
    assert.equal((await show(demo, v.id)).status, 'in-use', 'an unknown attachment id detaches nothing');
    assert.equal((await act(demo, v.id, 'os-detach', { attachment_id: inUse.attachments[0].attachment_id })).status, 202);
    assert.equal((await show(demo, v.id)).status, 'available');
    for (const bad of [{ mountpoint: '/dev/vdb' }, { instance_uuid: 'not-a-uuid', mountpoint: '/dev/vdb' }, { instance_uuid: randomUUID() }, { instance_uuid: randomUUID(), mountpoint: '/dev/vdb', mode: 'rx' }]) {
      assertFault(await act(demo, v.id, 'os-attach', bad), 400, 'badRequest');
    }
  });

  it('sets the bootable and read-only flags', async () => {
    const v = await makeVolume(demo);
    assert.equal((await act(demo, v.id, 'os-set_bootable', { bootable: true })).status, 200);
    assert.equal((await show(demo, v.id)).bootable, 'true');
    assert.ok((await demo.req('GET', '/volumes?bootable=true')).body.volumes.some((x: any) => x.id === v.id));
    assert.equal((await act(demo, v.id, 'os-set_bootable', { bootable: 'False' })).status, 200);
    assert.equal((await show(demo, v.id)).bootable, 'false');
    assertFault(await act(demo, v.id, 'os-set_bootable', { bootable: 'maybe' }), 400, 'badRequest');

    assert.equal((await act(demo, v.id, 'os-update_readonly_flag', { readonly: true })).status, 202);
    assert.equal((await show(demo, v.id)).metadata.readonly, 'True');
    assertFault(await act(demo, v.id, 'os-attach', { instance_uuid: randomUUID(), mountpoint: '/dev/vdb', mode: 'rw' }), 400, 'badRequest');
    assert.equal((await act(demo, v.id, 'os-attach', { instance_uuid: randomUUID(), mountpoint: '/dev/vdb', mode: 'ro' })).status, 202);
    const conn = await act(demo, v.id, 'os-initialize_connection', { connector: {} });
    assert.equal(conn.body.connection_info.data.access_mode, 'ro');
  });

  it('extends an available volume: 202, extending → available with the new size', async () => {
    const v = await makeVolume(demo);
    assertFault(await act(demo, v.id, 'os-extend', { new_size: 1 }), 400, 'badRequest');
    for (const bad of [0, 'abc', null, -1]) assertFault(await act(demo, v.id, 'os-extend', { new_size: bad }), 400, 'badRequest');
    assert.equal((await act(demo, v.id, 'os-extend', { new_size: '3' })).status, 202);
    const grown = await waitVolume(demo, v.id, 'available');
    assert.equal(grown.size, 3);
  });

  it('keeps volume_image_metadata through the image metadata actions', async () => {
    const v = await makeVolume(demo);
    const set = await act(demo, v.id, 'os-set_image_metadata', { metadata: { hw_disk_bus: 'virtio' } });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body.metadata, { hw_disk_bus: 'virtio' });
    assert.deepEqual((await show(demo, v.id)).volume_image_metadata, { hw_disk_bus: 'virtio' });
    assert.deepEqual((await act(demo, v.id, 'os-show_image_metadata')).body, { metadata: { hw_disk_bus: 'virtio' } });
    assert.equal((await act(demo, v.id, 'os-unset_image_metadata', { key: 'hw_disk_bus' })).status, 200);
    assertFault(await act(demo, v.id, 'os-unset_image_metadata', { key: 'hw_disk_bus' }), 404, 'itemNotFound');
  });

  it('refuses unknown, multiple and malformed actions with 400', async () => {
    const v = await makeVolume(demo);
    assertFault(await act(demo, v.id, 'os-fly'), 400, 'badRequest');
    assertFault(await demo.req('POST', `/volumes/${v.id}/action`, { body: { 'os-reserve': {}, 'os-unreserve': {} } }), 400, 'badRequest');
    assertFault(await demo.req('POST', `/volumes/${v.id}/action`, { body: [] }), 400, 'badRequest');
    assertFault(await demo.req('POST', `/volumes/${v.id}/action`, { raw: '{"os-reserve":', headers: { 'content-type': 'application/json' } }), 400, 'badRequest');
    assertFault(await act(demo, v.id, 'os-extend', 'big'), 400, 'badRequest');
  });

  it('admin actions: reset_status and force_delete are admin-only', async () => {
    const v = await makeVolume(demo);
    assertFault(await act(demo, v.id, 'os-reset_status', { status: 'error' }), 403, 'forbidden');
    assertFault(await act(admin, v.id, 'os-reset_status', { status: 'sideways' }), 400, 'badRequest');
    assert.equal((await act(admin, v.id, 'os-reset_status', { status: 'error' })).status, 202);
    assert.equal((await show(demo, v.id)).status, 'error');
    await act(demo, v.id, 'os-attach', { instance_uuid: randomUUID(), mountpoint: '/dev/vdb' }).then((r) => assertFault(r, 400, 'badRequest'));
    assert.equal((await act(admin, v.id, 'os-reset_status', { status: 'in-use', attach_status: 'attached' })).status, 202);
    assertFault(await act(demo, v.id, 'os-force_delete'), 403, 'forbidden');
    assert.equal((await act(admin, v.id, 'os-force_delete')).status, 202);
    await waitGone(demo, `/volumes/${v.id}`);
  });
});
