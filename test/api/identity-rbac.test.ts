import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertError, create, projectId, roleId, userId } from './helpers.js';

const V3 = '/identity/v3';

type Actor = 'admin' | 'demo' | 'demo_reader' | 'alt_demo';
const ACTORS: Actor[] = ['admin', 'demo', 'demo_reader', 'alt_demo'];

/**
 * The RBAC matrix: admin (admin on admin), demo (member on demo), demo_reader (reader on demo)
 * and alt_demo (member on alt_demo, a second tenant). Plus name lookups and duplicates.
 */
describe('identity: RBAC, name lookups and duplicates', () => {
  let c: TestCloud;
  const tok = {} as Record<Actor, string>;
  const uid = {} as Record<Actor, string>;
  let demoP: string;
  let altP: string;
  let adminP: string;
  let member: string;

  before(async () => {
    c = await startTestCloud();
    for (const a of ACTORS) tok[a] = await c.token(a);
    for (const a of ACTORS) uid[a] = await userId(c, tok.admin, a);
    demoP = await projectId(c, tok.admin, 'demo');
    altP = await projectId(c, tok.admin, 'alt_demo');
    adminP = await projectId(c, tok.admin, 'admin');
    member = await roleId(c, tok.admin, 'member');
  });
  after(async () => {
    await c?.close();
  });

  /** [method, path, body, expected status per actor] */
  type Row = [string, () => string, unknown, Record<Actor, number>];
  const all = (s: number): Record<Actor, number> => ({ admin: s, demo: s, demo_reader: s, alt_demo: s });
  const adminOnly = (ok: number): Record<Actor, number> => ({ admin: ok, demo: 403, demo_reader: 403, alt_demo: 403 });

  const readMatrix: Row[] = [
    ['GET', () => '/projects', undefined, adminOnly(200)],
    ['GET', () => `/projects/${demoP}`, undefined, { admin: 200, demo: 200, demo_reader: 200, alt_demo: 403 }],
    ['GET', () => `/projects/${altP}`, undefined, { admin: 200, demo: 403, demo_reader: 403, alt_demo: 200 }],
    ['GET', () => `/projects/${adminP}`, undefined, adminOnly(200)],
    ['GET', () => `/projects/${altP}/tags`, undefined, { admin: 200, demo: 403, demo_reader: 403, alt_demo: 200 }],
    ['GET', () => '/users', undefined, adminOnly(200)],
    ['GET', () => `/users/${uid.demo}`, undefined, { admin: 200, demo: 200, demo_reader: 403, alt_demo: 403 }],
    ['GET', () => `/users/${uid.alt_demo}`, undefined, { admin: 200, demo: 403, demo_reader: 403, alt_demo: 200 }],
    ['GET', () => `/users/${uid.demo}/projects`, undefined, { admin: 200, demo: 200, demo_reader: 403, alt_demo: 403 }],
    ['GET', () => `/users/${uid.demo}/groups`, undefined, { admin: 200, demo: 200, demo_reader: 403, alt_demo: 403 }],
    ['GET', () => `/users/${uid.demo}/application_credentials`, undefined, { admin: 200, demo: 200, demo_reader: 403, alt_demo: 403 }],
    ['GET', () => `/users/${uid.demo}/credentials/OS-EC2`, undefined, { admin: 200, demo: 200, demo_reader: 403, alt_demo: 403 }],
    ['GET', () => `/users/${uid.demo_reader}/credentials/OS-EC2`, undefined, { admin: 200, demo: 403, demo_reader: 200, alt_demo: 403 }],
    ['GET', () => '/domains', undefined, adminOnly(200)],
    ['GET', () => '/domains/default', undefined, all(200)],
    ['GET', () => '/groups', undefined, adminOnly(200)],
    ['GET', () => '/roles', undefined, adminOnly(200)],
    ['GET', () => `/roles/${member}`, undefined, adminOnly(200)],
    ['GET', () => '/role_assignments', undefined, adminOnly(200)],
    ['GET', () => `/projects/${demoP}/users/${uid.demo}/roles`, undefined, adminOnly(200)],
    ['GET', () => '/regions', undefined, all(200)],
    ['GET', () => '/services', undefined, adminOnly(200)],
    ['GET', () => '/endpoints', undefined, adminOnly(200)],
    ['GET', () => '/credentials', undefined, all(200)],
    ['GET', () => '/auth/projects', undefined, all(200)],
  ];

  it('read matrix', async () => {
    const failures: string[] = [];
    for (const [method, path, body, expect] of readMatrix) {
      for (const a of ACTORS) {
        const r = await c.req(method, `${V3}${path()}`, { token: tok[a], body });
        if (r.status !== expect[a]) failures.push(`${a} ${method} ${path()}: expected ${expect[a]}, got ${r.status} ${r.text.slice(0, 120)}`);
        else if (r.status >= 400) assertError(r, r.status);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('write matrix: only admin manages; a member writes only its own credentials; a reader writes nothing', async () => {
    const rows: Row[] = [
      ['POST', () => '/projects', { project: { name: uniqueName('rbac') } }, adminOnly(201)],
      ['PATCH', () => `/projects/${demoP}`, { project: { description: 'x' } }, adminOnly(200)],
      ['PUT', () => `/projects/${altP}/tags/t1`, undefined, adminOnly(201)],
      ['POST', () => '/users', { user: { name: uniqueName('rbac') } }, adminOnly(201)],
      ['PATCH', () => `/users/${uid.demo}`, { user: { description: 'x' } }, adminOnly(200)],
      ['POST', () => '/groups', { group: { name: uniqueName('rbac') } }, adminOnly(201)],
      ['POST', () => '/roles', { role: { name: uniqueName('rbac') } }, adminOnly(201)],
      ['POST', () => '/domains', { domain: { name: uniqueName('rbac') } }, adminOnly(201)],
      ['PUT', () => `/projects/${altP}/users/${uid.demo}/roles/${member}`, undefined, adminOnly(204)],
      ['DELETE', () => `/projects/${altP}/users/${uid.demo}/roles/${member}`, undefined, adminOnly(204)],
      ['POST', () => '/regions', { region: { id: uniqueName('rbac') } }, adminOnly(201)],
      ['POST', () => `/users/${uid.demo}/credentials/OS-EC2`, { tenant_id: demoP }, { admin: 201, demo: 201, demo_reader: 403, alt_demo: 403 }],
      ['POST', () => `/users/${uid.demo_reader}/credentials/OS-EC2`, { tenant_id: demoP }, { admin: 201, demo: 403, demo_reader: 403, alt_demo: 403 }],
      ['POST', () => '/credentials', { credential: { type: 'note', user_id: uid.demo_reader, blob: 'x' } }, { admin: 201, demo: 403, demo_reader: 403, alt_demo: 403 }],
      ['POST', () => `/users/${uid.demo_reader}/application_credentials`, { application_credential: { name: uniqueName('ac') } }, all(403)],
    ];
    const failures: string[] = [];
    for (const [method, path, body, expect] of rows) {
      // Admin last, so a refused write never depends on what the admin created.
      for (const a of ['demo', 'demo_reader', 'alt_demo', 'admin'] as Actor[]) {
        const b = body && JSON.parse(JSON.stringify(body).replace(/"name":"([^"]+)"/, `"name":"$1-${a}"`));
        const r = await c.req(method, `${V3}${path()}`, { token: tok[a], body: b });
        if (r.status !== expect[a]) failures.push(`${a} ${method} ${path()}: expected ${expect[a]}, got ${r.status} ${r.text.slice(0, 120)}`);
        else if (r.status >= 400) assertError(r, r.status);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('a member of project A sees nothing of project B', async () => {
    // alt_demo makes things in its own project.
    const ec2 = await c.req('POST', `${V3}/users/${uid.alt_demo}/credentials/OS-EC2`, { token: tok.alt_demo, body: { tenant_id: altP } });
    assert.equal(ec2.status, 201);
    const ac = await c.req('POST', `${V3}/users/${uid.alt_demo}/application_credentials`, {
      token: tok.alt_demo,
      body: { application_credential: { name: uniqueName('alt-ac') } },
    });
    assert.equal(ac.status, 201);
    const demo = tok.demo;
    const projects = await c.req('GET', `${V3}/auth/projects`, { token: demo });
    assert.ok(!projects.body.projects.some((p: any) => p.id === altP));
    const creds = await c.req('GET', `${V3}/credentials`, { token: demo });
    assert.ok(creds.body.credentials.every((x: any) => x.user_id === uid.demo));
    const credsFiltered = await c.req('GET', `${V3}/credentials?user_id=${uid.alt_demo}`, { token: demo });
    assert.ok(credsFiltered.body.credentials.every((x: any) => x.user_id === uid.demo));
    for (const path of [
      `/projects/${altP}`,
      `/projects/${altP}/tags`,
      `/users/${uid.alt_demo}`,
      `/users/${uid.alt_demo}/projects`,
      `/users/${uid.alt_demo}/credentials/OS-EC2`,
      `/users/${uid.alt_demo}/credentials/OS-EC2/${ec2.body.credential.access}`,
      `/users/${uid.alt_demo}/application_credentials`,
      `/users/${uid.alt_demo}/application_credentials/${ac.body.application_credential.id}`,
      `/role_assignments?scope.project.id=${altP}`,
      `/projects/${altP}/users/${uid.alt_demo}/roles`,
    ]) {
      const r = await c.req('GET', `${V3}${path}`, { token: demo });
      assert.ok(r.status === 403 || r.status === 404, `${path}: ${r.status} ${r.text.slice(0, 200)}`);
      assertError(r, r.status, path);
    }
    const credId = (await c.req('GET', `${V3}/credentials?user_id=${uid.alt_demo}`, { token: tok.admin })).body.credentials[0].id;
    assertError(await c.req('GET', `${V3}/credentials/${credId}`, { token: demo }), 404);
    // Nor can it act in project B.
    assertError(await c.req('DELETE', `${V3}/projects/${altP}`, { token: demo }), 403);
    assertError(await c.req('POST', `${V3}/users/${uid.demo}/credentials/OS-EC2`, { token: tok.alt_demo, body: { tenant_id: demoP } }), 403);
    const scopeToB = await c.req('POST', '/identity/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: demo } }, scope: { project: { id: altP } } } },
    });
    assertError(scopeToB, 401);
  });

  it('GET /projects/<name> is a 404: names are not ids', async () => {
    assertError(await c.req('GET', `${V3}/projects/demo`, { token: tok.admin }), 404);
    assertError(await c.req('GET', `${V3}/users/demo`, { token: tok.admin }), 404);
    assertError(await c.req('GET', `${V3}/roles/member`, { token: tok.admin }), 404);
    assertError(await c.req('GET', `${V3}/domains/Default`, { token: tok.admin }), 404);
    const r = await c.req('GET', `${V3}/projects/demo`, { token: tok.demo });
    assert.ok(r.status === 403 || r.status === 404, String(r.status));
    // The name lookup that clients fall back to.
    const byName = await c.req('GET', `${V3}/projects?name=demo`, { token: tok.admin });
    assert.deepEqual(byName.body.projects.map((p: any) => p.id), [demoP]);
  });

  it('duplicate names are 409; the same name in another domain is fine', async () => {
    const name = uniqueName('dup');
    await create(c, tok.admin, '/projects', 'project', { name });
    assertError(await c.req('POST', `${V3}/projects`, { token: tok.admin, body: { project: { name } } }), 409);
    await create(c, tok.admin, '/users', 'user', { name });
    assertError(await c.req('POST', `${V3}/users`, { token: tok.admin, body: { user: { name } } }), 409);
    await create(c, tok.admin, '/groups', 'group', { name });
    assertError(await c.req('POST', `${V3}/groups`, { token: tok.admin, body: { group: { name } } }), 409);
    await create(c, tok.admin, '/roles', 'role', { name });
    assertError(await c.req('POST', `${V3}/roles`, { token: tok.admin, body: { role: { name } } }), 409);
    const dom = await create(c, tok.admin, '/domains', 'domain', { name });
    assertError(await c.req('POST', `${V3}/domains`, { token: tok.admin, body: { domain: { name } } }), 409);
    // In the new domain the same project and user names are free.
    await create(c, tok.admin, '/projects', 'project', { name, domain_id: dom.id });
    await create(c, tok.admin, '/users', 'user', { name, domain_id: dom.id });
    // Renaming onto a taken name conflicts too.
    const other = await create(c, tok.admin, '/projects', 'project', { name: uniqueName('other') });
    assertError(await c.req('PATCH', `${V3}/projects/${other.id}`, { token: tok.admin, body: { project: { name } } }), 409);
    assert.equal((await c.req('GET', `${V3}/projects/${other.id}`, { token: tok.admin })).body.project.name, other.name);
    const r = await c.req('POST', `${V3}/projects`, { token: tok.admin, body: { project: { name: 'demo' } } });
    assertError(r, 409);
    assert.match(r.body.error.message, /demo/);
  });
});
