// Glance v2 images over real HTTP: discovery, create/show/list, JSON-patch updates, tags,
// protection, deletion, schemas and info documents.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertGlanceError, createImage, deleteImages, listIds, patch, PATCH_20, show, V2 } from './image-helpers.js';

describe('image API: images', () => {
  let c: TestCloud;
  let demo: string;
  const made: string[] = [];
  const mk = async (body: Record<string, unknown> = {}) => {
    const img = await createImage(c, demo, { name: uniqueName('img'), ...body });
    made.push(img.id);
    return img;
  };

  before(async () => {
    c = await startTestCloud();
    demo = await c.token('demo');
  });
  after(async () => {
    await deleteImages(c, made);
    await c.close();
  });

  test('discovery: 300 at /image and /image/, absolute self links to /image/v2/', async () => {
    for (const path of ['/image', '/image/']) {
      const r = await c.req('GET', path);
      assert.equal(r.status, 300);
      assert.ok(r.body.versions.length >= 2);
      const current = r.body.versions.filter((v: any) => v.status === 'CURRENT');
      assert.equal(current.length, 1);
      for (const v of r.body.versions) {
        assert.match(v.id, /^v2\.\d+$/);
        assert.equal(v.links[0].href, `${c.url}/image/v2/`);
      }
    }
    assert.equal((await c.req('GET', '/image/versions')).status, 200);
    assert.equal((await c.req('GET', '/image/v2')).status, 300);
  });

  test('catalog lists image → /image', async () => {
    const r = await c.req('POST', '/identity/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'secret' } } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } } },
    });
    const svc = r.body.token.catalog.find((s: any) => s.type === 'image');
    assert.equal(svc.name, 'glance');
    assert.ok(svc.endpoints.every((e: any) => e.url === `${c.url}/image`));
  });

  test('unauthenticated requests get 401', async () => {
    assertGlanceError(await c.req('GET', `${V2}/images`), 401);
  });

  test('create: 201, bare body, defaults, extra properties round-trip', async () => {
    const img = await mk({ foo: 'bar', 'owner_specified.openstack.md5': '', ramdisk_id: '00000000-1111-2222-3333-444455556666', tags: ['a', 'b', 'a'] });
    assert.equal(img.status, 'queued');
    assert.equal(img.visibility, 'shared');
    assert.equal(img.protected, false);
    assert.equal(img.os_hidden, false);
    assert.equal(img.size, null);
    assert.equal(img.checksum, null);
    assert.equal(img.min_disk, 0);
    assert.deepEqual(img.tags, ['a', 'b']);
    assert.equal(img.foo, 'bar');
    assert.equal(img['owner_specified.openstack.md5'], '');
    assert.equal(img.self, `/v2/images/${img.id}`);
    assert.equal(img.file, `/v2/images/${img.id}/file`);
    assert.equal(img.schema, '/v2/schemas/image');
    const again = await show(c, demo, img.id);
    assert.equal(again.foo, 'bar');
    assert.equal(again.ramdisk_id, '00000000-1111-2222-3333-444455556666');
  });

  test('create with a chosen id; the same id again is 409', async () => {
    const id = '6b5e6a2e-1f0d-4c43-9a3a-2b4c5d6e7f80';
    const img = await mk({ id });
    assert.equal(img.id, id);
    assertGlanceError(await c.req('POST', `${V2}/images`, { token: demo, body: { id } }), 409);
  });

  test('create refuses read-only and reserved attributes (403) and bad types (400)', async () => {
    const post = (body: unknown) => c.req('POST', `${V2}/images`, { token: demo, body });
    for (const k of ['status', 'checksum', 'size', 'self', 'file', 'schema', 'location', 'deleted', 'os_glance_foo', 'created_at'])
      assertGlanceError(await post({ [k]: 'x' }), 403, k);
    for (const body of [{ name: 5 }, { min_ram: 'a' }, { min_disk: -1 }, { protected: 'yes' }, { visibility: 'world' }, { container_format: 'wrong' }, { disk_format: 'wrong' }, { foo: 5 }, { tags: 'a' }, { tags: [1] }, { kernel_id: 'nope' }, { [`k${'x'.repeat(300)}`]: 'v' }, [1], 'x'])
      assertGlanceError(await post(body), 400, JSON.stringify(body).slice(0, 40));
    assertGlanceError(await c.req('POST', `${V2}/images`, { token: demo, raw: '{bad', headers: { 'content-type': 'application/json' } }), 400);
    assertGlanceError(await c.req('POST', `${V2}/images`, { token: demo, raw: '<x/>', headers: { 'content-type': 'application/xml' } }), 415);
  });

  test('non-admins may not publicize or create for another owner', async () => {
    assertGlanceError(await c.req('POST', `${V2}/images`, { token: demo, body: { visibility: 'public' } }), 403);
    assertGlanceError(await c.req('POST', `${V2}/images`, { token: demo, body: { owner: 'someone-else' } }), 403);
    const admin = await c.token('admin');
    const r = await c.req('POST', `${V2}/images`, { token: admin, body: { name: uniqueName('pub'), visibility: 'public' } });
    assert.equal(r.status, 201);
    made.push(r.body.id);
  });

  test('names and malformed ids are 404, not 400 or 500', async () => {
    for (const p of ['cirros', 'not-a-uuid', '00000000-0000-0000-0000-000000000000', '%20', 'a'.repeat(500)])
      assertGlanceError(await c.req('GET', `${V2}/images/${p}`, { token: demo }), 404, p);
    assertGlanceError(await c.req('GET', `${V2}/images/`, { token: demo }), 404);
    assertGlanceError(await c.req('DELETE', `${V2}/images/`, { token: demo }), 404);
    assertGlanceError(await c.req('GET', `${V2}/nothing`, { token: demo }), 404);
  });

  test('PATCH (v2.1): replace, add and remove, custom properties included', async () => {
    const img = await mk({ keep: 'k' });
    const r = await patch(c, demo, img.id, [
      { op: 'replace', path: '/name', value: 'renamed' },
      { op: 'add', path: '/color', value: 'blue' },
      { op: 'replace', path: '/keep', value: 'kept' },
      { op: 'replace', path: '/min_ram', value: 512 },
      { op: 'replace', path: '/tags', value: ['x', 'y'] },
      { op: 'add', path: '/a~1b', value: 'slash' },
    ]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'renamed');
    assert.equal(r.body.color, 'blue');
    assert.equal(r.body.keep, 'kept');
    assert.equal(r.body.min_ram, 512);
    assert.equal(r.body['a/b'], 'slash');
    assert.deepEqual(r.body.tags, ['x', 'y']);
    const rm = await patch(c, demo, img.id, [{ op: 'remove', path: '/color' }]);
    assert.equal(rm.status, 200);
    assert.equal('color' in rm.body, false);
    assert.equal((await show(c, demo, img.id)).name, 'renamed');
  });

  test('PATCH (v2.0 draft 4, as tempest sends it)', async () => {
    const img = await mk();
    const r = await patch(c, demo, img.id, [{ replace: '/name', value: 'd4' }, { add: '/extra', value: '1' }], PATCH_20);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'd4');
    assertGlanceError(await patch(c, demo, img.id, [{ add: '/extra', value: '2' }], PATCH_20), 409);
  });

  test('PATCH errors: media type 415, read-only 403, missing property 409, bad pointer 400', async () => {
    const img = await mk();
    const r = await c.req('PATCH', `${V2}/images/${img.id}`, { token: demo, body: [] });
    assertGlanceError(r, 415);
    assert.match(r.headers.get('accept-patch') ?? '', /openstack-images-v2\.1-json-patch/);
    for (const path of ['/status', '/id', '/checksum', '/size', '/os_glance_x', '/deleted', '/locations'])
      assertGlanceError(await patch(c, demo, img.id, [{ op: 'replace', path, value: 'x' }]), 403, path);
    assertGlanceError(await patch(c, demo, img.id, [{ op: 'replace', path: '/nope', value: 'x' }]), 409);
    assertGlanceError(await patch(c, demo, img.id, [{ op: 'remove', path: '/nope' }]), 409);
    assertGlanceError(await patch(c, demo, img.id, [{ op: 'remove', path: '/name' }]), 403);
    for (const ops of [{}, [1], [{ op: 'move', path: '/name' }], [{ op: 'add', path: 'name', value: 'x' }], [{ op: 'add', path: '/a/b', value: 'x' }], [{ op: 'add', path: '/name' }], [{ op: 'add', path: '/min_ram', value: 'x' }], [{ op: 'add', path: '/x~2', value: 'x' }]])
      assertGlanceError(await patch(c, demo, img.id, ops), 400, JSON.stringify(ops));
    assertGlanceError(await patch(c, demo, img.id, [{ op: 'replace', path: '/visibility', value: 'public' }]), 403);
    assertGlanceError(await patch(c, demo, img.id, [{ op: 'replace', path: '/owner', value: 'other' }]), 403);
  });

  test('tags: PUT adds (idempotent), DELETE removes, missing tag 404', async () => {
    const img = await mk();
    for (let i = 0; i < 2; i++) assert.equal((await c.req('PUT', `${V2}/images/${img.id}/tags/t1`, { token: demo })).status, 204);
    assert.deepEqual((await show(c, demo, img.id)).tags, ['t1']);
    assert.equal((await c.req('DELETE', `${V2}/images/${img.id}/tags/t1`, { token: demo })).status, 204);
    assertGlanceError(await c.req('DELETE', `${V2}/images/${img.id}/tags/t1`, { token: demo }), 404);
    assertGlanceError(await c.req('PUT', `${V2}/images/${img.id}/tags/${'x'.repeat(256)}`, { token: demo }), 400);
  });

  test('protected images cannot be deleted (403); delete is 204 then 404', async () => {
    const img = await mk({ protected: true });
    assertGlanceError(await c.req('DELETE', `${V2}/images/${img.id}`, { token: demo }), 403);
    assert.equal((await patch(c, demo, img.id, [{ op: 'replace', path: '/protected', value: false }])).status, 200);
    assert.equal((await c.req('DELETE', `${V2}/images/${img.id}`, { token: demo })).status, 204);
    assertGlanceError(await c.req('GET', `${V2}/images/${img.id}`, { token: demo }), 404);
    assertGlanceError(await c.req('DELETE', `${V2}/images/${img.id}`, { token: demo }), 404);
  });

  test('deactivate and reactivate: 204; only active images', async () => {
    const img = await mk();
    assertGlanceError(await c.req('POST', `${V2}/images/${img.id}/actions/deactivate`, { token: demo }), 403);
    assertGlanceError(await c.req('POST', `${V2}/images/${img.id}/actions/reactivate`, { token: demo }), 403);
  });

  test('wrong methods are 405 with Allow', async () => {
    const img = await mk();
    const r = await c.req('POST', `${V2}/images/${img.id}`, { token: demo, body: {} });
    assertGlanceError(r, 405);
    assert.equal(r.headers.get('allow'), 'GET, PATCH, DELETE');
  });

  test('schemas and info documents', async () => {
    const s = await c.req('GET', `${V2}/schemas/image`, { token: demo });
    assert.equal(s.status, 200);
    assert.equal(s.body.name, 'image');
    assert.deepEqual(s.body.additionalProperties, { type: 'string' });
    assert.ok(s.body.properties.os_hash_value && s.body.properties.kernel_id);
    assert.equal((await c.req('GET', `${V2}/schemas/images`, { token: demo })).body.name, 'images');
    assert.equal((await c.req('GET', `${V2}/schemas/member`, { token: demo })).body.name, 'member');
    assert.equal((await c.req('GET', `${V2}/schemas/members`, { token: demo })).body.name, 'members');
    const imp = await c.req('GET', `${V2}/info/import`, { token: demo });
    assert.deepEqual(imp.body['import-methods'].value, ['glance-direct']);
    const stores = await c.req('GET', `${V2}/info/stores`, { token: demo });
    assert.equal(stores.body.stores[0].default, 'true');
  });
});

describe('image API: listing', () => {
  let c: TestCloud;
  let demo: string;
  const tag = uniqueName('tag');
  const ids: string[] = [];

  before(async () => {
    c = await startTestCloud();
    demo = await c.token('demo');
    const specs = [
      { disk_format: 'raw', container_format: 'bare', color: 'red' },
      { disk_format: 'qcow2', container_format: 'bare', color: 'blue' },
      { disk_format: 'vmdk', container_format: 'ovf', color: 'red', protected: true },
      { disk_format: 'iso', container_format: 'bare', os_hidden: true },
      { disk_format: 'raw', container_format: 'ami', visibility: 'private' },
    ];
    for (const [i, s] of specs.entries()) {
      const img = await createImage(c, demo, { name: `list-${i}`, tags: [tag], ...s });
      ids.push(img.id);
    }
  });
  after(async () => {
    await deleteImages(c, ids);
    await c.close();
  });

  const q = (s: string) => `?tag=${tag}&${s}`;

  test('filters: name, disk/container format, visibility, protected, os_hidden, property, in:', async () => {
    assert.deepEqual(await listIds(c, demo, q('name=list-1')), [ids[1]]);
    assert.deepEqual((await listIds(c, demo, q('disk_format=raw'))).sort(), [ids[0], ids[4]].sort());
    assert.deepEqual(await listIds(c, demo, q('container_format=ovf')), [ids[2]]);
    assert.deepEqual(await listIds(c, demo, q('visibility=private')), [ids[4]]);
    assert.deepEqual(await listIds(c, demo, q('protected=true')), [ids[2]]);
    assert.deepEqual(await listIds(c, demo, q('os_hidden=true')), [ids[3]]);
    assert.equal((await listIds(c, demo, q(''))).includes(ids[3]!), false, 'hidden images are not listed by default');
    assert.deepEqual((await listIds(c, demo, q('color=red'))).sort(), [ids[0], ids[2]].sort());
    assert.deepEqual((await listIds(c, demo, q('name=in:list-0,"list-1"'))).sort(), [ids[0], ids[1]].sort());
    assert.deepEqual(await listIds(c, demo, q('status=active')), []);
    assert.equal((await listIds(c, demo, q(`owner=${(await show(c, demo, ids[0]!)).owner}`))).length, 4);
    assert.deepEqual(await listIds(c, demo, `?tag=${tag}&tag=nope`), []);
  });

  test('sort_key/sort_dir and sort=', async () => {
    const asc = await listIds(c, demo, q('sort_key=name&sort_dir=asc'));
    assert.deepEqual(asc, [ids[0], ids[1], ids[2], ids[4]]);
    assert.deepEqual(await listIds(c, demo, q('sort=name:desc')), [...asc].reverse());
    assert.deepEqual(await listIds(c, demo, q('sort=disk_format:asc,name:asc')), [ids[1], ids[0], ids[4], ids[2]]);
  });

  test('limit, marker and the next link walk every image once', async () => {
    const seen: string[] = [];
    let path: string | undefined = `${V2}/images?tag=${tag}&limit=2&sort_key=name&sort_dir=asc`;
    while (path) {
      const r = await c.req('GET', path, { token: demo });
      assert.equal(r.status, 200);
      assert.equal(r.body.schema, '/v2/schemas/images');
      assert.ok(r.body.first.startsWith('/v2/images?'));
      seen.push(...r.body.images.map((i: any) => i.id));
      path = r.body.next ? `/image${r.body.next}` : undefined;
    }
    assert.deepEqual(seen, [ids[0], ids[1], ids[2], ids[4]]);
  });

  test('bad list parameters are 400', async () => {
    for (const s of ['limit=x', 'limit=-1', 'sort_key=bogus', 'sort_dir=up', 'sort=name&sort_key=name', 'visibility=x', 'member_status=x', 'protected=maybe', 'os_hidden=2', 'size_min=x', 'changes-since=2020-01-01', 'marker=nope', 'created_at=gt:yesterday', 'name=gt:x', 'sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc&sort_dir=asc'])
      assertGlanceError(await c.req('GET', `${V2}/images?${s}`, { token: demo }), 400, s);
  });
});
