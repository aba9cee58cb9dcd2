// Who sees and changes which images: visibility (public, private, shared, community), the
// members API between the demo and alt_demo projects, and the admin/member/reader roles.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertGlanceError, bytes, createImage, deleteImages, download, listIds, patch, projectIdOf, show, uploadOk, V2 } from './image-helpers.js';

describe('image API: visibility, members and roles', () => {
  let c: TestCloud;
  let demo: string;
  let alt: string;
  let reader: string;
  let admin: string;
  let altProject: string;
  const made: string[] = [];
  const mk = async (token: string, body: Record<string, unknown> = {}) => {
    const img = await createImage(c, token, { name: uniqueName('share'), ...body });
    made.push(img.id);
    return img;
  };
  const members = (id: string) => `${V2}/images/${id}/members`;

  before(async () => {
    c = await startTestCloud();
    [demo, alt, reader, admin] = await Promise.all([c.token('demo'), c.token('alt_demo'), c.token('demo_reader'), c.token('admin')]);
    altProject = await projectIdOf(c, 'alt_demo');
  });
  after(async () => {
    await deleteImages(c, made);
    await c.close();
  });

  test('private and shared images are invisible to other projects (404), public ones visible', async () => {
    const priv = await mk(demo, { visibility: 'private' });
    const shared = await mk(demo);
    const pub = await mk(admin, { visibility: 'public' });
    for (const id of [priv.id, shared.id]) assertGlanceError(await c.req('GET', `${V2}/images/${id}`, { token: alt }), 404);
    assert.equal((await show(c, alt, pub.id)).visibility, 'public');
    const altList = await listIds(c, alt);
    assert.ok(altList.includes(pub.id));
    assert.ok(!altList.includes(priv.id) && !altList.includes(shared.id));
    assert.ok((await listIds(c, admin)).includes(priv.id), 'admin lists every project');
    assert.ok((await listIds(c, demo)).includes(pub.id));
  });

  test('a public image cannot be changed or deleted by another project (403)', async () => {
    const pub = await mk(admin, { visibility: 'public' });
    assertGlanceError(await patch(c, demo, pub.id, [{ op: 'replace', path: '/name', value: 'x' }]), 403);
    assertGlanceError(await c.req('DELETE', `${V2}/images/${pub.id}`, { token: demo }), 403);
    assertGlanceError(await c.req('PUT', `${V2}/images/${pub.id}/tags/t`, { token: demo }), 403);
  });

  test('community: visible to all, listed by others only with visibility=community', async () => {
    const com = await mk(demo, { visibility: 'community' });
    assert.equal((await show(c, alt, com.id)).id, com.id);
    assert.ok(!(await listIds(c, alt)).includes(com.id));
    assert.ok((await listIds(c, alt, '?visibility=community')).includes(com.id));
    assert.ok((await listIds(c, demo)).includes(com.id), 'the owner lists it');
  });

  test('members: share, list as alt with member_status, accept, then listed by default', async () => {
    const img = await mk(demo);
    await uploadOk(c, demo, img.id, bytes(64));
    const add = await c.req('POST', members(img.id), { token: demo, body: { member: altProject } });
    assert.equal(add.status, 200, add.text);
    assert.deepEqual(Object.keys(add.body).sort(), ['created_at', 'image_id', 'member_id', 'schema', 'status', 'updated_at']);
    assert.equal(add.body.status, 'pending');
    assert.equal(add.body.schema, '/v2/schemas/member');
    assertGlanceError(await c.req('POST', members(img.id), { token: demo, body: { member: altProject } }), 409);

    assert.equal((await show(c, alt, img.id)).id, img.id, 'a pending member can see it');
    assert.ok(!(await listIds(c, alt)).includes(img.id), 'but not in the default list');
    assert.deepEqual(await listIds(c, alt, '?visibility=shared&member_status=pending'), [img.id]);
    assert.ok((await listIds(c, alt, '?member_status=all')).includes(img.id));

    assertGlanceError(await c.req('PUT', `${members(img.id)}/${altProject}`, { token: demo, body: { status: 'accepted' } }), 403, 'owner cannot accept');
    assertGlanceError(await c.req('PUT', `${members(img.id)}/${altProject}`, { token: alt, body: { status: 'maybe' } }), 400);
    const acc = await c.req('PUT', `${members(img.id)}/${altProject}`, { token: alt, body: { status: 'accepted' } });
    assert.equal(acc.status, 200);
    assert.equal(acc.body.status, 'accepted');
    assert.ok((await listIds(c, alt)).includes(img.id), 'accepted: listed by default');
    assert.equal((await download(c, alt, img.id)).status, 200, 'members may download');
    assertGlanceError(await patch(c, alt, img.id, [{ op: 'replace', path: '/name', value: 'x' }]), 403, 'members may not change it');

    const rej = await c.req('PUT', `${members(img.id)}/${altProject}`, { token: alt, body: { status: 'rejected' } });
    assert.equal(rej.body.status, 'rejected');
    assert.ok(!(await listIds(c, alt)).includes(img.id));
    assert.deepEqual(await listIds(c, alt, '?member_status=rejected&visibility=shared'), [img.id]);
  });

  test('member listing and show: owner sees all, member only itself; others 404', async () => {
    const img = await mk(demo);
    const demoProject = await projectIdOf(c, 'demo');
    await c.req('POST', members(img.id), { token: demo, body: { member: altProject } });
    await c.req('POST', members(img.id), { token: demo, body: { member: 'another-project' } });
    const own = await c.req('GET', members(img.id), { token: demo });
    assert.equal(own.status, 200);
    assert.equal(own.body.schema, '/v2/schemas/members');
    assert.equal(own.body.members.length, 2);
    const mine = await c.req('GET', members(img.id), { token: alt });
    assert.deepEqual(mine.body.members.map((m: any) => m.member_id), [altProject]);
    assert.equal((await c.req('GET', `${members(img.id)}/${altProject}`, { token: alt })).status, 200);
    assertGlanceError(await c.req('GET', `${members(img.id)}/another-project`, { token: alt }), 404);
    assertGlanceError(await c.req('GET', `${members(img.id)}/${demoProject}`, { token: demo }), 404);
    assertGlanceError(await c.req('DELETE', `${members(img.id)}/${altProject}`, { token: alt }), 403, 'a member cannot remove itself');
    assert.equal((await c.req('DELETE', `${members(img.id)}/${altProject}`, { token: demo })).status, 204);
    assertGlanceError(await c.req('GET', `${V2}/images/${img.id}`, { token: alt }), 404, 'removed: invisible again');
    assertGlanceError(await c.req('DELETE', `${members(img.id)}/${altProject}`, { token: demo }), 404);
  });

  test('only shared images have members (403); bad member bodies are 400', async () => {
    const priv = await mk(demo, { visibility: 'private' });
    assertGlanceError(await c.req('POST', members(priv.id), { token: demo, body: { member: altProject } }), 403);
    assertGlanceError(await c.req('GET', members(priv.id), { token: demo }), 403);
    const img = await mk(demo);
    for (const body of [{}, { member: '' }, { member: 5 }, [], 'x'])
      assertGlanceError(await c.req('POST', members(img.id), { token: demo, body }), 400, JSON.stringify(body));
    assertGlanceError(await c.req('POST', members(img.id), { token: alt, body: { member: altProject } }), 404, 'unseen image');
  });

  test('changing visibility away from shared hides it from members; back to shared restores', async () => {
    const img = await mk(demo);
    await c.req('POST', members(img.id), { token: demo, body: { member: altProject } });
    await c.req('PUT', `${members(img.id)}/${altProject}`, { token: alt, body: { status: 'accepted' } });
    assert.equal((await patch(c, demo, img.id, [{ op: 'replace', path: '/visibility', value: 'private' }])).status, 200);
    assertGlanceError(await c.req('GET', `${V2}/images/${img.id}`, { token: alt }), 404);
    assert.equal((await patch(c, demo, img.id, [{ op: 'replace', path: '/visibility', value: 'shared' }])).status, 200);
    assert.ok((await listIds(c, alt)).includes(img.id));
  });

  test('reader: may read and download, may not create, change, share or delete', async () => {
    const img = await mk(demo);
    await uploadOk(c, demo, img.id, bytes(32));
    assert.equal((await show(c, reader, img.id)).id, img.id);
    assert.ok((await listIds(c, reader)).includes(img.id));
    assert.equal((await download(c, reader, img.id)).status, 200);
    assertGlanceError(await c.req('POST', `${V2}/images`, { token: reader, body: { name: 'r' } }), 403);
    assertGlanceError(await patch(c, reader, img.id, [{ op: 'replace', path: '/name', value: 'r' }]), 403);
    assertGlanceError(await c.req('DELETE', `${V2}/images/${img.id}`, { token: reader }), 403);
    assertGlanceError(await c.req('POST', members(img.id), { token: reader, body: { member: altProject } }), 403);
    assertGlanceError(await c.req('POST', `${V2}/images/${img.id}/actions/deactivate`, { token: reader }), 403);
  });

  test('admin: changes owner and visibility of any image', async () => {
    const img = await mk(demo);
    const r = await patch(c, admin, img.id, [
      { op: 'replace', path: '/owner', value: altProject },
      { op: 'replace', path: '/visibility', value: 'public' },
    ]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.owner, altProject);
    assert.equal((await patch(c, alt, img.id, [{ op: 'replace', path: '/name', value: 'now-alt' }])).status, 200);
    assertGlanceError(await patch(c, demo, img.id, [{ op: 'replace', path: '/name', value: 'x' }]), 403);
  });
});
