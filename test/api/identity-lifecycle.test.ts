import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertError, create, issue, passwordAuth, projectId, roleId, TOKENS, userId, validateStatus } from './helpers.js';

const V3 = '/identity/v3';

/** What happens to tokens when users, projects and grants change; roles and assignments. */
describe('identity: token lifecycle, roles and assignments', () => {
  let c: TestCloud;
  let admin: string;
  let member: string;
  let reader: string;

  before(async () => {
    c = await startTestCloud();
    admin = await c.token('admin');
    member = await roleId(c, admin, 'member');
    reader = await roleId(c, admin, 'reader');
  });
  after(async () => {
    await c?.close();
  });

  /** A fresh user with the member role on a fresh project. */
  async function tenant(password = 'pw-' + Math.random().toString(36).slice(2)) {
    const project = await create(c, admin, '/projects', 'project', { name: uniqueName('proj') });
    const user = await create(c, admin, '/users', 'user', { name: uniqueName('user'), password });
    const g = await c.req('PUT', `${V3}/projects/${project.id}/users/${user.id}/roles/${member}`, { token: admin });
    assert.equal(g.status, 204);
    const scoped = (pw = password) => passwordAuth({ id: user.id }, { project: { id: project.id } }, pw);
    const login = async (pw = password) => (await issue(c, scoped(pw))).token;
    return { project, user, password, scoped, login };
  }

  describe('revocation by events', () => {
    it('changing the password revokes the old tokens; the new password works, the old does not', async () => {
      const t = await tenant('old-password');
      const tok1 = await t.login();
      const unscoped = (await issue(c, passwordAuth({ id: t.user.id }, undefined, 'old-password'))).token;
      await new Promise((r) => setTimeout(r, 2));
      const wrong = await c.req('POST', `${V3}/users/${t.user.id}/password`, { body: { user: { original_password: 'nope', password: 'x' } } });
      assertError(wrong, 401);
      assert.equal(await validateStatus(c, admin, tok1), 200, 'a failed change revokes nothing');
      const r = await c.req('POST', `${V3}/users/${t.user.id}/password`, {
        token: tok1,
        body: { user: { original_password: 'old-password', password: 'new-password' } },
      });
      assert.equal(r.status, 204, r.text);
      assert.equal(await validateStatus(c, admin, tok1), 404);
      assert.equal(await validateStatus(c, admin, unscoped), 404);
      assertError(await c.req('POST', TOKENS, { body: t.scoped('old-password') }), 401);
      const tok2 = await t.login('new-password');
      assert.equal(await validateStatus(c, admin, tok2), 200);
    });

    it('an admin resetting a password with PATCH revokes the tokens too', async () => {
      const t = await tenant();
      const tok = await t.login();
      await new Promise((r) => setTimeout(r, 2));
      const p = await c.req('PATCH', `${V3}/users/${t.user.id}`, { token: admin, body: { user: { password: 'reset-by-admin' } } });
      assert.equal(p.status, 200);
      assert.equal(await validateStatus(c, admin, tok), 404);
      await t.login('reset-by-admin');
    });

    it('disabling a user invalidates its tokens, and they stay invalid after re-enabling', async () => {
      const t = await tenant();
      const tok = await t.login();
      await new Promise((r) => setTimeout(r, 2));
      const d = await c.req('PATCH', `${V3}/users/${t.user.id}`, { token: admin, body: { user: { enabled: false } } });
      assert.equal(d.status, 200);
      assert.equal(d.body.user.enabled, false);
      assert.equal(await validateStatus(c, admin, tok), 404);
      assertError(await c.req('GET', `${V3}/auth/projects`, { token: tok }), 401);
      assertError(await c.req('POST', TOKENS, { body: t.scoped() }), 401);
      await c.req('PATCH', `${V3}/users/${t.user.id}`, { token: admin, body: { user: { enabled: true } } });
      assert.equal(await validateStatus(c, admin, tok), 404);
      const fresh = await t.login();
      assert.equal(await validateStatus(c, admin, fresh), 200);
    });

    it('disabling a project invalidates its tokens; scoping to it is refused', async () => {
      const t = await tenant();
      const tok = await t.login();
      const unscoped = (await issue(c, passwordAuth({ id: t.user.id }, undefined, t.password))).token;
      await new Promise((r) => setTimeout(r, 2));
      const d = await c.req('PATCH', `${V3}/projects/${t.project.id}`, { token: admin, body: { project: { enabled: false } } });
      assert.equal(d.status, 200);
      assert.equal(await validateStatus(c, admin, tok), 404);
      assert.equal(await validateStatus(c, admin, unscoped), 200, 'an unscoped token is unaffected');
      assertError(await c.req('POST', TOKENS, { body: t.scoped() }), 401);
      const listed = await c.req('GET', `${V3}/auth/projects`, { token: unscoped });
      assert.deepEqual(listed.body.projects, [], 'a disabled project is not listed');
      await c.req('PATCH', `${V3}/projects/${t.project.id}`, { token: admin, body: { project: { enabled: true } } });
      assert.equal(await validateStatus(c, admin, tok), 404, 'revoked for good');
      await t.login();
    });

    it('deleting the role assignment makes a project-scoped token invalid', async () => {
      const t = await tenant();
      const tok = await t.login();
      assert.equal(await validateStatus(c, admin, tok), 200);
      const del = await c.req('DELETE', `${V3}/projects/${t.project.id}/users/${t.user.id}/roles/${member}`, { token: admin });
      assert.equal(del.status, 204);
      assert.equal(await validateStatus(c, admin, tok), 404);
      assertError(await c.req('POST', TOKENS, { body: t.scoped() }), 401);
      // Granting again makes a new token possible.
      await c.req('PUT', `${V3}/projects/${t.project.id}/users/${t.user.id}/roles/${reader}`, { token: admin });
      const again = await issue(c, t.scoped());
      assert.deepEqual(again.body.token.roles.map((r: any) => r.name), ['reader']);
    });

    it('deleting the project or the user invalidates the tokens', async () => {
      const t1 = await tenant();
      const tok1 = await t1.login();
      assert.equal((await c.req('DELETE', `${V3}/projects/${t1.project.id}`, { token: admin })).status, 204);
      assert.equal(await validateStatus(c, admin, tok1), 404);
      const t2 = await tenant();
      const tok2 = await t2.login();
      assert.equal((await c.req('DELETE', `${V3}/users/${t2.user.id}`, { token: admin })).status, 204);
      assert.equal(await validateStatus(c, admin, tok2), 404);
      assertError(await c.req('GET', `${V3}/users/${t2.user.id}`, { token: admin }), 404);
    });
  });

  describe('scopes that follow from other data', () => {
    it('a user with a default project gets a token scoped to it when no scope is asked for', async () => {
      const t = await tenant();
      await c.req('PATCH', `${V3}/users/${t.user.id}`, { token: admin, body: { user: { default_project_id: t.project.id } } });
      const { body } = await issue(c, passwordAuth({ id: t.user.id }, undefined, t.password));
      assert.equal(body.token.project?.id, t.project.id);
      // Without a role there, the token is unscoped instead of refused.
      await c.req('DELETE', `${V3}/projects/${t.project.id}/users/${t.user.id}/roles/${member}`, { token: admin });
      const again = await issue(c, passwordAuth({ id: t.user.id }, undefined, t.password));
      assert.equal(again.body.token.project, undefined);
    });

    it('an inherited domain grant reaches the projects of the domain; disabling the domain ends the tokens', async () => {
      const dom = await create(c, admin, '/domains', 'domain', { name: uniqueName('dom') });
      const project = await create(c, admin, '/projects', 'project', { name: uniqueName('inh'), domain_id: dom.id });
      const user = await create(c, admin, '/users', 'user', { name: uniqueName('inh'), password: 'pw' });
      const g = await c.req('PUT', `${V3}/OS-INHERIT/domains/${dom.id}/users/${user.id}/roles/${member}/inherited_to_projects`, { token: admin });
      assert.equal(g.status, 204);
      const { token, body } = await issue(c, passwordAuth({ id: user.id }, { project: { id: project.id } }, 'pw'));
      assert.deepEqual(body.token.roles.map((r: any) => r.name).sort(), ['member', 'reader']);
      // The grant is on the domain's projects, not on the domain itself.
      assertError(await c.req('POST', TOKENS, { body: passwordAuth({ id: user.id }, { domain: { id: dom.id } }, 'pw') }), 401);
      const eff = await c.req('GET', `${V3}/role_assignments?user.id=${user.id}&effective`, { token: admin });
      assert.ok(eff.body.role_assignments.every((a: any) => a.scope.project?.id === project.id));
      assert.ok(eff.body.role_assignments[0].links.assignment.includes(`/OS-INHERIT/domains/${dom.id}/`));
      assert.equal((await c.req('PATCH', `${V3}/domains/${dom.id}`, { token: admin, body: { domain: { enabled: false } } })).status, 200);
      assert.equal(await validateStatus(c, admin, token), 404);
      // An enabled domain cannot be deleted; a disabled one takes its projects with it.
      const d2 = await create(c, admin, '/domains', 'domain', { name: uniqueName('dom') });
      assertError(await c.req('DELETE', `${V3}/domains/${d2.id}`, { token: admin }), 403);
      assert.equal((await c.req('DELETE', `${V3}/domains/${dom.id}`, { token: admin })).status, 204);
      assertError(await c.req('GET', `${V3}/projects/${project.id}`, { token: admin }), 404);
    });

    it('deleting a role takes it out of existing tokens', async () => {
      const t = await tenant();
      const extra = await create(c, admin, '/roles', 'role', { name: uniqueName('gone') });
      await c.req('PUT', `${V3}/projects/${t.project.id}/users/${t.user.id}/roles/${extra.id}`, { token: admin });
      const tok = await t.login();
      const names = async () => (await c.req('GET', TOKENS, { token: admin, headers: { 'x-subject-token': tok } })).body.token.roles.map((r: any) => r.name).sort();
      assert.deepEqual(await names(), ['member', extra.name, 'reader'].sort());
      assert.equal((await c.req('DELETE', `${V3}/roles/${extra.id}`, { token: admin })).status, 204);
      assert.deepEqual(await names(), ['member', 'reader']);
    });
  });

  describe('implied roles', () => {
    const roleNames = (body: any) => body.token.roles.map((r: any) => r.name).sort();

    it('tokens carry implied roles: admin ⊃ member ⊃ reader', async () => {
      const v = await c.req('GET', TOKENS, { token: admin, headers: { 'x-subject-token': admin } });
      assert.deepEqual(roleNames(v.body), ['admin', 'member', 'reader']);
      const demo = await c.req('GET', TOKENS, { token: admin, headers: { 'x-subject-token': await c.token('demo') } });
      assert.deepEqual(roleNames(demo.body), ['anotherrole', 'member', 'reader']);
      const rd = await c.req('GET', TOKENS, { token: admin, headers: { 'x-subject-token': await c.token('demo_reader') } });
      assert.deepEqual(roleNames(rd.body), ['reader']);
    });

    it('a new implication shows in new validations; removing it takes it away', async () => {
      const prior = await create(c, admin, '/roles', 'role', { name: uniqueName('prior') });
      const implied = await create(c, admin, '/roles', 'role', { name: uniqueName('implied') });
      const t = await tenant();
      await c.req('PUT', `${V3}/projects/${t.project.id}/users/${t.user.id}/roles/${prior.id}`, { token: admin });
      const put = await c.req('PUT', `${V3}/roles/${prior.id}/implies/${implied.id}`, { token: admin });
      assert.equal(put.status, 201);
      assert.equal(put.body.role_inference.prior_role.id, prior.id);
      assert.equal(put.body.role_inference.implies.id, implied.id);
      const tok = await t.login();
      const names = async () => roleNames((await c.req('GET', TOKENS, { token: admin, headers: { 'x-subject-token': tok } })).body);
      assert.deepEqual(await names(), [implied.name, 'member', prior.name, 'reader'].sort());
      assert.equal((await c.req('GET', `${V3}/roles/${prior.id}/implies/${implied.id}`, { token: admin })).status, 200);
      const inf = await c.req('GET', `${V3}/role_inferences`, { token: admin });
      assert.ok(inf.body.role_inferences.some((i: any) => i.prior_role.id === prior.id && i.implies.some((x: any) => x.id === implied.id)));
      assert.equal((await c.req('DELETE', `${V3}/roles/${prior.id}/implies/${implied.id}`, { token: admin })).status, 204);
      assert.deepEqual(await names(), ['member', prior.name, 'reader'].sort());
      assertError(await c.req('GET', `${V3}/roles/${prior.id}/implies/${implied.id}`, { token: admin }), 404);
      // Cycles and self-implication are refused.
      assertError(await c.req('PUT', `${V3}/roles/${prior.id}/implies/${prior.id}`, { token: admin }), 400);
      await c.req('PUT', `${V3}/roles/${prior.id}/implies/${implied.id}`, { token: admin });
      assertError(await c.req('PUT', `${V3}/roles/${implied.id}/implies/${prior.id}`, { token: admin }), 400);
    });
  });

  describe('role assignments', () => {
    it('filters by user, project, role; effective expands groups and implied roles', async () => {
      const project = await create(c, admin, '/projects', 'project', { name: uniqueName('ra') });
      const user = await create(c, admin, '/users', 'user', { name: uniqueName('ra-user'), password: 'pw' });
      const group = await create(c, admin, '/groups', 'group', { name: uniqueName('ra-group') });
      assert.equal((await c.req('PUT', `${V3}/groups/${group.id}/users/${user.id}`, { token: admin })).status, 204);
      assert.equal((await c.req('PUT', `${V3}/projects/${project.id}/groups/${group.id}/roles/${member}`, { token: admin })).status, 204);
      assert.equal((await c.req('PUT', `${V3}/projects/${project.id}/users/${user.id}/roles/${reader}`, { token: admin })).status, 204);
      const q = async (query: string) => {
        const r = await c.req('GET', `${V3}/role_assignments?${query}`, { token: admin });
        assert.equal(r.status, 200, r.text);
        return r.body.role_assignments as any[];
      };
      const direct = await q(`user.id=${user.id}`);
      assert.equal(direct.length, 1);
      assert.deepEqual(direct[0].user, { id: user.id });
      assert.deepEqual(direct[0].role, { id: reader });
      assert.deepEqual(direct[0].scope, { project: { id: project.id } });
      assert.match(direct[0].links.assignment, new RegExp(`/projects/${project.id}/users/${user.id}/roles/${reader}$`));

      const onProject = await q(`scope.project.id=${project.id}`);
      assert.equal(onProject.length, 2);
      assert.ok(onProject.some((a) => a.group?.id === group.id && a.role.id === member));
      assert.equal((await q(`group.id=${group.id}`)).length, 1);
      assert.equal((await q(`scope.project.id=${project.id}&role.id=${member}`)).length, 1);

      const eff = await q(`user.id=${user.id}&effective`);
      // reader directly; member via the group, plus reader implied by member.
      const viaGroup = eff.filter((a) => a.links.membership);
      assert.ok(eff.every((a) => a.user?.id === user.id && !a.group));
      assert.deepEqual(eff.map((a) => a.role.id).sort(), [member, reader, reader].sort());
      assert.equal(viaGroup.length, 2);
      assert.ok(viaGroup.every((a) => a.links.membership.endsWith(`/groups/${group.id}/users/${user.id}`)));
      const impliedRow = eff.find((a) => a.links.prior_role);
      assert.ok(impliedRow, 'an implied-role row');
      assert.match(impliedRow.links.prior_role, new RegExp(`/roles/${member}/implies/${reader}$`));

      const named = await q(`user.id=${user.id}&include_names`);
      assert.equal(named[0].user.name, user.name);
      assert.equal(named[0].role.name, 'reader');
      assert.equal(named[0].scope.project.name, project.name);
      assert.deepEqual(named[0].user.domain, { id: 'default', name: 'Default' });

      // The group member's token has the group's role.
      const tok = await issue(c, passwordAuth({ id: user.id }, { project: { id: project.id } }, 'pw'));
      assert.deepEqual(tok.body.token.roles.map((r: any) => r.name).sort(), ['member', 'reader']);
      // Leaving the group takes it away.
      assert.equal((await c.req('DELETE', `${V3}/groups/${group.id}/users/${user.id}`, { token: admin })).status, 204);
      const v = await c.req('GET', TOKENS, { token: admin, headers: { 'x-subject-token': tok.token } });
      assert.deepEqual(v.body.token.roles.map((r: any) => r.name), ['reader']);
      assert.deepEqual((await q(`user.id=${user.id}&effective`)).map((a) => a.role.id), [reader]);
    });

    it('domain and system assignments, and the admin bootstrap grants', async () => {
      const adminId = await userId(c, admin, 'admin');
      const rows = async (query: string) => (await c.req('GET', `${V3}/role_assignments?${query}`, { token: admin })).body.role_assignments as any[];
      const sys = await rows(`user.id=${adminId}&scope.system`);
      assert.equal(sys.length, 1);
      assert.deepEqual(sys[0].scope, { system: { all: true } });
      const dom = await rows(`scope.domain.id=default`);
      assert.ok(dom.some((a) => a.user?.id === adminId));
      const demoProj = await projectId(c, admin, 'demo');
      const onDemo = await rows(`scope.project.id=${demoProj}&effective&include_names`);
      const who = new Set(onDemo.map((a) => a.user.name));
      assert.deepEqual([...who].sort(), ['admin', 'demo', 'demo_reader']);
    });

    it('grant checks: HEAD/GET of a grant, and listing roles on a project for a user', async () => {
      const t = await tenant();
      const path = `${V3}/projects/${t.project.id}/users/${t.user.id}/roles`;
      assert.equal((await c.req('GET', `${path}/${member}`, { token: admin })).status, 204);
      assert.equal((await c.req('HEAD', `${path}/${member}`, { token: admin })).status, 204);
      assertError(await c.req('GET', `${path}/${reader}`, { token: admin }), 404);
      const list = await c.req('GET', path, { token: admin });
      assert.deepEqual(list.body.roles.map((r: any) => r.name), ['member']);
      assertError(await c.req('PUT', `${path}/ffffffffffffffffffffffffffffffff`, { token: admin }), 404);
      assertError(await c.req('PUT', `${V3}/projects/nope/users/${t.user.id}/roles/${member}`, { token: admin }), 404);
      assertError(await c.req('DELETE', `${path}/${reader}`, { token: admin }), 404);
    });
  });
});
