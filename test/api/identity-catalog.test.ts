import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertError, byName, create, issue, passwordAuth, projectId } from './helpers.js';

const V3 = '/identity/v3';

/** Project tags; regions, services and endpoints and how they reach the catalog. */
describe('identity: project tags and the service catalog', () => {
  let c: TestCloud;
  let admin: string;
  let demo: string;

  before(async () => {
    c = await startTestCloud();
    admin = await c.token('admin');
    demo = await c.token('demo');
  });
  after(async () => {
    await c?.close();
  });

  describe('project tags', () => {
    it('set, list, check, add, remove and clear tags', async () => {
      const p = await create(c, admin, '/projects', 'project', { name: uniqueName('tags'), tags: ['initial'] });
      assert.deepEqual(p.tags, ['initial']);
      const base = `${V3}/projects/${p.id}/tags`;
      const put = await c.req('PUT', base, { token: admin, body: { tags: ['red', 'blue', 'red'] } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.body.tags.sort(), ['blue', 'red']);
      assert.deepEqual((await c.req('GET', base, { token: admin })).body.tags.sort(), ['blue', 'red']);
      assert.equal((await c.req('GET', `${base}/red`, { token: admin })).status, 204);
      assert.equal((await c.req('HEAD', `${base}/red`, { token: admin })).status, 204);
      assertError(await c.req('GET', `${base}/green`, { token: admin }), 404);
      const add = await c.req('PUT', `${base}/green`, { token: admin });
      assert.equal(add.status, 201);
      assert.ok(add.headers.get('location')?.endsWith(`/projects/${p.id}/tags/green`));
      assert.equal((await c.req('PUT', `${base}/green`, { token: admin })).status, 201, 'adding twice is fine');
      assert.deepEqual((await c.req('GET', `${V3}/projects/${p.id}`, { token: admin })).body.project.tags.sort(), ['blue', 'green', 'red']);
      assert.equal((await c.req('DELETE', `${base}/red`, { token: admin })).status, 204);
      assertError(await c.req('DELETE', `${base}/red`, { token: admin }), 404);
      assert.deepEqual((await c.req('GET', base, { token: admin })).body.tags.sort(), ['blue', 'green']);
      assert.equal((await c.req('DELETE', base, { token: admin })).status, 204);
      assert.deepEqual((await c.req('GET', base, { token: admin })).body.tags, []);
    });

    it('filters projects by tags, tags-any, not-tags and not-tags-any', async () => {
      const mark = uniqueName('f').replace(/[^a-z0-9]/gi, '');
      const mk = async (tags: string[]) => (await create(c, admin, '/projects', 'project', { name: uniqueName('tf'), tags: [mark, ...tags] })).id;
      const ab = await mk(['a', 'b']);
      const a = await mk(['a']);
      const b = await mk(['b']);
      const none = await mk([]);
      const ids = async (q: string) => {
        const r = await c.req('GET', `${V3}/projects?${q}`, { token: admin });
        assert.equal(r.status, 200, r.text);
        return r.body.projects.filter((p: any) => p.tags.includes(mark)).map((p: any) => p.id).sort();
      };
      const sorted = (...x: string[]) => x.sort();
      assert.deepEqual(await ids(`tags=a,b`), [ab]);
      assert.deepEqual(await ids(`tags-any=a,b`), sorted(ab, a, b));
      assert.deepEqual(await ids(`tags=${mark}&not-tags=a,b`), sorted(a, b, none));
      assert.deepEqual(await ids(`tags=${mark}&not-tags-any=a,b`), [none]);
      assert.deepEqual(await ids(`tags=${mark},a`), sorted(ab, a));
    });

    it('refuses bad tags; a member may read its own project tags but not write them', async () => {
      const p = await create(c, admin, '/projects', 'project', { name: uniqueName('badtags') });
      const base = `${V3}/projects/${p.id}/tags`;
      assertError(await c.req('PUT', base, { token: admin, body: { tags: ['with/slash'] } }), 400);
      assertError(await c.req('PUT', base, { token: admin, body: { tags: ['with,comma'] } }), 400);
      assertError(await c.req('PUT', base, { token: admin, body: { tags: [''] } }), 400);
      assertError(await c.req('PUT', base, { token: admin, body: { tags: ['x'.repeat(256)] } }), 400);
      assertError(await c.req('PUT', base, { token: admin, body: { tags: Array.from({ length: 81 }, (_, i) => `t${i}`) } }), 400);
      assertError(await c.req('PUT', base, { token: admin, body: { tags: 'notalist' } }), 400);
      assertError(await c.req('PUT', `${base}/a%2Cb`, { token: admin }), 400);
      assertError(await c.req('POST', `${V3}/projects`, { token: admin, body: { project: { name: uniqueName('p'), tags: ['a/b'] } } }), 400);
      const demoProj = await projectId(c, admin, 'demo');
      assert.equal((await c.req('GET', `${V3}/projects/${demoProj}/tags`, { token: demo })).status, 200);
      assertError(await c.req('PUT', `${V3}/projects/${demoProj}/tags/x`, { token: demo }), 403);
      assertError(await c.req('PUT', `${V3}/projects/${demoProj}/tags`, { token: demo, body: { tags: ['x'] } }), 403);
      assertError(await c.req('GET', `${base}`, { token: demo }), 403);
    });
  });

  describe('regions', () => {
    it('create (POST and PUT), get, update, parent links, list, delete', async () => {
      const parentId = uniqueName('Region');
      const made = await c.req('POST', `${V3}/regions`, { token: admin, body: { region: { id: parentId, description: 'parent' } } });
      assert.equal(made.status, 201, made.text);
      assert.deepEqual(
        { id: made.body.region.id, description: made.body.region.description, parent: made.body.region.parent_region_id },
        { id: parentId, description: 'parent', parent: null },
      );
      const childId = uniqueName('Child');
      const child = await c.req('PUT', `${V3}/regions/${childId}`, { token: admin, body: { region: { parent_region_id: parentId } } });
      assert.equal(child.status, 201, child.text);
      assert.equal(child.body.region.parent_region_id, parentId);
      const auto = await create(c, admin, '/regions', 'region', { description: 'generated id' });
      assert.match(auto.id, /^[0-9a-f]{32}$/);

      assertError(await c.req('POST', `${V3}/regions`, { token: admin, body: { region: { id: parentId } } }), 409);
      assertError(await c.req('POST', `${V3}/regions`, { token: admin, body: { region: { parent_region_id: 'no-such-region' } } }), 404);

      const patched = await c.req('PATCH', `${V3}/regions/${parentId}`, { token: admin, body: { region: { description: 'changed' } } });
      assert.equal(patched.body.region.description, 'changed');
      assertError(await c.req('PATCH', `${V3}/regions/${parentId}`, { token: admin, body: { region: { parent_region_id: parentId } } }), 400);

      const kids = await c.req('GET', `${V3}/regions?parent_region_id=${parentId}`, { token: demo });
      assert.equal(kids.status, 200, 'any user may list regions');
      assert.deepEqual(kids.body.regions.map((r: any) => r.id), [childId]);
      assert.equal((await c.req('GET', `${V3}/regions/${childId}`, { token: demo })).status, 200);

      assertError(await c.req('DELETE', `${V3}/regions/${parentId}`, { token: admin }), 400);
      assert.equal((await c.req('DELETE', `${V3}/regions/${childId}`, { token: admin })).status, 204);
      assert.equal((await c.req('DELETE', `${V3}/regions/${parentId}`, { token: admin })).status, 204);
      assertError(await c.req('GET', `${V3}/regions/${parentId}`, { token: admin }), 404);
      assertError(await c.req('DELETE', `${V3}/regions/${parentId}`, { token: admin }), 404);
      assertError(await c.req('POST', `${V3}/regions`, { token: demo, body: { region: { id: uniqueName('r') } } }), 403);
    });
  });

  describe('services and endpoints', () => {
    it('CRUD, and an endpoint reaches the catalog with $(project_id)s substituted', async () => {
      const type = uniqueName('svc-type');
      const svc = await create(c, admin, '/services', 'service', { type, name: 'widget', description: 'Widgets' });
      assert.equal(svc.enabled, true);
      assert.equal((await c.req('GET', `${V3}/services/${svc.id}`, { token: admin })).body.service.name, 'widget');
      const listed = await c.req('GET', `${V3}/services?type=${type}`, { token: admin });
      assert.deepEqual(listed.body.services.map((s: any) => s.id), [svc.id]);
      const ps = await c.req('PATCH', `${V3}/services/${svc.id}`, { token: admin, body: { service: { description: 'More widgets' } } });
      assert.equal(ps.body.service.description, 'More widgets');
      assert.equal(ps.body.service.type, type);

      const ep = await create(c, admin, '/endpoints', 'endpoint', {
        service_id: svc.id,
        interface: 'public',
        url: 'http://widgets.example/v1/$(project_id)s',
        region_id: 'RegionOne',
      });
      assert.equal(ep.region_id, 'RegionOne');
      assert.equal(ep.enabled, true);
      const internal = await create(c, admin, '/endpoints', 'endpoint', { service_id: svc.id, interface: 'internal', url: 'http://widgets.internal/v1' });
      assert.equal(internal.region_id, null);
      const eps = await c.req('GET', `${V3}/endpoints?service_id=${svc.id}`, { token: admin });
      assert.deepEqual(eps.body.endpoints.map((e: any) => e.id).sort(), [ep.id, internal.id].sort());
      const pub = await c.req('GET', `${V3}/endpoints?service_id=${svc.id}&interface=public`, { token: admin });
      assert.deepEqual(pub.body.endpoints.map((e: any) => e.id), [ep.id]);

      const demoProj = await projectId(c, admin, 'demo');
      const tok = await issue(c, passwordAuth(byName('demo'), { project: byName('demo') }));
      const entry = tok.body.token.catalog.find((s: any) => s.type === type);
      assert.ok(entry, 'the new service is in the catalog');
      const publicUrl = entry.endpoints.find((e: any) => e.interface === 'public').url;
      assert.equal(publicUrl, `http://widgets.example/v1/${demoProj}`);

      // A region named by an endpoint is created on the fly.
      const regionId = uniqueName('AutoRegion');
      const pe = await c.req('PATCH', `${V3}/endpoints/${ep.id}`, { token: admin, body: { endpoint: { url: 'https://w.example/$(tenant_id)s', region_id: regionId } } });
      assert.equal(pe.status, 200, pe.text);
      assert.equal(pe.body.endpoint.url, 'https://w.example/$(tenant_id)s');
      assert.equal((await c.req('GET', `${V3}/regions/${regionId}`, { token: admin })).status, 200);

      // Disabling the endpoint removes it from the catalog.
      await c.req('PATCH', `${V3}/endpoints/${ep.id}`, { token: admin, body: { endpoint: { enabled: false } } });
      const tok2 = await issue(c, passwordAuth(byName('demo'), { project: byName('demo') }));
      const entry2 = tok2.body.token.catalog.find((s: any) => s.type === type);
      assert.deepEqual(entry2.endpoints.map((e: any) => e.interface), ['internal']);

      // Bad endpoints are refused.
      const bad = async (endpoint: Record<string, unknown>, status: number) =>
        assertError(await c.req('POST', `${V3}/endpoints`, { token: admin, body: { endpoint } }), status, JSON.stringify(endpoint));
      await bad({ service_id: svc.id, interface: 'sideways', url: 'http://x' }, 400);
      await bad({ service_id: svc.id, interface: 'public', url: 'not a url' }, 400);
      await bad({ service_id: svc.id, interface: 'public' }, 400);
      await bad({ service_id: 'ffffffffffffffffffffffffffffffff', interface: 'public', url: 'http://x' }, 404);

      assert.equal((await c.req('DELETE', `${V3}/endpoints/${internal.id}`, { token: admin })).status, 204);
      assertError(await c.req('GET', `${V3}/endpoints/${internal.id}`, { token: admin }), 404);
      // Deleting the service deletes its endpoints.
      assert.equal((await c.req('DELETE', `${V3}/services/${svc.id}`, { token: admin })).status, 204);
      assertError(await c.req('GET', `${V3}/services/${svc.id}`, { token: admin }), 404);
      assertError(await c.req('GET', `${V3}/endpoints/${ep.id}`, { token: admin }), 404);
      const tok3 = await issue(c, passwordAuth(byName('demo'), { project: byName('demo') }));
      assert.ok(!tok3.body.token.catalog.some((s: any) => s.type === type));
    });

    it('only an admin manages or lists services and endpoints', async () => {
      assertError(await c.req('GET', `${V3}/services`, { token: demo }), 403);
      assertError(await c.req('GET', `${V3}/endpoints`, { token: demo }), 403);
      assertError(await c.req('POST', `${V3}/services`, { token: demo, body: { service: { type: 'x' } } }), 403);
      const svcs = await c.req('GET', `${V3}/services`, { token: admin });
      const identity = svcs.body.services.find((s: any) => s.type === 'identity');
      assert.ok(identity);
      assertError(await c.req('DELETE', `${V3}/services/${identity.id}`, { token: demo }), 403);
      assertError(await c.req('POST', `${V3}/services`, { token: admin, body: { service: { name: 'no type' } } }), 400);
    });
  });
});
