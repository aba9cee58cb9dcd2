import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertFault, keys, makeSnapshot, makeVolume, SNAPSHOT_KEYS, volumeUser, waitGone, waitVolume, type VolumeUser } from './volume-helpers.js';

const DETAIL_KEYS = [...SNAPSHOT_KEYS, 'os-extended-snapshot-attributes:progress', 'os-extended-snapshot-attributes:project_id'].sort();

describe('block storage: snapshots, clones, types and quotas', () => {
  let c: TestCloud;
  let demo: VolumeUser;
  let alt: VolumeUser;
  let admin: VolumeUser;

  before(async () => {
    c = await startTestCloud();
    [demo, alt, admin] = await Promise.all([volumeUser(c, 'demo'), volumeUser(c, 'alt_demo'), volumeUser(c, 'admin')]);
  });
  after(() => c?.close());

  it('creates, shows, lists, updates and deletes a snapshot with exact key sets', async () => {
    const v = await makeVolume(demo, { size: 2 });
    const name = uniqueName('snap');
    const r = await demo.req('POST', '/snapshots', { body: { snapshot: { volume_id: v.id, name, metadata: { 'snap-meta1': 'value1' }, force: false } } });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(keys(r.body.snapshot), SNAPSHOT_KEYS);
    const s = await makeSnapshot(demo, v.id, { name: `${name}-2` });
    assert.deepEqual(keys(s), DETAIL_KEYS);
    assert.equal(s.size, 2);
    assert.equal(s['os-extended-snapshot-attributes:progress'], '100%');
    assert.equal(s['os-extended-snapshot-attributes:project_id'], demo.projectId);

    const list = await demo.req('GET', '/snapshots');
    assert.ok(list.body.snapshots.every((x: any) => keys(x).join() === SNAPSHOT_KEYS.join()));
    assert.ok(list.body.snapshots.some((x: any) => x.id === s.id));
    const detail = await demo.req('GET', `/snapshots/detail?volume_id=${v.id}&sort=name:asc`);
    assert.deepEqual(detail.body.snapshots.map((x: any) => x.name), [name, `${name}-2`]);
    const paged = await demo.req('GET', `/snapshots/detail?volume_id=${v.id}&limit=1`);
    assert.equal(paged.body.snapshots.length, 1);
    assert.equal(paged.body.snapshots_links[0].rel, 'next');

    const upd = await demo.req('PUT', `/snapshots/${s.id}`, { body: { snapshot: { name: `${name}-new`, description: 'd' } } });
    assert.equal(upd.status, 200);
    assert.deepEqual(keys(upd.body.snapshot), SNAPSHOT_KEYS);
    assert.equal(upd.body.snapshot.description, 'd');

    const md = await demo.req('POST', `/snapshots/${s.id}/metadata`, { body: { metadata: { a: '1' } } });
    assert.deepEqual(md.body.metadata, { a: '1' });
    assert.deepEqual((await demo.req('GET', `/snapshots/${s.id}/metadata/a`)).body, { meta: { a: '1' } });
    assert.equal((await demo.req('DELETE', `/snapshots/${s.id}/metadata/a`)).status, 200);

    assertFault(await alt.req('GET', `/snapshots/${s.id}`), 404, 'itemNotFound');
    assertFault(await demo.req('DELETE', `/volumes/${v.id}`), 400, 'badRequest');
    assert.equal((await demo.req('DELETE', `/snapshots/${s.id}`)).status, 202);
    await waitGone(demo, `/snapshots/${s.id}`);
    assert.equal((await demo.req('DELETE', `/volumes/${v.id}?cascade=true`)).status, 202);
    await waitGone(demo, `/volumes/${v.id}`);
    await waitGone(demo, `/snapshots/${r.body.snapshot.id}`);
  });

  it('creates volumes from a snapshot and from a volume (clone), at least as large', async () => {
    const src = await makeVolume(demo, { size: 1, metadata: { origin: 'yes' } });
    await demo.req('POST', `/volumes/${src.id}/action`, { body: { 'os-set_bootable': { bootable: true } } });
    const snap = await makeSnapshot(demo, src.id);
    const fromSnap = await makeVolume(demo, { snapshot_id: snap.id, size: 2 });
    assert.equal(fromSnap.snapshot_id, snap.id);
    assert.equal(fromSnap.size, 2);
    assert.equal(fromSnap.bootable, 'true');
    const sized = await demo.req('POST', '/volumes', { body: { volume: { snapshot_id: snap.id } } });
    assert.equal(sized.status, 202);
    assert.equal(sized.body.volume.size, 1);
    const clone = await makeVolume(demo, { source_volid: src.id, size: null });
    assert.equal(clone.source_volid, src.id);
    assert.equal(clone.size, 1);
    assertFault(await demo.req('POST', '/volumes', { body: { volume: { source_volid: fromSnap.id, size: 1 } } }), 400, 'badRequest');
    assertFault(await demo.req('POST', '/volumes', { body: { volume: { source_volid: src.id, snapshot_id: snap.id, size: 1 } } }), 400, 'badRequest');
    assertFault(await alt.req('POST', '/volumes', { body: { volume: { source_volid: src.id, size: 1 } } }), 404, 'itemNotFound');
    await waitVolume(demo, sized.body.volume.id, 'available');
  });

  it('has __DEFAULT__ and lets admins manage types and extra specs', async () => {
    const list = await demo.req('GET', '/types');
    assert.ok(list.body.volume_types.some((t: any) => t.name === '__DEFAULT__'));
    const def = await demo.req('GET', '/types/default');
    assert.equal(def.body.volume_type.name, '__DEFAULT__');
    assert.deepEqual(keys(def.body.volume_type), ['description', 'extra_specs', 'id', 'is_public', 'name', 'os-volume-type-access:is_public', 'qos_specs_id']);

    const name = uniqueName('type');
    assertFault(await demo.req('POST', '/types', { body: { volume_type: { name } } }), 403, 'forbidden');
    const created = await admin.req('POST', '/types', { body: { volume_type: { name, description: 'fast', extra_specs: { volume_backend_name: 'file' } } } });
    assert.equal(created.status, 200, created.text);
    assert.deepEqual(keys(created.body.volume_type), ['description', 'extra_specs', 'id', 'is_public', 'name', 'os-volume-type-access:is_public']);
    const id = created.body.volume_type.id;
    assertFault(await admin.req('POST', '/types', { body: { volume_type: { name } } }), 409, 'conflictingRequest');
    const upd = await admin.req('PUT', `/types/${id}`, { body: { volume_type: { description: 'faster' } } });
    assert.deepEqual(keys(upd.body.volume_type), ['description', 'extra_specs', 'id', 'is_public', 'name']);
    assertFault(await admin.req('PUT', `/types/${id}`, { body: { volume_type: {} } }), 400, 'badRequest');

    assert.deepEqual((await admin.req('POST', `/types/${id}/extra_specs`, { body: { extra_specs: { k: 'v' } } })).body, { extra_specs: { k: 'v' } });
    assert.deepEqual((await admin.req('GET', `/types/${id}/extra_specs`)).body.extra_specs, { volume_backend_name: 'file', k: 'v' });
    assert.deepEqual((await demo.req('GET', `/types/${id}/extra_specs`)).body.extra_specs, {}, 'backend details are hidden from members');
    assert.deepEqual((await admin.req('PUT', `/types/${id}/extra_specs/k`, { body: { k: 'w' } })).body, { k: 'w' });
    assert.deepEqual((await admin.req('GET', `/types/${id}/extra_specs/k`)).body, { k: 'w' });
    assertFault(await admin.req('PUT', `/types/${id}/extra_specs/k`, { body: { j: 'w' } }), 400, 'badRequest');
    assert.equal((await admin.req('DELETE', `/types/${id}/extra_specs/k`)).status, 202);
    assertFault(await admin.req('GET', `/types/${id}/extra_specs/k`), 404, 'itemNotFound');

    const v = await makeVolume(demo, { volume_type: name });
    assert.equal(v.volume_type, name);
    assert.ok((await demo.req('GET', '/volumes/detail')).body.volumes.some((x: any) => x.id === v.id && x.volume_type === name));
    assertFault(await admin.req('DELETE', `/types/${id}`), 400, 'badRequest');
    await demo.req('DELETE', `/volumes/${v.id}`);
    await waitGone(demo, `/volumes/${v.id}`);
    assert.equal((await admin.req('DELETE', `/types/${id}`)).status, 202);
    assertFault(await admin.req('GET', `/types/${id}`), 404, 'itemNotFound');
    assertFault(await admin.req('DELETE', `/types/${def.body.volume_type.id}`), 400, 'badRequest');
  });

  it('keeps private types to admins and the projects given access', async () => {
    const name = uniqueName('private');
    const t = (await admin.req('POST', '/types', { body: { volume_type: { name, 'os-volume-type-access:is_public': false } } })).body.volume_type;
    assertFault(await demo.req('GET', `/types/${t.id}`), 404, 'itemNotFound');
    assertFault(await demo.req('POST', '/volumes', { body: { volume: { size: 1, volume_type: name } } }), 404, 'itemNotFound');
    assert.equal((await admin.req('POST', `/types/${t.id}/action`, { body: { addProjectAccess: { project: demo.projectId } } })).status, 202);
    assert.deepEqual((await admin.req('GET', `/types/${t.id}/os-volume-type-access`)).body, { volume_type_access: [{ volume_type_id: t.id, project_id: demo.projectId }] });
    assert.equal((await demo.req('GET', `/types/${t.id}`)).status, 200);
    assertFault(await alt.req('GET', `/types/${t.id}`), 404, 'itemNotFound');
    assert.equal((await admin.req('POST', `/types/${t.id}/action`, { body: { removeProjectAccess: { project: demo.projectId } } })).status, 202);
    assertFault(await demo.req('GET', `/types/${t.id}`), 404, 'itemNotFound');
  });

  it('shows quota sets with usage, lets admins change them, and enforces them with 413', async () => {
    const u = await volumeUser(c, 'admin', 'admin');
    const pid = alt.projectId;
    const show = await alt.req('GET', `/os-quota-sets/${pid}`);
    assert.equal(show.status, 200);
    // Besides the project-wide keys, Cinder shows volumes_/gigabytes_/snapshots_<type> for every type.
    const perType = /^(volumes|gigabytes|snapshots)_./;
    assert.deepEqual(keys(show.body.quota_set).filter((k) => !perType.test(k)), ['backup_gigabytes', 'backups', 'gigabytes', 'groups', 'id', 'per_volume_gigabytes', 'snapshots', 'volumes']);
    assert.equal(show.body.quota_set.volumes___DEFAULT__, -1);
    assertFault(await alt.req('GET', `/os-quota-sets/${demo.projectId}`), 403, 'forbidden');
    assertFault(await alt.req('PUT', `/os-quota-sets/${pid}`, { body: { quota_set: { volumes: 1 } } }), 403, 'forbidden');
    const defaults = await alt.req('GET', `/os-quota-sets/${pid}/defaults`);
    assert.equal(defaults.body.quota_set.volumes, 10);

    const upd = await u.req('PUT', `/os-quota-sets/${pid}`, { body: { quota_set: { volumes: 2, gigabytes: 3, snapshots: '1' } } });
    assert.equal(upd.status, 200, upd.text);
    assert.equal(upd.body.quota_set.id, undefined);
    assert.equal(upd.body.quota_set.volumes, 2);
    assertFault(await u.req('PUT', `/os-quota-sets/${pid}`, { body: { quota_set: { nonsense: 1 } } }), 400, 'badRequest');
    assertFault(await u.req('PUT', `/os-quota-sets/${pid}`, { body: { quota_set: { volumes: -2 } } }), 400, 'badRequest');

    const a = await makeVolume(alt, { size: 2 });
    assertFault(await alt.req('POST', '/volumes', { body: { volume: { size: 2 } } }), 413, 'overLimit');
    const b = await makeVolume(alt, { size: 1 });
    assertFault(await alt.req('POST', '/volumes', { body: { volume: { size: 1 } } }), 413, 'overLimit');
    assertFault(await alt.req('POST', `/volumes/${b.id}/action`, { body: { 'os-extend': { new_size: 2 } } }), 413, 'overLimit');
    const usage = await alt.req('GET', `/os-quota-sets/${pid}?usage=True`);
    assert.deepEqual(usage.body.quota_set.volumes, { limit: 2, in_use: 2, reserved: 0 });
    assert.deepEqual(usage.body.quota_set.gigabytes, { limit: 3, in_use: 3, reserved: 0 });
    const limits = (await alt.req('GET', '/limits')).body.limits.absolute;
    assert.equal(limits.maxTotalVolumes, 2);
    assert.equal(limits.totalGigabytesUsed, 3);

    await u.req('PUT', `/os-quota-sets/${pid}`, { body: { quota_set: { gigabytes: 10, per_volume_gigabytes: 1, snapshots: 0 } } });
    assertFault(await alt.req('POST', '/snapshots', { body: { snapshot: { volume_id: a.id } } }), 413, 'overLimit');
    const perVolume = await alt.req('POST', '/volumes', { body: { volume: { size: 2 } } });
    assertFault(perVolume, 413, 'overLimit');
    assert.match(perVolume.body.overLimit.message, /VolumeSizeExceedsLimit/);
    assert.equal((await u.req('DELETE', `/os-quota-sets/${pid}`)).status, 200);
    assert.equal((await alt.req('GET', `/os-quota-sets/${pid}`)).body.quota_set.volumes, 10);
    for (const v of [a, b]) await alt.req('DELETE', `/volumes/${v.id}`);
  });
});
