import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TokenCodec } from '../../src/services/identity/logic/token-codec.js';
import { startTestCloud, type TestCloud } from '../support/cloud.js';
import { authCases, bodyCases, bodyRoutes, type BadCase, type Fixtures } from './bad-input-cases.js';
import { byName, create, issue, passwordAuth, pool, projectId, roleId, userId } from './helpers.js';

const V3 = '/identity/v3';
const UNKNOWN = 'ffffffffffffffffffffffffffffffff';

/**
 * A generated storm of bad requests against every identity route. Whatever is wrong with a
 * request, the answer is a 4xx in Keystone's error shape: never a 5xx, never a crash.
 */
describe('identity: generated bad input', () => {
  let c: TestCloud;
  let admin: string;
  let f: Fixtures;
  const badTokens: [string, string | null][] = [];

  before(async () => {
    c = await startTestCloud();
    admin = await c.token('admin');
    const adminId = await userId(c, admin, 'admin');
    const adminProject = await projectId(c, admin, 'admin');
    const svc = await create(c, admin, '/services', 'service', { type: 'bad-input-svc' });
    const ac = await c.req('POST', `${V3}/users/${adminId}/application_credentials`, { token: admin, body: { application_credential: { name: 'bad-input-ac' } } });
    f = {
      adminId,
      adminProject,
      project: (await create(c, admin, '/projects', 'project', { name: 'bad-input-project' })).id,
      user: (await create(c, admin, '/users', 'user', { name: 'bad-input-user', password: 'the-password' })).id,
      group: (await create(c, admin, '/groups', 'group', { name: 'bad-input-group' })).id,
      role: (await create(c, admin, '/roles', 'role', { name: 'bad-input-role' })).id,
      region: (await create(c, admin, '/regions', 'region', { id: 'BadInputRegion' })).id,
      service: svc.id,
      endpoint: (await create(c, admin, '/endpoints', 'endpoint', { service_id: svc.id, interface: 'public', url: 'http://bad.example/' })).id,
      credential: (await create(c, admin, '/credentials', 'credential', { user_id: adminId, type: 'note', blob: 'x' })).id,
      domain: (await create(c, admin, '/domains', 'domain', { name: 'bad-input-domain' })).id,
      appCred: ac.body.application_credential.id,
    };

    // Tokens that must all be refused with 401.
    const keys = await c.cloud.store.get<{ keys: string[] }>('identity.secret', 'token-keys');
    assert.ok(keys, 'token keys are stored');
    const realKey = new TokenCodec(keys.data.keys.map((k) => Buffer.from(k, 'base64')));
    const otherKey = new TokenCodec([TokenCodec.generateKey()]);
    const payload = { userId: adminId, methods: ['password'], issuedAt: Date.now() - 7200_000, expiresAt: Date.now() - 3600_000, auditIds: ['x'], projectId: adminProject };
    const revoked = (await issue(c, passwordAuth(byName('admin'), { project: byName('admin') }))).token;
    await c.req('DELETE', `${V3}/auth/tokens`, { token: admin, headers: { 'x-subject-token': revoked } });
    const doomed = await create(c, admin, '/users', 'user', { name: 'bad-input-doomed', password: 'pw' });
    const member = await roleId(c, admin, 'member');
    await c.req('PUT', `${V3}/projects/${f.project}/users/${doomed.id}/roles/${member}`, { token: admin });
    const orphan = (await issue(c, passwordAuth({ id: doomed.id }, { project: { id: f.project } }, 'pw'))).token;
    await c.req('DELETE', `${V3}/users/${doomed.id}`, { token: admin });
    const mid = Math.floor(admin.length / 2);
    badTokens.push(
      ['absent', null],
      ['empty', ''],
      ['garbage', 'garbage'],
      ['long junk', 'A'.repeat(300)],
      ['fernet-looking', 'gAAAAAB' + randomBytes(120).toString('base64url')],
      ['one character changed', admin.slice(0, mid) + (admin[mid] === 'A' ? 'B' : 'A') + admin.slice(mid + 1)],
      ['truncated', admin.slice(0, -5)],
      ['expired (real key)', realKey.encode(payload)],
      ['valid payload, another key', otherKey.encode({ ...payload, expiresAt: Date.now() + 3600_000 })],
      ['revoked', revoked],
      ['of a deleted user', orphan],
      ['very long', 'x'.repeat(6000)],
      ['with spaces', 'Bearer ' + admin],
    );
  });
  after(async () => {
    await c?.close();
  });

  /** Requests every authenticated route needs a token for. */
  function authedRoutes(): [string, string, string | undefined][] {
    const get = (p: string): [string, string, undefined] => ['GET', `${V3}${p}`, undefined];
    const del = (p: string): [string, string, undefined] => ['DELETE', `${V3}${p}`, undefined];
    const routes: [string, string, string | undefined][] = [
      ...['/projects', '/users', '/groups', '/roles', '/domains', '/regions', '/services', '/endpoints', '/credentials', '/role_assignments', '/role_inferences'].map(get),
      ...['/auth/projects', '/auth/domains', '/auth/system', '/auth/catalog', '/auth/tokens'].map(get),
      get(`/projects/${f.project}`), get(`/projects/${f.project}/tags`), get(`/users/${f.user}`), get(`/users/${f.user}/projects`), get(`/users/${f.user}/groups`),
      get(`/groups/${f.group}`), get(`/groups/${f.group}/users`), get(`/roles/${f.role}`), get(`/roles/${f.role}/implies`), get(`/domains/${f.domain}`),
      get(`/regions/${f.region}`), get(`/services/${f.service}`), get(`/endpoints/${f.endpoint}`), get(`/credentials/${f.credential}`),
      get(`/users/${f.adminId}/credentials/OS-EC2`), get(`/users/${f.adminId}/application_credentials`), get(`/users/${f.adminId}/application_credentials/${f.appCred}`),
      get(`/projects/${f.project}/users/${f.user}/roles`), get(`/system/users/${f.adminId}/roles`),
      del(`/projects/${f.project}`), del(`/users/${f.user}`), del(`/groups/${f.group}`), del(`/roles/${f.role}`), del(`/regions/${f.region}`),
      del(`/services/${f.service}`), del(`/endpoints/${f.endpoint}`), del(`/credentials/${f.credential}`), del('/auth/tokens'), del(`/projects/${f.project}/tags`),
      ['PUT', `${V3}/projects/${f.project}/users/${f.user}/roles/${f.role}`, undefined],
      ['PUT', `${V3}/groups/${f.group}/users/${f.user}`, undefined],
      ['PUT', `${V3}/projects/${f.project}/tags/t`, undefined],
    ];
    for (const r of bodyRoutes(f)) if (!r.public) routes.push([r.method, `${V3}${r.path}`, JSON.stringify(r.key ? { [r.key]: r.base() } : r.base())]);
    return routes;
  }

  function tokenCases(): BadCase[] {
    const out: BadCase[] = [];
    for (const [method, path, body] of authedRoutes()) {
      for (const [label, token] of badTokens) {
        out.push({ name: `${method} ${path}: token ${label}`, method, path, token, ...(body ? { body } : {}), expect: [401] });
      }
    }
    return out;
  }

  function idCases(): BadCase[] {
    const out: BadCase[] = [];
    const add = (method: string, path: string, expect: number[], body?: unknown) =>
      out.push({ name: `${method} ${path}`, method, path: `${V3}${path}`, expect, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const colls: [string, string, string][] = [
      ['projects', 'project', 'demo'], ['users', 'user', 'admin'], ['groups', 'group', 'bad-input-group'], ['roles', 'role', 'member'],
      ['domains', 'domain', 'Default'], ['regions', 'region', 'regionone'], ['services', 'service', 'keystone'], ['endpoints', 'endpoint', 'public'], ['credentials', 'credential', 'note'],
    ];
    for (const [coll, key, name] of colls) {
      for (const id of [UNKNOWN, name, 'x'.repeat(1000), '%C3%A9%E2%9C%93', '00000000-0000-0000-0000-000000000000', 'null', '%20']) {
        add('GET', `/${coll}/${id}`, [404]);
        add('PATCH', `/${coll}/${id}`, [404], { [key]: {} });
        add('DELETE', `/${coll}/${id}`, [404]);
      }
    }
    const P = f.project, U = f.user, G = f.group, R = f.role;
    for (const path of [
      `/users/${UNKNOWN}/projects`, `/users/${UNKNOWN}/groups`, `/users/${UNKNOWN}/application_credentials`, `/users/${UNKNOWN}/credentials/OS-EC2`,
      `/users/${f.adminId}/application_credentials/${UNKNOWN}`, `/users/${f.adminId}/application_credentials/bad-input-ac`, `/users/${f.adminId}/credentials/OS-EC2/${UNKNOWN}`,
      `/groups/${UNKNOWN}/users`, `/groups/${G}/users/${UNKNOWN}`, `/groups/${UNKNOWN}/users/${U}`, `/groups/${G}/users/${U}`,
      `/projects/${UNKNOWN}/tags`, `/projects/${P}/tags/nope`, `/roles/${UNKNOWN}/implies`, `/roles/${R}/implies/${UNKNOWN}`, `/roles/${UNKNOWN}/implies/${R}`,
      `/projects/${P}/users/${U}/roles/${R}`,
    ]) add('GET', path, [404]);
    const grantPaths = [
      `/projects/${UNKNOWN}/users/${U}/roles/${R}`, `/projects/${P}/users/${UNKNOWN}/roles/${R}`, `/projects/${P}/users/${U}/roles/${UNKNOWN}`,
      `/projects/demo/users/admin/roles/member`, `/projects/${P}/groups/${UNKNOWN}/roles/${R}`, `/domains/${UNKNOWN}/users/${U}/roles/${R}`,
      `/domains/default/groups/${UNKNOWN}/roles/${R}`, `/system/users/${UNKNOWN}/roles/${R}`, `/system/groups/${G}/roles/${UNKNOWN}`,
      `/OS-INHERIT/domains/${UNKNOWN}/users/${U}/roles/${R}/inherited_to_projects`, `/OS-INHERIT/projects/${P}/users/${UNKNOWN}/roles/${R}/inherited_to_projects`,
    ];
    for (const p of grantPaths) for (const m of ['PUT', 'GET', 'DELETE']) add(m, p, [404]);
    for (const m of ['PUT', 'DELETE']) add(m, `/roles/${R}/implies/${UNKNOWN}`, [404]);
    add('PUT', `/projects/${UNKNOWN}/tags/t`, [404]);
    add('PUT', `/projects/${UNKNOWN}/tags`, [404], { tags: ['a'] });
    add('PUT', `/groups/${G}/users/${UNKNOWN}`, [404]);
    add('DELETE', `/groups/${G}/users/${U}`, [404]);
    add('POST', `/users/${UNKNOWN}/password`, [401, 404], { user: { original_password: 'x', password: 'y' } });
    // Names where ids are expected, inside bodies.
    add('POST', '/projects', [404], { project: { name: 'by-name-1', domain_id: 'Default' } });
    add('POST', '/projects', [404], { project: { name: 'by-name-2', parent_id: 'admin' } });
    add('POST', '/users', [404], { user: { name: 'by-name-3', domain_id: 'Default' } });
    add('POST', '/users', [404], { user: { name: 'by-name-4', default_project_id: 'demo' } });
    add('PATCH', `/users/${U}`, [404], { user: { default_project_id: 'demo' } });
    add('POST', '/groups', [404], { group: { name: 'by-name-5', domain_id: 'Default' } });
    add('POST', '/roles', [404], { role: { name: 'by-name-6', domain_id: 'Default' } });
    add('POST', '/regions', [404], { region: { parent_region_id: 'no-such-region' } });
    add('PATCH', `/regions/${f.region}`, [404], { region: { parent_region_id: 'no-such-region' } });
    add('POST', '/endpoints', [404], { endpoint: { service_id: 'keystone', interface: 'public', url: 'http://x/' } });
    add('PATCH', `/endpoints/${f.endpoint}`, [404], { endpoint: { service_id: 'keystone' } });
    add('POST', '/credentials', [404], { credential: { user_id: 'admin', type: 'note', blob: 'x' } });
    add('POST', '/credentials', [404], { credential: { user_id: f.adminId, project_id: 'admin', type: 'note', blob: 'x' } });
    add('POST', `/users/${f.adminId}/credentials/OS-EC2`, [404], { tenant_id: 'admin' });
    add('POST', `/users/${f.adminId}/application_credentials`, [403, 404], { application_credential: { name: 'by-name-7', roles: [{ id: UNKNOWN }] } });
    add('GET', `/auth/tokens`, [400]);
    return out;
  }

  function queryCases(): BadCase[] {
    const out: BadCase[] = [];
    const add = (path: string, expect: number[], extra: Partial<BadCase> = {}) => out.push({ name: `GET ${path.slice(0, 120)}`, method: 'GET', path: `${V3}${path}`, expect, ...extra });
    for (const coll of ['/projects', '/users', '/domains']) {
      for (const v of ['maybe', '2', '-1', 'truee', 'null', '%00', 'on%20off']) add(`${coll}?enabled=${v}`, [400]);
      for (const v of ['', 'TRUE', 'false', '0', 'Yes']) add(`${coll}?enabled=${v}`, [200]);
    }
    const ok = [
      '/projects?name=' + 'n'.repeat(5000), '/projects?name=%zz', '/projects?name=%C3%A9', '/projects?tags=,,,', '/projects?tags-any=', '/projects?not-tags=a,,b',
      '/projects?domain_id=nope', '/projects?parent_id=nope', '/projects?name=a&name=b', '/projects?limit=-1', '/projects?marker=zzz', '/projects?sort_key=nope',
      '/projects?name[$ne]=x', '/projects?__proto__=x', '/projects?constructor=x', '/projects?name[]=a&name[]=b', '/projects?is_domain=false', '/projects?is_domain=true',
      '/users?name=&domain_id=', '/groups?name=%FF', '/roles?name=' + 'r'.repeat(3000), '/roles?domain_id=nope', '/regions?parent_region_id=', '/services?type=&name=',
      '/endpoints?interface=sideways&service_id=x&region_id=y', '/credentials?type=&user_id=', `/users/${f.adminId}/application_credentials?name=`,
      `/users/${f.adminId}/projects?name=nope`, '/role_assignments?scope.project.id=nope', '/role_assignments?user.id=x&group.id=y', '/role_assignments?scope.system=anything',
      '/role_assignments?scope.OS-INHERIT:inherited_to=projects', '/role_assignments?include_subtree&scope.project.id=' + f.project,
      '/projects?' + Array.from({ length: 500 }, (_, i) => `p${i}=${i}`).join('&'),
    ];
    for (const p of ok) add(p, [200]);
    for (const p of ['/projects?is_domain=banana', '/role_assignments?effective=nah', '/role_assignments?include_names=zz', '/role_assignments?include_subtree=q', `/users/${f.adminId}/projects?enabled=bad`]) add(p, [400]);
    add('/auth/tokens?nocatalog=perhaps', [400], { token: admin });
    // Malformed paths and methods nothing serves.
    for (const p of ['/projects/%zz', '/projects/%', `/projects/${f.project}/%E0%A4%A`, '/users/%C0%AF']) add(p, [400, 404]);
    for (const p of [`/projects/${'p'.repeat(2000)}`, `/users/${'u'.repeat(5000)}/projects`]) add(p, [404, 414]);
    for (const [m, p] of [
      ['PUT', '/projects'], ['DELETE', '/projects'], ['PATCH', '/auth/tokens'], ['PUT', '/auth/tokens'], ['POST', `/projects/${f.project}`], ['PUT', `/users/${f.user}`],
      ['POST', `/regions/${f.region}`], ['DELETE', '/auth/projects'], ['POST', ''], ['DELETE', '/role_assignments'], ['POST', '/role_assignments'], ['OPTIONS', '/projects'],
      ['GET', '/no-such-collection'], ['GET', `/projects/${f.project}/nothing-here`], ['POST', '/auth/catalog'], ['PATCH', '/regions'],
    ] as const) out.push({ name: `${m} ${p}`, method: m, path: `${V3}${p}`, expect: [404, 405] });
    return out;
  }

  it('answers at least 1,000 bad requests with 4xx in the Keystone error shape, never a 5xx', async (t) => {
    const cases = [...bodyCases(f), ...authCases(admin), ...tokenCases(), ...idCases(), ...queryCases()];
    assert.ok(cases.length >= 1000, `only ${cases.length} cases`);
    const byStatus = new Map<number, number>();
    const unexpected: string[] = [];
    const serverErrors: string[] = [];
    const badShape: string[] = [];
    const started = Date.now();
    const slow: [number, string][] = []; // BAD_INPUT_SLOW=1 prints the slowest cases
    await pool(cases, 8, async (bc) => {
      const headers: Record<string, string> = {};
      const token = bc.token === undefined ? admin : bc.token;
      if (token !== null) headers['x-auth-token'] = token;
      const hasBody = bc.body !== undefined;
      if (hasBody && bc.contentType !== null) headers['content-type'] = bc.contentType ?? 'application/json';
      const body = hasBody ? new Uint8Array(typeof bc.body === 'string' ? Buffer.from(bc.body) : bc.body!) : undefined;
      let status: number;
      let text: string;
      let res: Response;
      const t0 = Date.now();
      try {
        res = await fetch(c.url + bc.path, { method: bc.method, headers, body });
        status = res.status;
        text = await res.text();
      } catch (e) {
        serverErrors.push(`${bc.name}: request failed: ${(e as Error).message}`);
        return;
      }
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      if (process.env.BAD_INPUT_SLOW) slow.push([Date.now() - t0, bc.name.slice(0, 100)]);
      const what = `${bc.name} → ${status} ${text.slice(0, 160)}`;
      if (status >= 500) serverErrors.push(what);
      if (!bc.expect.includes(status)) unexpected.push(`${what} (expected ${bc.expect.join('/')})`);
      if (!res.headers.get('x-openstack-request-id')) badShape.push(`${what}: no x-openstack-request-id`);
      if (status >= 400 && bc.method !== 'HEAD') {
        let b: any;
        try {
          b = JSON.parse(text);
        } catch {
          b = undefined;
        }
        const okShape = b && b.error && Object.keys(b).length === 1 && b.error.code === status && typeof b.error.title === 'string' && typeof b.error.message === 'string' && b.error.message.length > 0;
        if (!okShape) badShape.push(what);
        if (status === 401 && res.headers.get('www-authenticate') !== `Keystone uri="${c.url}/identity"`) badShape.push(`${what}: WWW-Authenticate`);
      }
    });
    const counts = [...byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ');
    const summary = `${cases.length} bad requests in ${((Date.now() - started) / 1000).toFixed(1)} s; by status: ${counts}`;
    t.diagnostic(summary);
    console.log(summary);
    if (process.env.BAD_INPUT_SLOW) console.log(slow.sort((a, b) => b[0] - a[0]).slice(0, 15));
    // One assertion, so a failure shows every problem at once.
    assert.deepEqual({ serverErrors, badShape, unexpected }, { serverErrors: [], badShape: [], unexpected: [] });
    // The cloud is still healthy and working afterwards.
    assert.equal((await c.req('GET', '/health')).status, 200);
    assert.equal((await c.req('GET', `${V3}/projects/${f.project}`, { token: admin })).status, 200);
  });
});
