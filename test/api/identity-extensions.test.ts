import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authorizationHeader } from '../../src/services/identity/logic/oauth1-sign.js';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertError, create, projectId } from './helpers.js';

const V3 = '/identity/v3';

/** Domain configuration, OS-EP-FILTER, policies with OS-ENDPOINT-POLICY, is_domain projects, OS-OAUTH1. */
describe('identity: Keystone extensions', () => {
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

  const mkDomain = async () => create(c, admin, '/domains', 'domain', { name: uniqueName('dom') });

  describe('domain configuration', () => {
    it('creates, reads, updates and deletes a config at every level; secrets are never read back', async () => {
      const d = await mkDomain();
      const base = `${V3}/domains/${d.id}/config`;
      assertError(await c.req('GET', base, { token: admin }), 404, 'no config yet');
      const config = { identity: { driver: 'ldap' }, ldap: { url: 'ldap://one/', user_tree_dn: 'ou=Users', password: 's3cret' } };
      const put = await c.req('PUT', base, { token: admin, body: { config } });
      assert.equal(put.status, 201, put.text);
      assert.deepEqual(put.body.config, { identity: { driver: 'ldap' }, ldap: { url: 'ldap://one/', user_tree_dn: 'ou=Users' } });
      assert.equal((await c.req('PUT', base, { token: admin, body: { config } })).status, 200, 'replacing is a 200');
      assert.deepEqual((await c.req('GET', `${base}/ldap/url`, { token: admin })).body, { config: { url: 'ldap://one/' } });
      assertError(await c.req('GET', `${base}/ldap/password`, { token: admin }), 404, 'sensitive option');

      const opt = await c.req('PATCH', `${base}/identity/driver`, { token: admin, body: { config: { driver: 'sql' } } });
      assert.equal(opt.status, 200, opt.text);
      assert.equal(opt.body.config.identity.driver, 'sql');
      assert.equal(opt.body.config.ldap.url, 'ldap://one/', 'the whole config comes back');
      const grp = await c.req('PATCH', `${base}/identity`, { token: admin, body: { config: { identity: { list_limit: 7 } } } });
      assert.deepEqual(grp.body.config.identity, { driver: 'sql', list_limit: 7 });

      assert.equal((await c.req('DELETE', `${base}/identity/driver`, { token: admin })).status, 204);
      assertError(await c.req('GET', `${base}/identity/driver`, { token: admin }), 404);
      assert.equal((await c.req('DELETE', `${base}/identity`, { token: admin })).status, 204);
      assertError(await c.req('GET', `${base}/identity`, { token: admin }), 404);
      assert.equal((await c.req('DELETE', base, { token: admin })).status, 204);
      assertError(await c.req('GET', base, { token: admin }), 404);
    });

    it('refuses unsupported groups and options, bad bodies and non-admins; serves defaults', async () => {
      const d = await mkDomain();
      const base = `${V3}/domains/${d.id}/config`;
      assertError(await c.req('PUT', base, { token: admin, body: { config: { catalog: { driver: 'x' } } } }), 403);
      assertError(await c.req('PUT', base, { token: admin, body: { config: { ldap: { nonsense: 1 } } } }), 403);
      assertError(await c.req('PUT', base, { token: admin, body: { config: {} } }), 403);
      assertError(await c.req('PUT', base, { token: admin, body: { config: { ldap: { url: { deep: 1 } } } } }), 400);
      assertError(await c.req('PUT', base, { token: admin, body: { nope: 1 } }), 400);
      assertError(await c.req('PUT', `${V3}/domains/nope/config`, { token: admin, body: { config: { identity: { driver: 'sql' } } } }), 404);
      assertError(await c.req('GET', base, { token: demo }), 403);
      await c.req('PUT', base, { token: admin, body: { config: { identity: { driver: 'ldap' } } } });
      assertError(await c.req('PATCH', `${base}/identity`, { token: admin, body: { config: { ldap: { url: 'x' } } } }), 403, 'group differs from URL');
      const all = await c.req('GET', `${V3}/domains/config/default`, { token: admin });
      assert.equal(all.status, 200);
      assert.equal(all.body.config.identity.driver, 'sql');
      assert.ok(!('password' in all.body.config.ldap));
      assert.deepEqual((await c.req('GET', `${V3}/domains/config/ldap/url/default`, { token: admin })).body, { config: { url: 'ldap://localhost' } });
      assertError(await c.req('GET', `${V3}/domains/config/catalog/default`, { token: admin }), 403);
      // Deleting the domain removes its configuration.
      await c.req('PATCH', `${V3}/domains/${d.id}`, { token: admin, body: { domain: { enabled: false } } });
      assert.equal((await c.req('DELETE', `${V3}/domains/${d.id}`, { token: admin })).status, 204);
      assertError(await c.req('GET', base, { token: admin }), 404);
    });
  });

  describe('OS-EP-FILTER', () => {
    it('endpoint groups and project associations limit the project-scoped catalog', async () => {
      const svc = await create(c, admin, '/services', 'service', { type: uniqueName('ept'), name: 'filtered' });
      const pub = await create(c, admin, '/endpoints', 'endpoint', { service_id: svc.id, interface: 'public', url: 'http://pub.example/' });
      const adm = await create(c, admin, '/endpoints', 'endpoint', { service_id: svc.id, interface: 'admin', url: 'http://adm.example/' });
      const demoProject = await projectId(c, admin, 'demo');
      const catalogIds = async () => {
        const r = await c.req('GET', `${V3}/auth/catalog`, { token: await c.token('demo') });
        assert.equal(r.status, 200, r.text);
        return r.body.catalog.flatMap((s: any) => s.endpoints.map((e: any) => e.id)) as string[];
      };
      const before = await catalogIds();
      assert.ok(before.includes(pub.id) && before.includes(adm.id), 'no association: the whole catalog');

      const eg = await c.req('POST', `${V3}/OS-EP-FILTER/endpoint_groups`, {
        token: admin,
        body: { endpoint_group: { name: uniqueName('eg'), description: 'public only', filters: { service_id: svc.id, interface: 'public' } } },
      });
      assert.equal(eg.status, 201, eg.text);
      const gid = eg.body.endpoint_group.id;
      assert.ok(eg.body.endpoint_group.links.self.endsWith(`/OS-EP-FILTER/endpoint_groups/${gid}`));
      assert.deepEqual((await c.req('GET', `${V3}/OS-EP-FILTER/endpoint_groups/${gid}/endpoints`, { token: admin })).body.endpoints.map((e: any) => e.id), [pub.id]);
      assert.equal((await c.req('PUT', `${V3}/OS-EP-FILTER/endpoint_groups/${gid}/projects/${demoProject}`, { token: admin })).status, 204);
      assert.deepEqual(await catalogIds(), [pub.id], 'only the group endpoints');
      const link = await c.req('GET', `${V3}/OS-EP-FILTER/endpoint_groups/${gid}/projects/${demoProject}`, { token: admin });
      assert.equal(link.body.project_endpoint_group.project_id, demoProject);

      assert.equal((await c.req('PUT', `${V3}/OS-EP-FILTER/projects/${demoProject}/endpoints/${adm.id}`, { token: admin })).status, 204);
      assert.equal((await c.req('HEAD', `${V3}/OS-EP-FILTER/projects/${demoProject}/endpoints/${adm.id}`, { token: admin })).status, 204);
      assert.deepEqual((await catalogIds()).sort(), [pub.id, adm.id].sort());
      const projs = await c.req('GET', `${V3}/OS-EP-FILTER/endpoints/${adm.id}/projects`, { token: admin });
      assert.deepEqual(projs.body.projects.map((p: any) => p.id), [demoProject]);
      const eps = await c.req('GET', `${V3}/OS-EP-FILTER/projects/${demoProject}/endpoints`, { token: admin });
      assert.deepEqual(eps.body.endpoints.map((e: any) => e.id).sort(), [pub.id, adm.id].sort());

      // Deleting the endpoint and the group drops their associations: the whole catalog again.
      assert.equal((await c.req('DELETE', `${V3}/endpoints/${adm.id}`, { token: admin })).status, 204);
      assert.equal((await c.req('DELETE', `${V3}/OS-EP-FILTER/endpoint_groups/${gid}`, { token: admin })).status, 204);
      const after = await catalogIds();
      assert.ok(after.length > 1 && after.includes(pub.id));
      assertError(await c.req('GET', `${V3}/OS-EP-FILTER/projects/${demoProject}/endpoints/${adm.id}`, { token: admin }), 404);
    });

    it('refuses bad filters, unknown ids and non-admins', async () => {
      const post = (filters: unknown) => c.req('POST', `${V3}/OS-EP-FILTER/endpoint_groups`, { token: admin, body: { endpoint_group: { name: 'x', filters } } });
      assertError(await post({ colour: 'red' }), 400);
      assertError(await post({ interface: 'sideways' }), 400);
      assertError(await post('all'), 400);
      assertError(await c.req('PUT', `${V3}/OS-EP-FILTER/projects/nope/endpoints/nope`, { token: admin }), 404);
      assertError(await c.req('GET', `${V3}/OS-EP-FILTER/endpoint_groups`, { token: demo }), 403);
    });
  });

  describe('policies and OS-ENDPOINT-POLICY', () => {
    it('stores blobs and resolves the policy of an endpoint: endpoint, then service in region, then service', async () => {
      const p1 = await create(c, admin, '/policies', 'policy', { type: 'application/json', blob: '{"a": 1}' });
      const p2 = await create(c, admin, '/policies', 'policy', { type: 'application/json', blob: '{"b": 2}' });
      assert.equal(p1.blob, '{"a": 1}');
      const upd = await c.req('PATCH', `${V3}/policies/${p1.id}`, { token: admin, body: { policy: { type: 'text/plain' } } });
      assert.equal(upd.body.policy.type, 'text/plain');
      assert.equal(upd.body.policy.blob, '{"a": 1}');
      assert.ok((await c.req('GET', `${V3}/policies`, { token: admin })).body.policies.some((p: any) => p.id === p2.id));

      const svc = await create(c, admin, '/services', 'service', { type: uniqueName('pol') });
      const e1 = await create(c, admin, '/endpoints', 'endpoint', { service_id: svc.id, interface: 'public', url: 'http://e1/', region_id: 'RegionOne' });
      const e2 = await create(c, admin, '/endpoints', 'endpoint', { service_id: svc.id, interface: 'admin', url: 'http://e2/', region_id: 'RegionOne' });
      const of = async (eid: string) => (await c.req('GET', `${V3}/endpoints/${eid}/OS-ENDPOINT-POLICY/policy`, { token: admin }));
      assertError(await of(e1.id), 404);
      const ep = `${V3}/policies/${p1.id}/OS-ENDPOINT-POLICY`;
      assert.equal((await c.req('PUT', `${ep}/services/${svc.id}`, { token: admin })).status, 204);
      assert.equal((await of(e1.id)).body.policy.id, p1.id);
      assert.equal((await c.req('PUT', `${V3}/policies/${p2.id}/OS-ENDPOINT-POLICY/endpoints/${e2.id}`, { token: admin })).status, 204);
      assert.equal((await of(e2.id)).body.policy.id, p2.id, 'the endpoint association wins');
      assert.deepEqual((await c.req('GET', `${ep}/endpoints`, { token: admin })).body.endpoints.map((e: any) => e.id), [e1.id]);
      assert.equal((await c.req('GET', `${ep}/services/${svc.id}`, { token: admin })).status, 204);
      assertError(await c.req('GET', `${ep}/endpoints/${e2.id}`, { token: admin }), 404);
      assertError(await c.req('PUT', `${ep}/services/${svc.id}/regions/nowhere`, { token: admin }), 404);

      assert.equal((await c.req('DELETE', `${V3}/policies/${p2.id}`, { token: admin })).status, 204);
      assert.equal((await of(e2.id)).body.policy.id, p1.id, 'falls back to the service policy');
      assertError(await c.req('POST', `${V3}/policies`, { token: admin, body: { policy: { type: 'x' } } }), 400, 'blob is required');
      assertError(await c.req('POST', `${V3}/policies`, { token: demo, body: { policy: { type: 'x', blob: 'y' } } }), 403);
    });
  });

  describe('projects acting as domains', () => {
    it('creates, lists, reads, updates and deletes an is_domain project as a domain', async () => {
      const name = uniqueName('isdom');
      const r = await c.req('POST', `${V3}/projects`, { token: admin, body: { project: { name, is_domain: true, domain_id: null } } });
      assert.equal(r.status, 201, r.text);
      const p = r.body.project;
      assert.equal(p.is_domain, true);
      assert.equal(p.domain_id, null);
      assert.equal(p.parent_id, null);
      const listed = (await c.req('GET', `${V3}/projects?is_domain=true`, { token: admin })).body.projects.map((x: any) => x.id);
      assert.ok(listed.includes(p.id) && listed.includes('default'));
      assert.ok(!(await c.req('GET', `${V3}/projects`, { token: admin })).body.projects.some((x: any) => x.id === p.id), 'not a regular project');
      assert.equal((await c.req('GET', `${V3}/domains/${p.id}`, { token: admin })).body.domain.name, name);
      assert.equal((await c.req('GET', `${V3}/projects/${p.id}`, { token: admin })).body.project.is_domain, true);
      assertError(await c.req('DELETE', `${V3}/projects/${p.id}`, { token: admin }), 403, 'enabled domain');
      const off = await c.req('PATCH', `${V3}/projects/${p.id}`, { token: admin, body: { project: { enabled: false } } });
      assert.equal(off.body.project.enabled, false);
      assert.equal((await c.req('DELETE', `${V3}/projects/${p.id}`, { token: admin })).status, 204);
      assertError(await c.req('GET', `${V3}/domains/${p.id}`, { token: admin }), 404);
      assertError(await c.req('POST', `${V3}/projects`, { token: admin, body: { project: { name: uniqueName('x'), is_domain: true, parent_id: 'default' } } }), 400);
    });
  });

  describe('OS-OAUTH1', () => {
    it('delegates a role through request and access tokens and authenticates with the access token', async () => {
      const consumer = await create(c, admin, '/OS-OAUTH1/consumers', 'consumer', { description: 'app' });
      assert.equal(typeof consumer.secret, 'string');
      assert.ok(!('secret' in (await c.req('GET', `${V3}/OS-OAUTH1/consumers/${consumer.id}`, { token: admin })).body.consumer));
      const demoProject = await projectId(c, admin, 'demo');
      const url = (p: string) => `${c.url}${V3}${p}`;
      let n = 0;
      const oauth = (extra: Record<string, string>) => ({
        oauth_consumer_key: consumer.id,
        oauth_signature_method: 'HMAC-SHA1',
        oauth_timestamp: String(Math.floor(Date.now() / 1000)),
        oauth_nonce: `n${n++}-${Math.random()}`,
        oauth_version: '1.0',
        ...extra,
      });
      const signed = (path: string, extra: Record<string, string>, tokenSecret = '', headers: Record<string, string> = {}, body?: unknown) =>
        c.req('POST', `${V3}${path}`, {
          headers: { authorization: authorizationHeader('POST', url(path), oauth(extra), consumer.secret, tokenSecret), ...headers },
          ...(body === undefined ? {} : { body }),
        });

      const rt = await signed('/OS-OAUTH1/request_token', { oauth_callback: 'oob' }, '', { 'requested-project-id': demoProject });
      assert.equal(rt.status, 201, rt.text);
      assert.match(rt.headers.get('content-type') ?? '', /x-www-form-urlencoded/);
      const rtf = new URLSearchParams(rt.text);
      const auth = await c.req('PUT', `${V3}/OS-OAUTH1/authorize/${rtf.get('oauth_token')}`, { token: demo, body: { roles: [{ name: 'member' }] } });
      assert.equal(auth.status, 200, auth.text);
      const verifier = auth.body.token.oauth_verifier;
      assertError(await signed('/OS-OAUTH1/access_token', { oauth_token: rtf.get('oauth_token')!, oauth_verifier: 'wrong' }, rtf.get('oauth_token_secret')!), 401);
      const at = await signed('/OS-OAUTH1/access_token', { oauth_token: rtf.get('oauth_token')!, oauth_verifier: verifier }, rtf.get('oauth_token_secret')!);
      assert.equal(at.status, 201, at.text);
      const atf = new URLSearchParams(at.text);

      const body = { auth: { identity: { methods: ['oauth1'], oauth1: {} } } };
      const tok = await signed('/auth/tokens', { oauth_token: atf.get('oauth_token')! }, atf.get('oauth_token_secret')!, {}, body);
      assert.equal(tok.status, 201, tok.text);
      assert.equal(tok.body.token.project.id, demoProject);
      assert.deepEqual(tok.body.token.roles.map((r: any) => r.name).sort(), ['member', 'reader'], 'member and what it implies');
      assert.deepEqual(tok.body.token['OS-OAUTH1'], { access_token_id: atf.get('oauth_token'), consumer_id: consumer.id });
      const bad = await signed('/auth/tokens', { oauth_token: atf.get('oauth_token')! }, 'not-the-secret', {}, body);
      assertError(bad, 401);

      // The user sees and revokes the access token; tokens issued from it stop working.
      const userId = tok.body.token.user.id;
      const list = await c.req('GET', `${V3}/users/${userId}/OS-OAUTH1/access_tokens`, { token: demo });
      assert.deepEqual(list.body.access_tokens.map((t: any) => t.id), [atf.get('oauth_token')]);
      const subject = tok.headers.get('x-subject-token')!;
      assert.equal((await c.req('GET', `${V3}/auth/tokens`, { token: admin, headers: { 'x-subject-token': subject } })).status, 200);
      assert.equal((await c.req('DELETE', `${V3}/users/${userId}/OS-OAUTH1/access_tokens/${atf.get('oauth_token')}`, { token: demo })).status, 204);
      assertError(await c.req('GET', `${V3}/auth/tokens`, { token: admin, headers: { 'x-subject-token': subject } }), 404);
    });

    it('refuses unsigned and replayed requests, and roles the user does not have', async () => {
      const consumer = await create(c, admin, '/OS-OAUTH1/consumers', 'consumer', {});
      const demoProject = await projectId(c, admin, 'demo');
      assertError(await c.req('POST', `${V3}/OS-OAUTH1/request_token`, { headers: { 'requested-project-id': demoProject } }), 401);
      const path = '/OS-OAUTH1/request_token';
      const params = { oauth_consumer_key: consumer.id, oauth_signature_method: 'HMAC-SHA1', oauth_timestamp: String(Math.floor(Date.now() / 1000)), oauth_nonce: 'fixed', oauth_callback: 'oob' };
      const h = authorizationHeader('POST', `${c.url}${V3}${path}`, params, consumer.secret);
      assert.equal((await c.req('POST', `${V3}${path}`, { headers: { authorization: h, 'requested-project-id': demoProject } })).status, 201);
      assertError(await c.req('POST', `${V3}${path}`, { headers: { authorization: h, 'requested-project-id': demoProject } }), 401, 'replayed nonce');
      assertError(await c.req('POST', `${V3}${path}`, { headers: { authorization: h.replace('fixed', 'other') } }), 400, 'no project header');
      const h2 = authorizationHeader('POST', `${c.url}${V3}${path}`, { ...params, oauth_nonce: 'n2' }, consumer.secret);
      const rt = new URLSearchParams((await c.req('POST', `${V3}${path}`, { headers: { authorization: h2, 'requested-project-id': demoProject } })).text);
      // A form-encoded body is signed along with the header (RFC 5849 §3.4.1.3.1).
      const formSigned = (body: string, signedOver: [string, string][]) =>
        c.req('POST', `${V3}${path}`, {
          raw: body,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'requested-project-id': demoProject,
            authorization: authorizationHeader('POST', `${c.url}${V3}${path}`, { ...params, oauth_nonce: `f${Math.random()}` }, consumer.secret, '', signedOver),
          },
        });
      assert.equal((await formSigned('scope=x', [['scope', 'x']])).status, 201);
      assertError(await formSigned('scope=y', [['scope', 'x']]), 401, 'body differs from what was signed');
      assertError(await c.req('PUT', `${V3}/OS-OAUTH1/authorize/${rt.get('oauth_token')}`, { token: demo, body: { roles: [{ name: 'admin' }] } }), 401);
      assertError(await c.req('PUT', `${V3}/OS-OAUTH1/authorize/${rt.get('oauth_token')}`, { token: demo, body: { roles: 'member' } }), 400);
      assertError(await c.req('PATCH', `${V3}/OS-OAUTH1/consumers/${consumer.id}`, { token: admin, body: { consumer: { secret: 'x' } } }), 400);
      assertError(await c.req('GET', `${V3}/OS-OAUTH1/consumers`, { token: demo }), 403);
      assert.equal((await c.req('DELETE', `${V3}/OS-OAUTH1/consumers/${consumer.id}`, { token: admin })).status, 204);
      assertError(await c.req('PUT', `${V3}/OS-OAUTH1/authorize/${rt.get('oauth_token')}`, { token: demo, body: { roles: [{ name: 'member' }] } }), 404, 'tokens go with the consumer');
    });
  });
});
