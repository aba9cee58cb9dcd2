import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertError, byName, issue, passwordAuth, projectId, TOKENS, userId, validateStatus } from './helpers.js';

const V3 = '/identity/v3';

/** Application credentials and EC2 credentials (both APIs). */
describe('identity: application and EC2 credentials', () => {
  let c: TestCloud;
  let admin: string;
  let demo: string;
  let demoId: string;
  let demoProject: string;
  let altDemo: string;

  before(async () => {
    c = await startTestCloud();
    admin = await c.token('admin');
    demo = await c.token('demo');
    altDemo = await c.token('alt_demo');
    demoId = await userId(c, admin, 'demo');
    demoProject = await projectId(c, admin, 'demo');
  });
  after(async () => {
    await c?.close();
  });

  const appCredAuth = (ac: Record<string, unknown>, scope?: unknown) => ({
    auth: { identity: { methods: ['application_credential'], application_credential: ac }, ...(scope ? { scope } : {}) },
  });
  const createAppCred = async (token: string, body: Record<string, unknown>, user = demoId) => {
    const r = await c.req('POST', `${V3}/users/${user}/application_credentials`, { token, body: { application_credential: body } });
    return r;
  };

  describe('application credentials', () => {
    it('create, authenticate by id and by name, list and get without the secret', async () => {
      const name = uniqueName('ac');
      const r = await createAppCred(demo, { name, description: 'for CI' });
      assert.equal(r.status, 201, r.text);
      const ac = r.body.application_credential;
      assert.equal(ac.name, name);
      assert.equal(ac.project_id, demoProject);
      assert.equal(ac.user_id, demoId);
      assert.equal(ac.unrestricted, false);
      assert.equal(ac.expires_at, null);
      assert.equal(typeof ac.secret, 'string');
      assert.ok(ac.secret.length >= 32);
      assert.deepEqual(ac.roles.map((x: any) => x.name).sort(), ['anotherrole', 'member', 'reader']);

      const byId = await issue(c, appCredAuth({ id: ac.id, secret: ac.secret }));
      const t = byId.body.token;
      assert.deepEqual(t.methods, ['application_credential']);
      assert.equal(t.project.id, demoProject);
      assert.equal(t.user.id, demoId);
      assert.deepEqual(t.application_credential, { id: ac.id, name, restricted: true });
      assert.ok(Array.isArray(t.catalog));

      const byName2 = await issue(c, appCredAuth({ name, secret: ac.secret, user: byName('demo') }));
      assert.equal(byName2.body.token.project.id, demoProject);
      const byUserId = await issue(c, appCredAuth({ name, secret: ac.secret, user: { id: demoId } }));
      assert.equal(byUserId.body.token.application_credential.id, ac.id);

      const list = await c.req('GET', `${V3}/users/${demoId}/application_credentials`, { token: demo });
      assert.equal(list.status, 200);
      const mine = list.body.application_credentials.find((x: any) => x.id === ac.id);
      assert.ok(mine);
      assert.equal(mine.secret, undefined);
      const filtered = await c.req('GET', `${V3}/users/${demoId}/application_credentials?name=${name}`, { token: demo });
      assert.deepEqual(filtered.body.application_credentials.map((x: any) => x.id), [ac.id]);
      const one = await c.req('GET', `${V3}/users/${demoId}/application_credentials/${ac.id}`, { token: demo });
      assert.equal(one.status, 200);
      assert.equal(one.body.application_credential.secret, undefined);
      assert.equal(one.body.application_credential.name, name);

      // Names are unique per user.
      assertError(await createAppCred(demo, { name }), 409);
    });

    it('a wrong secret, an unknown id or another project is 401', async () => {
      const r = await createAppCred(demo, { name: uniqueName('ac'), secret: 'my-own-secret' });
      assert.equal(r.status, 201);
      const ac = r.body.application_credential;
      assert.equal(ac.secret, 'my-own-secret');
      assertError(await c.req('POST', TOKENS, { body: appCredAuth({ id: ac.id, secret: 'wrong' }) }), 401);
      assertError(await c.req('POST', TOKENS, { body: appCredAuth({ id: 'ffffffffffffffffffffffffffffffff', secret: 'x' }) }), 401);
      const alt = await projectId(c, admin, 'alt_demo');
      assertError(await c.req('POST', TOKENS, { body: appCredAuth({ id: ac.id, secret: 'my-own-secret' }, { project: { id: alt } }) }), 401);
      // Scoping explicitly to its own project is fine.
      await issue(c, appCredAuth({ id: ac.id, secret: 'my-own-secret' }, { project: { id: demoProject } }));
    });

    it('restrictions: role subset, no rescoping, no creating more, delete revokes', async () => {
      const r = await createAppCred(demo, { name: uniqueName('ac'), roles: [{ name: 'reader' }] });
      assert.equal(r.status, 201, r.text);
      const ac = r.body.application_credential;
      assert.deepEqual(ac.roles.map((x: any) => x.name), ['reader']);
      const { token, body } = await issue(c, appCredAuth({ id: ac.id, secret: ac.secret }));
      assert.deepEqual(body.token.roles.map((x: any) => x.name), ['reader']);

      // A reader-only token cannot write.
      assertError(await c.req('POST', `${V3}/users/${demoId}/credentials/OS-EC2`, { token, body: { tenant_id: demoProject } }), 403);
      // A restricted application credential cannot make more.
      assertError(await createAppCred(token, { name: uniqueName('child') }), 403);
      // Its tokens cannot be rescoped.
      const rescope = await c.req('POST', TOKENS, { body: { auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { id: demoProject } } } } });
      assertError(rescope, 401);
      // A role the creating token does not carry is refused.
      assertError(await createAppCred(demo, { name: uniqueName('ac'), roles: [{ name: 'admin' }] }), 403);
      // Only a project-scoped token creates one.
      const unscoped = (await issue(c, passwordAuth(byName('demo')))).token;
      assertError(await createAppCred(unscoped, { name: uniqueName('ac') }), 403);
      // Expiry in the past is refused.
      assertError(await createAppCred(demo, { name: uniqueName('ac'), expires_at: '2001-01-01T00:00:00' }), 400);
      assertError(await createAppCred(demo, { name: uniqueName('ac'), expires_at: 'tomorrow-ish' }), 400);

      // Deleting it invalidates its tokens.
      assert.equal(await validateStatus(c, admin, token), 200);
      const d = await c.req('DELETE', `${V3}/users/${demoId}/application_credentials/${ac.id}`, { token: demo });
      assert.equal(d.status, 204);
      assert.equal(await validateStatus(c, admin, token), 404);
      assertError(await c.req('POST', TOKENS, { body: appCredAuth({ id: ac.id, secret: ac.secret }) }), 401);
      assertError(await c.req('GET', `${V3}/users/${demoId}/application_credentials/${ac.id}`, { token: demo }), 404);
    });

    it('an unrestricted one may create application credentials; expiry caps the token', async () => {
      const exp = new Date(Date.now() + 10 * 60_000).toISOString();
      const r = await createAppCred(demo, { name: uniqueName('ac'), unrestricted: true, expires_at: exp });
      assert.equal(r.status, 201, r.text);
      const ac = r.body.application_credential;
      assert.equal(ac.unrestricted, true);
      assert.equal(Date.parse(ac.expires_at), Date.parse(exp));
      const { token, body } = await issue(c, appCredAuth({ id: ac.id, secret: ac.secret }));
      assert.ok(Date.parse(body.token.expires_at) <= Date.parse(exp));
      assert.equal(body.token.application_credential.restricted, false);
      const child = await createAppCred(token, { name: uniqueName('child') });
      assert.equal(child.status, 201, child.text);
    });

    it("another user's application credentials are out of reach", async () => {
      const r = await createAppCred(demo, { name: uniqueName('ac') });
      const ac = r.body.application_credential;
      assertError(await c.req('GET', `${V3}/users/${demoId}/application_credentials`, { token: altDemo }), 403);
      assertError(await c.req('GET', `${V3}/users/${demoId}/application_credentials/${ac.id}`, { token: altDemo }), 403);
      assertError(await c.req('DELETE', `${V3}/users/${demoId}/application_credentials/${ac.id}`, { token: altDemo }), 403);
      assertError(await createAppCred(altDemo, { name: uniqueName('ac') }), 403);
      const altId = await userId(c, admin, 'alt_demo');
      assertError(await c.req('GET', `${V3}/users/${altId}/application_credentials/${ac.id}`, { token: altDemo }), 404);
      // An admin may read and delete, but never create one for someone else.
      assert.equal((await c.req('GET', `${V3}/users/${demoId}/application_credentials/${ac.id}`, { token: admin })).status, 200);
      assertError(await createAppCred(admin, { name: uniqueName('ac') }), 403);
    });
  });

  describe('EC2 credentials', () => {
    it('OS-EC2: create, list, get, and the same credential through /v3/credentials', async () => {
      const r = await c.req('POST', `${V3}/users/${demoId}/credentials/OS-EC2`, { token: demo, body: { tenant_id: demoProject } });
      assert.equal(r.status, 201, r.text);
      const cred = r.body.credential;
      assert.equal(cred.user_id, demoId);
      assert.equal(cred.tenant_id, demoProject);
      assert.match(cred.access, /^[0-9a-f]{32}$/);
      assert.match(cred.secret, /^[0-9a-f]{32}$/);
      assert.equal(cred.trust_id, null);
      assert.ok(cred.links.self.endsWith(`/users/${demoId}/credentials/OS-EC2/${cred.access}`));

      const list = await c.req('GET', `${V3}/users/${demoId}/credentials/OS-EC2`, { token: demo });
      assert.ok(list.body.credentials.some((x: any) => x.access === cred.access && x.secret === cred.secret));
      const one = await c.req('GET', `${V3}/users/${demoId}/credentials/OS-EC2/${cred.access}`, { token: demo });
      assert.equal(one.status, 200);
      assert.equal(one.body.credential.secret, cred.secret);

      const id = createHash('sha256').update(cred.access).digest('hex');
      const generic = await c.req('GET', `${V3}/credentials/${id}`, { token: demo });
      assert.equal(generic.status, 200, generic.text);
      assert.equal(generic.body.credential.type, 'ec2');
      assert.equal(generic.body.credential.project_id, demoProject);
      assert.deepEqual(JSON.parse(generic.body.credential.blob), { access: cred.access, secret: cred.secret, trust_id: null });
      const typed = await c.req('GET', `${V3}/credentials?type=ec2`, { token: demo });
      assert.ok(typed.body.credentials.some((x: any) => x.id === id));

      // Deleting through OS-EC2 removes it from /v3/credentials too.
      assert.equal((await c.req('DELETE', `${V3}/users/${demoId}/credentials/OS-EC2/${cred.access}`, { token: demo })).status, 204);
      assertError(await c.req('GET', `${V3}/credentials/${id}`, { token: demo }), 404);
      assertError(await c.req('GET', `${V3}/users/${demoId}/credentials/OS-EC2/${cred.access}`, { token: demo }), 404);
    });

    it('/v3/credentials: an ec2 blob is visible through OS-EC2, and deleting it there removes it', async () => {
      const access = `acc${Math.random().toString(16).slice(2)}`;
      const blob = JSON.stringify({ access, secret: 'sekrit' });
      const r = await c.req('POST', `${V3}/credentials`, { token: demo, body: { credential: { type: 'ec2', user_id: demoId, project_id: demoProject, blob } } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.credential.id, createHash('sha256').update(access).digest('hex'));
      const viaEc2 = await c.req('GET', `${V3}/users/${demoId}/credentials/OS-EC2/${access}`, { token: demo });
      assert.equal(viaEc2.status, 200);
      assert.equal(viaEc2.body.credential.secret, 'sekrit');
      assert.equal(viaEc2.body.credential.tenant_id, demoProject);
      // The same access key again conflicts.
      assertError(await c.req('POST', `${V3}/credentials`, { token: demo, body: { credential: { type: 'ec2', user_id: demoId, project_id: demoProject, blob } } }), 409);
      // An ec2 credential needs a project and a JSON blob with an access key.
      assertError(await c.req('POST', `${V3}/credentials`, { token: demo, body: { credential: { type: 'ec2', user_id: demoId, blob } } }), 400);
      assertError(await c.req('POST', `${V3}/credentials`, { token: demo, body: { credential: { type: 'ec2', user_id: demoId, project_id: demoProject, blob: 'not json' } } }), 400);
      // Keystone lets a blob update change the access key; the id stays, OS-EC2 follows the new key.
      const access2 = `${access}-new`;
      const patch = await c.req('PATCH', `${V3}/credentials/${r.body.credential.id}`, { token: demo, body: { credential: { blob: JSON.stringify({ access: access2, secret: 's2' }) } } });
      assert.equal(patch.status, 200, patch.text);
      assert.equal(patch.body.credential.id, r.body.credential.id);
      assertError(await c.req('GET', `${V3}/users/${demoId}/credentials/OS-EC2/${access}`, { token: demo }), 404);
      const moved = await c.req('GET', `${V3}/users/${demoId}/credentials/OS-EC2/${access2}`, { token: demo });
      assert.equal(moved.status, 200, moved.text);
      assert.equal(moved.body.credential.secret, 's2');
      assert.equal((await c.req('DELETE', `${V3}/credentials/${r.body.credential.id}`, { token: demo })).status, 204);
      assertError(await c.req('GET', `${V3}/users/${demoId}/credentials/OS-EC2/${access2}`, { token: demo }), 404);
    });

    it('generic credentials: CRUD, and other users see none of them', async () => {
      const r = await c.req('POST', `${V3}/credentials`, { token: demo, body: { credential: { type: 'totp', user_id: demoId, blob: 'abc' } } });
      assert.equal(r.status, 201, r.text);
      const id = r.body.credential.id;
      const p = await c.req('PATCH', `${V3}/credentials/${id}`, { token: demo, body: { credential: { blob: 'def' } } });
      assert.equal(p.body.credential.blob, 'def');
      assertError(await c.req('GET', `${V3}/credentials/${id}`, { token: altDemo }), 404);
      assertError(await c.req('PATCH', `${V3}/credentials/${id}`, { token: altDemo, body: { credential: { blob: 'x' } } }), 404);
      assertError(await c.req('DELETE', `${V3}/credentials/${id}`, { token: altDemo }), 404);
      const altList = await c.req('GET', `${V3}/credentials`, { token: altDemo });
      assert.ok(!altList.body.credentials.some((x: any) => x.id === id));
      const altFiltered = await c.req('GET', `${V3}/credentials?user_id=${demoId}`, { token: altDemo });
      assert.ok(altFiltered.body.credentials.every((x: any) => x.user_id !== demoId), 'user_id filter cannot widen a non-admin view');
      assertError(await c.req('GET', `${V3}/users/${demoId}/credentials/OS-EC2`, { token: altDemo }), 403);
      assertError(await c.req('POST', `${V3}/users/${demoId}/credentials/OS-EC2`, { token: altDemo, body: { tenant_id: demoProject } }), 403);
      assertError(await c.req('POST', `${V3}/credentials`, { token: altDemo, body: { credential: { type: 'totp', user_id: demoId, blob: 'x' } } }), 403);
      const adminSees = await c.req('GET', `${V3}/credentials?user_id=${demoId}`, { token: admin });
      assert.ok(adminSees.body.credentials.some((x: any) => x.id === id));
      assert.equal((await c.req('DELETE', `${V3}/credentials/${id}`, { token: demo })).status, 204);
      assertError(await c.req('GET', `${V3}/credentials/${id}`, { token: demo }), 404);
    });

    it('OS-EC2 for an unknown project or user is 404', async () => {
      assertError(await c.req('POST', `${V3}/users/${demoId}/credentials/OS-EC2`, { token: demo, body: { tenant_id: 'ffffffffffffffffffffffffffffffff' } }), 404);
      assertError(await c.req('POST', `${V3}/users/ffffffffffffffffffffffffffffffff/credentials/OS-EC2`, { token: admin, body: { tenant_id: demoProject } }), 404);
      assertError(await c.req('POST', `${V3}/users/${demoId}/credentials/OS-EC2`, { token: demo, body: {} }), 400);
    });
  });
});
