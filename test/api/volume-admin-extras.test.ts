// Block storage beyond the basics, over HTTP: volume transfers between projects, per-type
// quotas, os-services (disable/freeze enforced), backend capabilities, QoS specs and
// encryption types.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, type TestCloud } from '../support/cloud.js';
import { assertFault, keys, makeSnapshot, makeVolume, volumeUser, waitVolume, type VolumeUser } from './volume-helpers.js';

describe('block storage: transfers, per-type quotas, services, QoS and encryption', () => {
  let c: TestCloud;
  let demo: VolumeUser;
  let alt: VolumeUser;
  let admin: VolumeUser;
  const act = (u: VolumeUser, id: string, name: string, args: unknown = {}) => u.req('POST', `/volumes/${id}/action`, { body: { [name]: args } });

  before(async () => {
    c = await startTestCloud();
    [demo, alt, admin] = await Promise.all([volumeUser(c, 'demo'), volumeUser(c, 'alt_demo'), volumeUser(c, 'admin')]);
  });
  after(() => c?.close());

  const usage = async (projectId: string) => (await admin.req('GET', `/os-quota-sets/${projectId}?usage=True`)).body.quota_set;

  it('a transfer moves the volume and its snapshots to the accepting project, with the usage', async () => {
    const v = await makeVolume(demo, { size: 2 });
    await makeSnapshot(demo, v.id);
    const [demoBefore, altBefore] = [await usage(demo.projectId), await usage(alt.projectId)];

    const created = await demo.req('POST', '/os-volume-transfer', { body: { transfer: { volume_id: v.id, name: 'gift' } } });
    assert.equal(created.status, 202, created.text);
    const t = created.body.transfer;
    assert.deepEqual(keys(t), ['auth_key', 'created_at', 'id', 'links', 'name', 'volume_id']);
    assert.equal(t.auth_key.length, 16);
    assert.equal((await demo.req('GET', `/volumes/${v.id}`)).body.volume.status, 'awaiting-transfer');
    assertFault(await demo.req('DELETE', `/volumes/${v.id}`), 400, 'badRequest');
    assertFault(await demo.req('POST', '/os-volume-transfer', { body: { transfer: { volume_id: v.id } } }), 400, 'badRequest');

    const list = await demo.req('GET', '/os-volume-transfer');
    assert.deepEqual(list.body.transfers.map((x: any) => keys(x)), [['id', 'links', 'name', 'volume_id']]);
    assert.equal((await demo.req('GET', '/os-volume-transfer/detail')).body.transfers[0].created_at, t.created_at);
    assert.equal((await demo.req('GET', `/os-volume-transfer/${t.id}`)).body.transfer.volume_id, v.id);
    assertFault(await alt.req('GET', `/os-volume-transfer/${t.id}`), 404, 'itemNotFound');

    assertFault(await alt.req('POST', `/os-volume-transfer/${t.id}/accept`, { body: { accept: { auth_key: 'wrong' } } }), 400, 'badRequest');
    const accepted = await alt.req('POST', `/os-volume-transfer/${t.id}/accept`, { body: { accept: { auth_key: t.auth_key } } });
    assert.equal(accepted.status, 202, accepted.text);
    assert.deepEqual(keys(accepted.body.transfer), ['id', 'links', 'name', 'volume_id']);

    const moved = await waitVolume(alt, v.id, 'available');
    assert.equal(moved['os-vol-tenant-attr:tenant_id'], alt.projectId);
    assert.equal(moved.user_id, alt.userId);
    assertFault(await demo.req('GET', `/volumes/${v.id}`), 404, 'itemNotFound');
    assert.equal((await alt.req('GET', '/snapshots')).body.snapshots.filter((s: any) => s.volume_id === v.id).length, 1);
    assertFault(await demo.req('GET', `/os-volume-transfer/${t.id}`), 404, 'itemNotFound');

    const [demoAfter, altAfter] = [await usage(demo.projectId), await usage(alt.projectId)];
    assert.equal(demoBefore.volumes.in_use - demoAfter.volumes.in_use, 1);
    assert.equal(altAfter.volumes.in_use - altBefore.volumes.in_use, 1);
    assert.equal(altAfter.gigabytes.in_use - altBefore.gigabytes.in_use, 4, 'volume and snapshot gigabytes move');
    assert.equal(altAfter.snapshots.in_use - altBefore.snapshots.in_use, 1);
  });

  it('deleting a transfer makes the volume available again', async () => {
    const v = await makeVolume(demo);
    const t = (await demo.req('POST', '/os-volume-transfer', { body: { transfer: { volume_id: v.id } } })).body.transfer;
    assert.equal((await demo.req('DELETE', `/os-volume-transfer/${t.id}`)).status, 202);
    assert.equal((await demo.req('GET', `/volumes/${v.id}`)).body.volume.status, 'available');
    assertFault(await alt.req('POST', `/os-volume-transfer/${t.id}/accept`, { body: { accept: { auth_key: t.auth_key } } }), 404, 'itemNotFound');
    assertFault(await demo.req('POST', '/os-volume-transfer', { body: {} }), 400, 'badRequest');
  });

  it('per-type quota keys are shown for every type, settable and enforced', async () => {
    const type = (await admin.req('POST', '/types', { body: { volume_type: { name: 'gold' } } })).body.volume_type;
    const defaults = (await admin.req('GET', `/os-quota-sets/${demo.projectId}/defaults`)).body.quota_set;
    assert.equal(defaults.volumes_gold, -1);
    assert.equal(defaults.gigabytes___DEFAULT__, -1);
    const put = await admin.req('PUT', `/os-quota-sets/${demo.projectId}`, { body: { quota_set: { volumes_gold: 1 } } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.quota_set.volumes_gold, 1);
    assertFault(await admin.req('PUT', `/os-quota-sets/${demo.projectId}`, { body: { quota_set: { volumes_nosuchtype: 1 } } }), 400, 'badRequest');
    await makeVolume(demo, { volume_type: 'gold' });
    assertFault(await demo.req('POST', '/volumes', { body: { volume: { size: 1, volume_type: 'gold' } } }), 413, 'overLimit');
    const u = await usage(demo.projectId);
    assert.deepEqual(u.volumes_gold, { limit: 1, in_use: 1, reserved: 0 });
    const cls = await admin.req('PUT', '/os-quota-class-sets/default', { body: { quota_class_set: { snapshots_gold: 5 } } });
    assert.equal(cls.status, 200, cls.text);
    assert.equal((await admin.req('GET', `/os-quota-sets/${alt.projectId}`)).body.quota_set.snapshots_gold, 5);
    assert.equal((await admin.req('GET', `/types/${type.id}`)).status, 200);
  });

  it('os-services: list and filters; a disabled cinder-volume takes no volumes; a frozen backend refuses deletes', async () => {
    assertFault(await demo.req('GET', '/os-services'), 403, 'forbidden');
    const all = (await admin.req('GET', '/os-services')).body.services;
    assert.deepEqual(all.map((s: any) => `${s.binary} ${s.host} ${s.status} ${s.state}`).sort(), ['cinder-scheduler stratus enabled up', 'cinder-volume stratus@file enabled up']);
    assert.equal((await admin.req('GET', '/os-services?host=stratus')).body.services.length, 2);
    assert.equal((await admin.req('GET', '/os-services?host=stratus&binary=cinder-volume')).body.services.length, 1);

    const off = await admin.req('PUT', '/os-services/disable-log-reason', { body: { host: 'stratus@file', binary: 'cinder-volume', disabled_reason: 'maintenance' } });
    assert.equal(off.status, 200, off.text);
    assert.deepEqual([off.body.status, off.body.disabled, off.body.disabled_reason], ['disabled', true, 'maintenance']);
    const r = await demo.req('POST', '/volumes', { body: { volume: { size: 1 } } });
    assert.equal(r.status, 202);
    await waitVolume(demo, r.body.volume.id, 'error');
    const on = await admin.req('PUT', '/os-services/enable', { body: { host: 'stratus@file', binary: 'cinder-volume' } });
    assert.deepEqual([on.status, on.body.status, on.body.disabled_reason], [200, 'enabled', null]);
    assertFault(await admin.req('PUT', '/os-services/enable', { body: { host: 'nowhere', binary: 'cinder-volume' } }), 404, 'itemNotFound');
    assertFault(await admin.req('PUT', '/os-services/disable-log-reason', { body: { host: 'stratus@file', binary: 'cinder-volume', disabled_reason: null } }), 400, 'badRequest');

    const v = await makeVolume(demo);
    assert.equal((await admin.req('PUT', '/os-services/freeze', { body: { host: 'stratus' } })).status, 200);
    assert.equal((await admin.req('GET', '/os-services?binary=cinder-volume')).body.services[0].frozen, true);
    assertFault(await demo.req('DELETE', `/volumes/${v.id}`), 400, 'badRequest');
    assert.equal((await admin.req('PUT', '/os-services/thaw', { body: { host: 'stratus' } })).status, 200);
    assert.equal((await demo.req('DELETE', `/volumes/${v.id}`)).status, 202);
    assertFault(await admin.req('PUT', '/os-services/freeze', { body: { host: 'nowhere' } }), 400, 'badRequest');
  });

  it('capabilities of the backend match its pool', async () => {
    const pools = (await admin.req('GET', '/scheduler-stats/get_pools?detail=True')).body.pools;
    const cap = await admin.req('GET', `/capabilities/${encodeURIComponent(pools[0].name)}`);
    assert.equal(cap.status, 200, cap.text);
    for (const k of ['vendor_name', 'volume_backend_name', 'storage_protocol', 'driver_version']) assert.equal(cap.body[k], pools[0].capabilities[k], k);
    assert.match(cap.body.namespace, /^OS::Storage::Capabilities::/);
    assertFault(await admin.req('GET', '/capabilities/elsewhere@x'), 404, 'itemNotFound');
  });

  it('QoS specs: CRUD, keys, associations; front-end specs reach the connection info', async () => {
    const made = await admin.req('POST', '/qos-specs', { body: { qos_specs: { name: 'slow', consumer: 'front-end', read_iops_sec: '200' } } });
    assert.equal(made.status, 200, made.text);
    const q = made.body.qos_specs;
    assert.deepEqual(q.specs, { read_iops_sec: '200' });
    assertFault(await admin.req('POST', '/qos-specs', { body: { qos_specs: { name: 'slow' } } }), 409, 'conflictingRequest');
    assertFault(await admin.req('POST', '/qos-specs', { body: { qos_specs: { name: 'x', consumer: 'sideways' } } }), 400, 'badRequest');
    assertFault(await demo.req('GET', '/qos-specs'), 403, 'forbidden');
    assert.deepEqual((await admin.req('PUT', `/qos-specs/${q.id}`, { body: { qos_specs: { write_iops_sec: '100' } } })).body, { qos_specs: { write_iops_sec: '100' } });
    assert.equal((await admin.req('PUT', `/qos-specs/${q.id}/delete_keys`, { body: { keys: ['write_iops_sec'] } })).status, 202);
    assertFault(await admin.req('PUT', `/qos-specs/${q.id}/delete_keys`, { body: { keys: ['write_iops_sec'] } }), 404, 'itemNotFound');

    const type = (await admin.req('POST', '/types', { body: { volume_type: { name: 'throttled' } } })).body.volume_type;
    assert.equal((await admin.req('GET', `/qos-specs/${q.id}/associate?vol_type_id=${type.id}`)).status, 202);
    assert.deepEqual((await admin.req('GET', `/qos-specs/${q.id}/associations`)).body.qos_associations, [{ association_type: 'volume_type', id: type.id, name: 'throttled' }]);
    assert.equal((await admin.req('GET', `/types/${type.id}`)).body.volume_type.qos_specs_id, q.id);
    const v = await makeVolume(demo, { volume_type: 'throttled' });
    const conn = await act(demo, v.id, 'os-initialize_connection', { connector: { host: 'stratus' } });
    assert.deepEqual(conn.body.connection_info.data.qos_specs, { read_iops_sec: '200' });

    assertFault(await admin.req('DELETE', `/qos-specs/${q.id}?force=False`), 400, 'badRequest');
    assert.equal((await admin.req('GET', `/qos-specs/${q.id}/disassociate_all`)).status, 202);
    assert.deepEqual((await admin.req('GET', `/qos-specs/${q.id}/associations`)).body.qos_associations, []);
    assert.equal((await admin.req('DELETE', `/qos-specs/${q.id}`)).status, 202);
    assertFault(await admin.req('GET', `/qos-specs/${q.id}`), 404, 'itemNotFound');
  });

  it('encryption types: CRUD while unused; no key manager, so no encrypted volumes', async () => {
    const type = (await admin.req('POST', '/types', { body: { volume_type: { name: 'secret' } } })).body.volume_type;
    assert.deepEqual((await admin.req('GET', `/types/${type.id}/encryption`)).body, {});
    const made = await admin.req('POST', `/types/${type.id}/encryption`, { body: { encryption: { provider: 'luks', cipher: 'aes-xts-plain64', key_size: 256, control_location: 'front-end' } } });
    assert.equal(made.status, 200, made.text);
    assert.deepEqual(keys(made.body.encryption), ['cipher', 'control_location', 'encryption_id', 'key_size', 'provider', 'volume_type_id']);
    assertFault(await admin.req('POST', `/types/${type.id}/encryption`, { body: { encryption: { provider: 'luks' } } }), 400, 'badRequest');
    assert.equal((await admin.req('PUT', `/types/${type.id}/encryption/provider`, { body: { encryption: { key_size: 128 } } })).status, 200);
    assert.equal((await admin.req('GET', `/types/${type.id}/encryption`)).body.key_size, 128);
    assert.deepEqual((await admin.req('GET', `/types/${type.id}/encryption/cipher`)).body, { cipher: 'aes-xts-plain64' });
    const refused = await demo.req('POST', '/volumes', { body: { volume: { size: 1, volume_type: 'secret' } } });
    assertFault(refused, 400, 'badRequest');
    assert.match(refused.body.badRequest.message, /key manager/);
    assert.equal((await admin.req('DELETE', `/types/${type.id}/encryption/provider`)).status, 202);
    assert.deepEqual((await admin.req('GET', `/types/${type.id}/encryption`)).body, {});
    await makeVolume(demo, { volume_type: 'secret' });
    assertFault(await admin.req('POST', `/types/${type.id}/encryption`, { body: { encryption: { provider: 'luks' } } }), 400, 'badRequest');
  });
});
