import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertFault, keys, makeVolume, VOLUME_KEYS, volumeUser, waitGone, waitVolume, type VolumeUser } from './volume-helpers.js';

describe('block storage: discovery, volumes, metadata, lists, policy', () => {
  let c: TestCloud;
  let demo: VolumeUser;
  let alt: VolumeUser;
  let admin: VolumeUser;

  before(async () => {
    c = await startTestCloud();
    [demo, alt, admin] = await Promise.all([volumeUser(c, 'demo'), volumeUser(c, 'alt_demo'), volumeUser(c, 'admin')]);
  });
  after(() => c?.close());

  it('serves version documents with the seven keys: 300 at /volume/, 200 at /volume/v3/', async () => {
    for (const path of ['/volume/', '/volume']) {
      const r = await c.req('GET', path);
      assert.equal(r.status, 300);
      assert.equal(r.body.versions.length, 1);
      assert.deepEqual(keys(r.body.versions[0]), ['id', 'links', 'media-types', 'min_version', 'status', 'updated', 'version']);
      assert.equal(r.body.versions[0].id, 'v3.0');
      assert.equal(r.body.versions[0].links.find((l: any) => l.rel === 'self').href, `${c.url}/volume/v3/`);
    }
    for (const path of ['/volume/v3/', '/volume/v3']) {
      const r = await c.req('GET', path);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.versions.map((v: any) => [v.id, v.min_version, v.version]), [['v3.0', '3.0', '3.0']]);
    }
  });

  it('registers volumev3 and block-storage in the catalog at /volume/v3/<project>', async () => {
    const r = await c.req('GET', '/identity/v3/auth/catalog', { token: demo.token });
    for (const [type, name] of [['volumev3', 'cinderv3'], ['block-storage', 'cinder']]) {
      const svc = r.body.catalog.find((s: any) => s.type === type);
      assert.ok(svc, type);
      assert.equal(svc.name, name);
      assert.ok(svc.endpoints.every((e: any) => e.url === `${c.url}/volume/v3/${demo.projectId}`));
    }
  });

  it('negotiates microversions: none/3.0/latest echo 3.0, others 406, junk 400', async () => {
    for (const h of [undefined, 'volume 3.0', 'volume latest', 'compute 2.1, volume 3.0']) {
      const r = await demo.req('GET', '/volumes', { headers: h ? { 'openstack-api-version': h } : {} });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('openstack-api-version'), 'volume 3.0');
      assert.match(r.headers.get('vary') ?? '', /OpenStack-API-Version/i);
    }
    for (const h of ['volume 3.1', 'volume 3.70', 'volume 2.0', 'volume 4.0']) assertFault(await demo.req('GET', '/volumes', { headers: { 'openstack-api-version': h } }), 406, 'notAcceptable');
    for (const h of ['volume 3', 'volume abc', 'volume 3.0.1']) assertFault(await demo.req('GET', '/volumes', { headers: { 'openstack-api-version': h } }), 400, 'badRequest');
  });

  it('creates, shows, updates and deletes a volume with exact key sets', async () => {
    const name = uniqueName('vol');
    const created = await demo.req('POST', '/volumes', {
      body: { volume: { size: 1, name, description: null, metadata: { Type: 'Test' }, volume_type: null, availability_zone: null, imageRef: null, snapshot_id: null, source_volid: null, backup_id: null, consistencygroup_id: null } },
    });
    assert.equal(created.status, 202, created.text);
    assert.deepEqual(keys(created.body.volume), VOLUME_KEYS);
    assert.equal(created.body.volume.status, 'creating');
    const id = created.body.volume.id;
    const v = await waitVolume(demo, id, 'available');
    assert.deepEqual(keys(v), [...VOLUME_KEYS, 'os-vol-tenant-attr:tenant_id'].sort());
    assert.equal(v.bootable, 'false');
    assert.equal(v.volume_type, '__DEFAULT__');
    assert.equal(v.availability_zone, 'nova');
    assert.equal(v['os-vol-tenant-attr:tenant_id'], demo.projectId);
    assert.deepEqual(v.metadata, { Type: 'Test' });
    assert.match(v.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);

    const adminView = await admin.req('GET', `/volumes/${id}`);
    assert.equal(adminView.status, 200);
    assert.equal(adminView.body.volume['os-vol-host-attr:host'], 'stratus@file#file');

    const upd = await demo.req('PUT', `/volumes/${id}`, { body: { volume: { name: `${name}-new`, description: 'new desc' } } });
    assert.equal(upd.status, 200);
    assert.deepEqual(keys(upd.body.volume), VOLUME_KEYS);
    assert.equal(upd.body.volume.name, `${name}-new`);
    assert.equal((await demo.req('GET', `/volumes/${id}`)).body.volume.description, 'new desc');

    const del = await demo.req('DELETE', `/volumes/${id}`);
    assert.equal(del.status, 202);
    await waitGone(demo, `/volumes/${id}`);
    assertFault(await demo.req('DELETE', `/volumes/${id}`), 404, 'itemNotFound');
  });

  it('also serves the API without the project id in the path', async () => {
    const v = await makeVolume(demo, { name: uniqueName('noproj') });
    const r = await c.req('GET', `/volume/v3/volumes/${v.id}`, { token: demo.token });
    assert.equal(r.status, 200);
    assert.equal(r.body.volume.id, v.id);
    assertFault(await c.req('GET', `/volume/v3/${alt.projectId}/volumes`, { token: demo.token }), 400, 'badRequest');
  });

  it('manages metadata: create merges, update replaces, items show/update/delete', async () => {
    const v = await makeVolume(demo);
    const base = `/volumes/${v.id}/metadata`;
    let r = await demo.req('POST', base, { body: { metadata: { key1: 'value1', key2: 'value2', key3: '<value&special_chars>' } } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.metadata, { key1: 'value1', key2: 'value2', key3: '<value&special_chars>' });
    r = await demo.req('PUT', base, { body: { metadata: { key4: 'value4' } } });
    assert.deepEqual(r.body.metadata, { key4: 'value4' });
    assert.deepEqual((await demo.req('GET', base)).body.metadata, { key4: 'value4' });
    r = await demo.req('PUT', `${base}/key5`, { body: { meta: { key5: 'v5' } } });
    assert.deepEqual(r.body, { meta: { key5: 'v5' } });
    assert.deepEqual((await demo.req('GET', `${base}/key5`)).body, { meta: { key5: 'v5' } });
    assertFault(await demo.req('PUT', `${base}/key5`, { body: { meta: { other: 'x' } } }), 400, 'badRequest');
    assertFault(await demo.req('PUT', `${base}/key5`, { body: { meta: { key5: 'x', b: 'y' } } }), 400, 'badRequest');
    assert.equal((await demo.req('DELETE', `${base}/key4`)).status, 200);
    assertFault(await demo.req('GET', `${base}/key4`), 404, 'itemNotFound');
    assertFault(await demo.req('DELETE', `${base}/key4`), 404, 'itemNotFound');
    assert.deepEqual((await demo.req('GET', `/volumes/${v.id}`)).body.volume.metadata, { key5: 'v5' });
  });

  it('lists with filters (name, status, metadata, bootable, availability_zone) and pages with volumes_links', async () => {
    const u = await volumeUser(c, 'admin', 'demo');
    const tag = uniqueName('list');
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await makeVolume(u, { name: `${tag}-${i}`, metadata: { tag, i: String(i) } }));
    const byName = await u.req('GET', `/volumes?name=${tag}-1`);
    assert.deepEqual(byName.body.volumes.map((v: any) => keys(v)), [['id', 'links', 'name']]);
    assert.equal(byName.body.volumes[0].id, made[1].id);
    const md = await u.req('GET', `/volumes/detail?metadata=${encodeURIComponent(`{'tag': '${tag}'}`)}`);
    assert.deepEqual(md.body.volumes.map((v: any) => v.id).sort(), made.map((v) => v.id).sort());
    const mdJson = await u.req('GET', `/volumes/detail?metadata=${encodeURIComponent(JSON.stringify({ tag, i: '2' }))}`);
    assert.deepEqual(mdJson.body.volumes.map((v: any) => v.id), [made[2].id]);
    for (const q of ['status=available', 'bootable=false', 'availability_zone=nova']) {
      const ids = (await u.req('GET', `/volumes/detail?${q}&metadata=${encodeURIComponent(JSON.stringify({ tag }))}`)).body.volumes.map((v: any) => v.id);
      assert.equal(ids.length, 3, q);
    }
    assert.deepEqual((await u.req('GET', '/volumes?status=null')).body.volumes, []);
    assert.deepEqual((await u.req('GET', `/volumes?name=${tag}-none`)).body.volumes, []);

    // Pages of one, following the next links to the end: every id once, a final empty page.
    const seen: string[] = [];
    let url: string | undefined = `${c.url}/volume/v3/${u.projectId}/volumes?limit=1&metadata=${encodeURIComponent(JSON.stringify({ tag }))}`;
    let pages = 0;
    while (url) {
      const r = await c.req('GET', url.slice(c.url.length), { token: u.token });
      assert.equal(r.status, 200, r.text);
      seen.push(...r.body.volumes.map((v: any) => v.id));
      url = r.body.volumes_links?.find((l: any) => l.rel === 'next')?.href;
      if (url) assert.match(url, new RegExp(`/volume/v3/${u.projectId}/volumes\\?limit=1&`));
      pages++;
    }
    assert.equal(pages, 4);
    assert.deepEqual([...seen].sort(), made.map((v) => v.id).sort());

    const asc = await u.req('GET', `/volumes/detail?sort=name:asc&metadata=${encodeURIComponent(JSON.stringify({ tag }))}`);
    assert.deepEqual(asc.body.volumes.map((v: any) => v.name), [`${tag}-0`, `${tag}-1`, `${tag}-2`]);
    const desc = await u.req('GET', `/volumes/detail?sort_key=id&sort_dir=desc&limit=2&status=available`);
    assert.equal(desc.body.volumes.length, 2);
    assert.ok(desc.body.volumes[0].id > desc.body.volumes[1].id);
    assertFault(await u.req('GET', '/volumes?sort=nope:asc'), 400, 'badRequest');
    assertFault(await u.req('GET', '/volumes?sort=name:sideways'), 400, 'badRequest');
    assertFault(await u.req('GET', '/volumes?limit=-1'), 400, 'badRequest');
    // an unknown marker: the first hex digit changed (never to itself)
    const unknownMarker = (made[0].id[0] === '0' ? 'f' : '0') + made[0].id.slice(1);
    assertFault(await u.req('GET', `/volumes?marker=${unknownMarker}`), 404, 'itemNotFound');
  });

  it('scopes volumes to the project: others get 404; admin sees all with all_tenants=1', async () => {
    const v = await makeVolume(demo, { name: uniqueName('mine') });
    assertFault(await alt.req('GET', `/volumes/${v.id}`), 404, 'itemNotFound');
    assertFault(await alt.req('DELETE', `/volumes/${v.id}`), 404, 'itemNotFound');
    assertFault(await alt.req('PUT', `/volumes/${v.id}`, { body: { volume: { name: 'x' } } }), 404, 'itemNotFound');
    assert.ok(!(await alt.req('GET', '/volumes?all_tenants=1')).body.volumes.some((x: any) => x.id === v.id));
    assert.ok(!(await admin.req('GET', '/volumes')).body.volumes.some((x: any) => x.id === v.id));
    assert.ok((await admin.req('GET', '/volumes/detail?all_tenants=1')).body.volumes.some((x: any) => x.id === v.id));
    assert.ok((await admin.req('GET', `/volumes?all_tenants=true&project_id=${demo.projectId}`)).body.volumes.some((x: any) => x.id === v.id));
    assert.equal((await admin.req('GET', `/volumes/${v.id}`)).status, 200);
  });

  it('lets readers read but not write', async () => {
    const reader = await volumeUser(c, 'demo_reader', 'demo');
    const v = await makeVolume(demo, { name: uniqueName('read') });
    assert.equal((await reader.req('GET', `/volumes/${v.id}`)).status, 200);
    assert.equal((await reader.req('GET', '/volumes/detail')).status, 200);
    assertFault(await reader.req('POST', '/volumes', { body: { volume: { size: 1 } } }), 403, 'forbidden');
    assertFault(await reader.req('DELETE', `/volumes/${v.id}`), 403, 'forbidden');
    assertFault(await reader.req('POST', `/volumes/${v.id}/metadata`, { body: { metadata: { a: 'b' } } }), 403, 'forbidden');
    assertFault(await reader.req('POST', `/volumes/${v.id}/action`, { body: { 'os-extend': { new_size: 2 } } }), 403, 'forbidden');
  });

  it('answers 401 without a token and 404 for unknown or non-UUID ids', async () => {
    const r = await c.req('GET', `/volume/v3/${demo.projectId}/volumes`);
    assertFault(r, 401, 'unauthorized');
    assert.match(r.headers.get('www-authenticate') ?? '', /Keystone uri=/);
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', '%20', 'x'.repeat(300)]) {
      assertFault(await demo.req('GET', `/volumes/${id}`), 404, 'itemNotFound');
      assertFault(await demo.req('POST', `/volumes/${id}/action`, { body: { 'os-reserve': {} } }), 404, 'itemNotFound');
    }
    assertFault(await demo.req('GET', '/nothing-here'), 404, 'itemNotFound');
  });

  it('rejects bad sizes and sources: 400 for sizes, 404 for unknown snapshot, volume and type', async () => {
    for (const size of ['#$%', '', '0', '-1', 0, 1.5, null, true, [1]]) {
      assertFault(await demo.req('POST', '/volumes', { body: { volume: { size } } }), 400, 'badRequest');
    }
    assert.equal((await demo.req('POST', '/volumes', { body: { volume: { size: '1' } } })).status, 202);
    const ghost = '11111111-2222-3333-4444-555555555555';
    assertFault(await demo.req('POST', '/volumes', { body: { volume: { size: 1, snapshot_id: ghost } } }), 404, 'itemNotFound');
    assertFault(await demo.req('POST', '/volumes', { body: { volume: { size: 1, source_volid: ghost } } }), 404, 'itemNotFound');
    assertFault(await demo.req('POST', '/volumes', { body: { volume: { size: 1, volume_type: ghost } } }), 404, 'itemNotFound');
    assertFault(await demo.req('POST', '/volumes', { body: { volume: { size: 1, availability_zone: 'elsewhere' } } }), 400, 'badRequest');
  });

  it('fails create-from-image with a clear 400 while no image service is wired', async () => {
    const r = await demo.req('POST', '/volumes', { body: { volume: { size: 1, imageRef: '11111111-2222-3333-4444-555555555555' } } });
    assertFault(r, 400, 'badRequest');
    assert.match(r.body.badRequest.message, /image/i);
  });

  it('lists the availability zone nova, the extensions, and absolute limits with usage', async () => {
    const u = admin;
    const az = await u.req('GET', '/os-availability-zone');
    assert.deepEqual(az.body, { availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true } }] });
    const ext = await u.req('GET', '/extensions');
    assert.ok(ext.body.extensions.some((e: any) => e.alias === 'os-volume-actions'));
    assert.ok(ext.body.extensions.every((e: any) => keys(e).join() === 'alias,description,links,name,updated'));
    const before = (await u.req('GET', '/limits')).body.limits;
    assert.deepEqual(before.rate, []);
    assert.equal(keys(before.absolute).length, 10);
    const v = await makeVolume(u, { size: 2 });
    const now = (await u.req('GET', '/limits')).body.limits.absolute;
    assert.equal(now.totalVolumesUsed, before.absolute.totalVolumesUsed + 1);
    assert.equal(now.totalGigabytesUsed, before.absolute.totalGigabytesUsed + 2);
    assert.equal(now.maxTotalVolumes, 10);
    await u.req('DELETE', `/volumes/${v.id}`);
  });
});
