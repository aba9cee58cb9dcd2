import type { FastifyInstance } from 'fastify';
import { q, qBool } from '../../../core/validate.js';
import type { IdentityRouteDeps } from '../index.js';
import { SYSTEM_ALL, type AssignmentQuery, type AssignmentRow } from '../logic/assignments.js';
import type { ActorType, Assignment, TargetType } from '../logic/models.js';
import { authorize } from '../policy.js';
import { collection, roleView } from '../views/resources.js';

type Grant = { Params: { target: string; actor: string; role: string } };
type List = { Params: { target: string; actor: string } };

/**
 * Role grants on projects, domains and the system (plus OS-INHERIT), and the
 * `/role_assignments` query.
 */
export function assignmentRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  const { identity, link, v3 } = deps;
  const combos: { prefix: string; targetType: TargetType; actorType: ActorType; inherited: boolean }[] = [];
  for (const actorType of ['user', 'group'] as const) {
    combos.push({ prefix: `/projects/:target/${actorType}s/:actor/roles`, targetType: 'project', actorType, inherited: false });
    combos.push({ prefix: `/domains/:target/${actorType}s/:actor/roles`, targetType: 'domain', actorType, inherited: false });
    combos.push({ prefix: `/system/${actorType}s/:actor/roles`, targetType: 'system', actorType, inherited: false });
    combos.push({ prefix: `/OS-INHERIT/domains/:target/${actorType}s/:actor/roles`, targetType: 'domain', actorType, inherited: true });
    combos.push({ prefix: `/OS-INHERIT/projects/:target/${actorType}s/:actor/roles`, targetType: 'project', actorType, inherited: true });
  }
  for (const c of combos) {
    const suffix = c.inherited ? '/inherited_to_projects' : '';
    const assignment = (p: Grant['Params']): Assignment => ({
      actorType: c.actorType,
      actorId: p.actor,
      targetType: c.targetType,
      targetId: c.targetType === 'system' ? SYSTEM_ALL : p.target,
      roleId: p.role,
      inherited: c.inherited,
    });
    app.put<Grant>(`${c.prefix}/:role${suffix}`, async (req, reply) => {
      authorize(req.auth, 'identity:manage_grants');
      await identity.assignments.grant(assignment(req.params));
      reply.code(204).send();
    });
    // GET answers HEAD too (Fastify exposes HEAD for every GET route).
    app.get<Grant>(`${c.prefix}/:role${suffix}`, async (req, reply) => {
      authorize(req.auth, 'identity:list_role_assignments');
      await identity.assignments.check(assignment(req.params));
      reply.code(204).send();
    });
    app.delete<Grant>(`${c.prefix}/:role${suffix}`, async (req, reply) => {
      authorize(req.auth, 'identity:manage_grants');
      await identity.assignments.revoke(assignment(req.params));
      reply.code(204).send();
    });
    app.get<List>(`${c.prefix}${suffix}`, async (req) => {
      authorize(req.auth, 'identity:list_role_assignments');
      const targetId = c.targetType === 'system' ? SYSTEM_ALL : req.params.target;
      const roles = await identity.assignments.rolesOn(c.actorType, req.params.actor, c.targetType, targetId, c.inherited);
      return collection('roles', roles.map((r) => roleView(r, link)), `${v3()}${req.url.replace(/^\/identity\/v3/, '').split('?')[0]}`);
    });
  }

  app.get('/role_assignments', async (req) => {
    authorize(req.auth, 'identity:list_role_assignments');
    const query: AssignmentQuery = {};
    const set = <K extends keyof AssignmentQuery>(k: K, v: AssignmentQuery[K] | undefined) => {
      if (v !== undefined) query[k] = v;
    };
    set('userId', q(req.query, 'user.id'));
    set('groupId', q(req.query, 'group.id'));
    set('roleId', q(req.query, 'role.id'));
    set('projectId', q(req.query, 'scope.project.id'));
    set('domainId', q(req.query, 'scope.domain.id'));
    if (q(req.query, 'scope.system') !== undefined) query.system = true;
    if (q(req.query, 'scope.OS-INHERIT:inherited_to') !== undefined) query.inherited = true;
    set('effective', qBool(req.query, 'effective'));
    set('includeSubtree', qBool(req.query, 'include_subtree'));
    const names = qBool(req.query, 'include_names') ?? false;
    const rows = await identity.assignments.query(query);
    const items = await Promise.all(rows.map((r) => assignmentView(r, names, deps)));
    return collection('role_assignments', items, `${v3()}/role_assignments`);
  });
}

async function assignmentView(r: AssignmentRow, names: boolean, { identity, link }: IdentityRouteDeps) {
  const domainRef = async (id: string) => ({ id, ...(names ? { name: (await identity.domains.find(id))?.name } : {}) });
  const role = await identity.roles.find(r.roleId);
  const out: Record<string, unknown> = {
    role: { id: r.roleId, ...(names && role ? { name: role.name, ...(role.domainId ? { domain: await domainRef(role.domainId) } : {}) } : {}) },
  };
  if (r.actorType === 'user') {
    const u = names ? await identity.users.find(r.actorId) : undefined;
    out.user = { id: r.actorId, ...(u ? { name: u.name, domain: await domainRef(u.domainId) } : {}) };
  } else {
    const g = names ? await identity.groups.find(r.actorId) : undefined;
    out.group = { id: r.actorId, ...(g ? { name: g.name, domain: await domainRef(g.domainId) } : {}) };
  }
  const scope: Record<string, unknown> = {};
  if (r.targetType === 'project') {
    const p = names ? await identity.projects.find(r.targetId) : undefined;
    scope.project = { id: r.targetId, ...(p ? { name: p.name, domain: await domainRef(p.domainId) } : {}) };
  } else if (r.targetType === 'domain') {
    scope.domain = await domainRef(r.targetId);
  } else scope.system = { all: true };
  if (r.inherited) scope['OS-INHERIT:inherited_to'] = 'projects';
  out.scope = scope;
  const actorPath = r.viaGroupId ? `groups/${r.viaGroupId}` : `${r.actorType}s/${r.actorId}`;
  const targetPath =
    r.targetType === 'system' ? 'system' : r.inheritedFrom ? `OS-INHERIT/${r.inheritedFrom.targetType}s/${r.inheritedFrom.targetId}` : `${r.targetType}s/${r.targetId}`;
  const links: Record<string, string> = {
    assignment: link(`/${targetPath}/${actorPath}/roles/${r.priorRoleId ?? r.roleId}${r.inherited || r.inheritedFrom ? '/inherited_to_projects' : ''}`),
  };
  if (r.viaGroupId) links.membership = link(`/groups/${r.viaGroupId}/users/${r.actorId}`);
  if (r.priorRoleId) links.prior_role = link(`/roles/${r.priorRoleId}/implies/${r.roleId}`);
  out.links = links;
  return out;
}
