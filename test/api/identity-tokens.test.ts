import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, type TestCloud } from '../support/cloud.js';
import { assertError, byName, issue, passwordAuth, projectId, TOKENS, userId, validateStatus } from './helpers.js';

/** Version discovery, every way of issuing a token, validation, revocation, catalog. */
describe('identity: discovery and tokens', () => {
  let c: TestCloud;
  let admin: string;
  let adminId: string;
  let demoProject: string;

  before(async () => {
    c = await startTestCloud();
    admin = await c.token('admin');
    adminId = await userId(c, admin, 'admin');
    demoProject = await projectId(c, admin, 'demo');
  });
  after(async () => {
    await c?.close();
  });

  describe('version discovery', () => {
    const VERSION_KEYS = ['id', 'links', 'media-types', 'status', 'updated'];

    it('GET /identity/ is 300 Multiple Choices listing v3', async () => {
      for (const path of ['/identity/', '/identity']) {
        const r = await c.req('GET', path);
        assert.equal(r.status, 300, path);
        assert.deepEqual(Object.keys(r.body), ['versions']);
        assert.deepEqual(Object.keys(r.body.versions), ['values']);
        assert.equal(r.body.versions.values.length, 1);
        const v = r.body.versions.values[0];
        assert.deepEqual(Object.keys(v).sort(), VERSION_KEYS);
        assert.match(v.id, /^v3\.\d+$/);
        assert.equal(v.status, 'stable');
        assert.deepEqual(v.links, [{ rel: 'self', href: `${c.url}/identity/v3/` }]);
        assert.deepEqual(v['media-types'], [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }]);
        assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      }
    });

    it('GET /identity/v3 is 200 with the version document, no token needed', async () => {
      for (const path of ['/identity/v3', '/identity/v3/']) {
        const r = await c.req('GET', path);
        assert.equal(r.status, 200, path);
        assert.deepEqual(Object.keys(r.body), ['version']);
        assert.deepEqual(Object.keys(r.body.version).sort(), VERSION_KEYS);
        assert.equal(r.body.version.links[0].href, `${c.url}/identity/v3/`);
      }
      // A bad token does not break discovery.
      assert.equal((await c.req('GET', '/identity/v3', { token: 'garbage' })).status, 200);
    });

    it('/health is 200 and reports identity up', async () => {
      const r = await c.req('GET', '/health');
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'ok');
      assert.equal(r.body.services.identity.status, 'up');
      assert.ok(r.headers.get('x-openstack-request-id'));
    });
  });

  describe('issuing tokens', () => {
    const checkProjectToken = (body: any, project: string) => {
      const t = body.token;
      assert.deepEqual(t.methods, ['password']);
      assert.equal(t.project.name, project);
      assert.deepEqual(t.project.domain, { id: 'default', name: 'Default' });
      assert.equal(t.is_domain, false);
      assert.ok(Array.isArray(t.roles) && t.roles.length > 0);
      assert.ok(Array.isArray(t.catalog));
      assert.match(t.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.match(t.issued_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.ok(Date.parse(t.expires_at) > Date.now());
      assert.equal(t.audit_ids.length, 1);
      assert.equal(t.user.name, 'admin');
      assert.deepEqual(t.user.domain, { id: 'default', name: 'Default' });
    };

    it('user by id, project by id', async () => {
      const { body } = await issue(c, passwordAuth({ id: adminId }, { project: { id: demoProject } }));
      checkProjectToken(body, 'demo');
      assert.equal(body.token.user.id, adminId);
      assert.equal(body.token.project.id, demoProject);
    });

    it("user by name and domain name 'Default', project by name and domain name", async () => {
      const { body } = await issue(
        c,
        passwordAuth({ name: 'admin', domain: { name: 'Default' } }, { project: { name: 'admin', domain: { name: 'Default' } } }),
      );
      checkProjectToken(body, 'admin');
    });

    it('project by name with a domain id', async () => {
      const { body } = await issue(c, passwordAuth(byName('admin'), { project: byName('demo') }));
      checkProjectToken(body, 'demo');
    });

    it('unscoped: no scope (and no default project) gives no roles and no catalog', async () => {
      for (const scope of [undefined, 'unscoped']) {
        const { body } = await issue(c, passwordAuth(byName('demo'), scope));
        const t = body.token;
        assert.equal(t.project, undefined);
        assert.equal(t.domain, undefined);
        assert.equal(t.system, undefined);
        assert.equal(t.roles, undefined);
        assert.equal(t.catalog, undefined);
        assert.equal(t.user.name, 'demo');
      }
    });

    it('domain scope', async () => {
      const { body } = await issue(c, passwordAuth(byName('admin'), { domain: { id: 'default' } }));
      assert.deepEqual(body.token.domain, { id: 'default', name: 'Default' });
      assert.equal(body.token.project, undefined);
      assert.ok(body.token.roles.some((r: any) => r.name === 'admin'));
      const byDomainName = await issue(c, passwordAuth(byName('admin'), { domain: { name: 'Default' } }));
      assert.equal(byDomainName.body.token.domain.id, 'default');
      // demo has no role on the domain.
      const r = await c.req('POST', TOKENS, { body: passwordAuth(byName('demo'), { domain: { id: 'default' } }) });
      assertError(r, 401);
    });

    it('system scope', async () => {
      const { body } = await issue(c, passwordAuth(byName('admin'), { system: { all: true } }));
      assert.deepEqual(body.token.system, { all: true });
      assert.equal(body.token.project, undefined);
      assert.deepEqual(body.token.roles.map((r: any) => r.name).sort(), ['admin', 'member', 'reader']);
      const r = await c.req('POST', TOKENS, { body: passwordAuth(byName('demo'), { system: { all: true } }) });
      assertError(r, 401);
    });

    it('token method rescopes, keeping expires_at and adding the method', async () => {
      const first = await issue(c, passwordAuth(byName('demo')));
      await new Promise((r) => setTimeout(r, 5));
      const { body } = await issue(c, {
        auth: { identity: { methods: ['token'], token: { id: first.token } }, scope: { project: byName('demo') } },
      });
      assert.equal(body.token.expires_at, first.body.token.expires_at);
      assert.deepEqual(body.token.methods, ['password', 'token']);
      assert.equal(body.token.project.name, 'demo');
      assert.equal(body.token.audit_ids.length, 2);
      assert.equal(body.token.audit_ids[1], first.body.token.audit_ids[0]);
      // A token in the header works the same way.
      const again = await issue(c, {
        auth: { identity: { methods: ['token'], token: { id: first.token } }, scope: { project: { id: demoProject } } },
      });
      assert.equal(again.body.token.project.id, demoProject);
    });

    it('a revoked or garbage token cannot be rescoped', async () => {
      for (const id of ['garbage', 'A'.repeat(120)]) {
        const r = await c.req('POST', TOKENS, { body: { auth: { identity: { methods: ['token'], token: { id } }, scope: { project: byName('demo') } } } });
        assertError(r, 401, id);
      }
    });

    it('?nocatalog leaves the catalog out, on issue and on validation', async () => {
      const { token, body } = await issue(c, passwordAuth(byName('admin'), { project: byName('admin') }), '?nocatalog');
      assert.equal(body.token.catalog, undefined);
      assert.ok(body.token.roles.length > 0);
      const v = await c.req('GET', `${TOKENS}?nocatalog=1`, { token: admin, headers: { 'x-subject-token': token } });
      assert.equal(v.status, 200);
      assert.equal(v.body.token.catalog, undefined);
      const full = await c.req('GET', TOKENS, { token: admin, headers: { 'x-subject-token': token } });
      assert.ok(Array.isArray(full.body.token.catalog));
    });

    it('accepts JSON with a charset parameter or a +json media type', async () => {
      for (const ct of ['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON', 'application/vnd.openstack.identity-v3+json']) {
        const r = await c.req('POST', TOKENS, { body: passwordAuth(byName('admin'), { project: byName('admin') }), headers: { 'content-type': ct } });
        assert.equal(r.status, 201, `${ct}: ${r.status} ${r.text.slice(0, 200)}`);
        const p = await c.req('POST', '/identity/v3/projects', { token: admin, body: { project: { name: `ct-${Math.random().toString(36).slice(2)}` } }, headers: { 'content-type': ct } });
        assert.equal(p.status, 201, `${ct}: ${p.status} ${p.text.slice(0, 200)}`);
      }
    });

    it('wrong password, unknown user and unknown project are 401 with WWW-Authenticate', async () => {
      const cases = [
        passwordAuth(byName('admin'), undefined, 'wrong'),
        passwordAuth(byName('nobody')),
        passwordAuth({ id: 'ffffffffffffffffffffffffffffffff' }),
        passwordAuth(byName('admin'), { project: byName('no-such-project') }),
        passwordAuth(byName('admin'), { project: { id: 'ffffffffffffffffffffffffffffffff' } }),
        passwordAuth({ name: 'admin', domain: { name: 'NoSuchDomain' } }),
      ];
      for (const body of cases) {
        const r = await c.req('POST', TOKENS, { body });
        assertError(r, 401, JSON.stringify(body));
        assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${c.url}/identity"`);
        assert.equal(r.headers.get('x-subject-token'), null);
      }
    });
  });

  describe('validation and revocation', () => {
    it('GET, HEAD and DELETE of a token, then 404', async () => {
      const { token, body } = await issue(c, passwordAuth(byName('demo'), { project: byName('demo') }));
      const g = await c.req('GET', TOKENS, { token: admin, headers: { 'x-subject-token': token } });
      assert.equal(g.status, 200);
      assert.equal(g.headers.get('x-subject-token'), token);
      assert.equal(g.body.token.user.name, 'demo');
      assert.equal(g.body.token.expires_at, body.token.expires_at);
      assert.deepEqual(g.body.token.audit_ids, body.token.audit_ids);
      const h = await c.req('HEAD', TOKENS, { token: admin, headers: { 'x-subject-token': token } });
      assert.equal(h.status, 200);
      assert.equal(h.text, '');
      // A user may validate its own token with itself.
      assert.equal((await c.req('GET', TOKENS, { token, headers: { 'x-subject-token': token } })).status, 200);
      const d = await c.req('DELETE', TOKENS, { token: admin, headers: { 'x-subject-token': token } });
      assert.equal(d.status, 204);
      assert.equal(d.text, '');
      assertError(await c.req('GET', TOKENS, { token: admin, headers: { 'x-subject-token': token } }), 404);
      assert.equal((await c.req('HEAD', TOKENS, { token: admin, headers: { 'x-subject-token': token } })).status, 404);
      assertError(await c.req('DELETE', TOKENS, { token: admin, headers: { 'x-subject-token': token } }), 404);
      // And the revoked token no longer authenticates anything.
      const r = await c.req('GET', '/identity/v3/auth/projects', { token });
      assertError(r, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Keystone uri="/);
    });

    it('a user can revoke its own token; another non-admin cannot see it', async () => {
      const mine = await issue(c, passwordAuth(byName('demo'), { project: byName('demo') }));
      const other = await c.token('alt_demo');
      assertError(await c.req('GET', TOKENS, { token: other, headers: { 'x-subject-token': mine.token } }), 403);
      assert.equal((await c.req('DELETE', TOKENS, { token: mine.token, headers: { 'x-subject-token': mine.token } })).status, 204);
      assert.equal(await validateStatus(c, admin, mine.token), 404);
    });

    it('validation without X-Subject-Token is 400, with no token 401', async () => {
      assertError(await c.req('GET', TOKENS, { token: admin }), 400);
      const r = await c.req('GET', TOKENS, { headers: { 'x-subject-token': admin } });
      assertError(r, 401);
      assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${c.url}/identity"`);
    });

    it('revoking a rescoped token leaves its parent valid', async () => {
      const parent = await issue(c, passwordAuth(byName('demo')));
      const child = await issue(c, { auth: { identity: { methods: ['token'], token: { id: parent.token } }, scope: { project: byName('demo') } } });
      assert.equal((await c.req('DELETE', TOKENS, { token: admin, headers: { 'x-subject-token': child.token } })).status, 204);
      assert.equal(await validateStatus(c, admin, child.token), 404);
      assert.equal(await validateStatus(c, admin, parent.token), 200);
    });
  });

  describe('catalog and listings', () => {
    it('the catalog holds identity with concrete URLs', async () => {
      const { body } = await issue(c, passwordAuth(byName('demo'), { project: byName('demo') }));
      const cat = body.token.catalog as any[];
      const identity = cat.find((s) => s.type === 'identity');
      assert.ok(identity, JSON.stringify(cat));
      assert.equal(identity.name, 'keystone');
      assert.deepEqual(identity.endpoints.map((e: any) => e.interface).sort(), ['admin', 'internal', 'public']);
      for (const s of cat) {
        for (const e of s.endpoints) {
          assert.ok(!e.url.includes('$('), `substituted: ${e.url}`);
          assert.equal(e.region_id, 'RegionOne');
          assert.equal(e.region, 'RegionOne');
          assert.ok(e.id);
        }
      }
      assert.ok(identity.endpoints.every((e: any) => e.url === `${c.url}/identity`));
      const ac = await c.req('GET', '/identity/v3/auth/catalog', { token: await c.token('demo') });
      assert.equal(ac.status, 200);
      assert.ok(ac.body.catalog.some((s: any) => s.type === 'identity'));
    });

    it('/auth/projects lists the projects the caller has roles on', async () => {
      const names = async (token: string) => {
        const r = await c.req('GET', '/identity/v3/auth/projects', { token });
        assert.equal(r.status, 200);
        assert.ok(r.body.links.self.endsWith('/identity/v3/auth/projects'));
        return r.body.projects.map((p: any) => p.name).sort();
      };
      assert.deepEqual(await names(await c.token('demo')), ['demo', 'invisible_to_admin']);
      assert.deepEqual(await names(await c.token('alt_demo')), ['alt_demo']);
      assert.deepEqual(await names(await c.token('demo_reader')), ['demo']);
      assert.deepEqual(await names(admin), ['admin', 'demo']);
      // An unscoped token works too.
      const unscoped = await issue(c, passwordAuth(byName('demo')));
      assert.deepEqual(await names(unscoped.token), ['demo', 'invisible_to_admin']);
    });

    it('/auth/domains lists the domains the caller has roles on', async () => {
      const r = await c.req('GET', '/identity/v3/auth/domains', { token: admin });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.domains.map((d: any) => d.id), ['default']);
      const d = await c.req('GET', '/identity/v3/auth/domains', { token: await c.token('demo') });
      assert.equal(d.status, 200);
      assert.deepEqual(d.body.domains, []);
    });

    it('/auth/system tells whether the caller has a system role', async () => {
      assert.deepEqual((await c.req('GET', '/identity/v3/auth/system', { token: admin })).body.system, [{ all: true }]);
      assert.deepEqual((await c.req('GET', '/identity/v3/auth/system', { token: await c.token('demo') })).body.system, []);
    });
  });

  describe('request ids and challenges', () => {
    it('every response carries x-openstack-request-id, errors included', async () => {
      const demo = await c.token('demo');
      const requests: [string, string, Parameters<TestCloud['req']>[2]][] = [
        ['GET', '/identity/', {}],
        ['GET', '/identity/v3', {}],
        ['GET', '/health', {}],
        ['POST', TOKENS, { body: passwordAuth(byName('admin')) }],
        ['POST', TOKENS, { body: passwordAuth(byName('admin'), undefined, 'bad') }],
        ['POST', TOKENS, { raw: '{not json', headers: { 'content-type': 'application/json' } }],
        ['GET', '/identity/v3/projects', {}],
        ['GET', '/identity/v3/projects', { token: demo }],
        ['GET', '/identity/v3/projects/nope', { token: admin }],
        ['GET', '/identity/v3/no-such-route', { token: admin }],
        ['GET', '/no-such-service', {}],
        ['PUT', '/identity/v3/auth/tokens', { token: admin }],
        ['POST', '/identity/v3/projects', { token: admin, raw: 'x'.repeat(120_000), headers: { 'content-type': 'application/json' } }],
      ];
      const ids = new Set<string>();
      for (const [m, p, o] of requests) {
        const r = await c.req(m, p, o);
        const id = r.headers.get('x-openstack-request-id');
        assert.ok(id, `${m} ${p} → ${r.status} has a request id`);
        assert.match(id, /^req-[0-9a-f-]{36}$/);
        ids.add(id);
      }
      assert.equal(ids.size, requests.length, 'request ids are unique');
    });

    it('401 carries WWW-Authenticate: Keystone uri="<identity endpoint>"', async () => {
      for (const token of [undefined, 'garbage', 'A'.repeat(200)]) {
        const r = await c.req('GET', '/identity/v3/users', token ? { token } : {});
        assertError(r, 401, String(token));
        assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${c.url}/identity"`);
      }
      // Non-401 errors do not.
      const f = await c.req('GET', '/identity/v3/users', { token: await c.token('demo') });
      assertError(f, 403);
      assert.equal(f.headers.get('www-authenticate'), null);
    });
  });
});
