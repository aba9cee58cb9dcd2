import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { bool, q, qBool, str, wrapped, type Json } from '../../../core/validate.js';
import type { IdentityRouteDeps } from '../index.js';
import type { UserPatch } from '../logic/users.js';
import { authorize } from '../policy.js';
import { collection, groupView, projectView, userView } from '../views/resources.js';

type P = { Params: { id: string } };

const KNOWN = new Set(['id', 'name', 'domain_id', 'password', 'enabled', 'default_project_id', 'description', 'email', 'options', 'links', 'password_expires_at', 'federated']);

function extras(b: Json): Record<string, unknown> {
  return Object.fromEntries(Object.entries(b).filter(([k]) => !KNOWN.has(k)));
}

export function userRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  app.get('/users', async (req) => {
    authorize(req.auth, 'identity:list_users');
    const f: { name?: string; domainId?: string; enabled?: boolean } = {};
    const name = q(req.query, 'name');
    const domainId = q(req.query, 'domain_id');
    const enabled = qBool(req.query, 'enabled');
    if (name !== undefined) f.name = name;
    if (domainId !== undefined) f.domainId = domainId;
    if (enabled !== undefined) f.enabled = enabled;
    return collection('users', (await identity.users.list(f)).map((u) => userView(u, link)), `${v3()}/users`);
  });

  app.post('/users', async (req, reply) => {
    const a = authorize(req.auth, 'identity:manage_user');
    const b = wrapped(req.body, 'user');
    const defaultProjectId = str(b, 'default_project_id', { nullable: true }) ?? null;
    if (defaultProjectId) await identity.projects.get(defaultProjectId);
    const u = await identity.users.create({
      name: str(b, 'name', { required: true, max: 255 }),
      domainId: str(b, 'domain_id', { nullable: true }) ?? a.projectDomainId ?? a.domainId ?? 'default',
      password: str(b, 'password', { nullable: true, max: 4096 }) ?? null,
      enabled: bool(b, 'enabled') ?? true,
      defaultProjectId,
      description: str(b, 'description', { nullable: true }) ?? null,
      email: str(b, 'email', { nullable: true, max: 255 }) ?? null,
      extra: extras(b),
    });
    reply.code(201);
    return { user: userView(u, link) };
  });

  app.get<P>('/users/:id', async (req) => {
    authorize(req.auth, 'identity:get_user', { userId: req.params.id });
    return { user: userView(await identity.users.get(req.params.id), link) };
  });

  app.patch<P>('/users/:id', async (req) => {
    authorize(req.auth, 'identity:manage_user');
    const b = wrapped(req.body, 'user');
    const cur = await identity.users.get(req.params.id);
    if ('domain_id' in b && b.domain_id !== cur.domainId) throw badRequest('Update of `domain_id` is not allowed.');
    if ('id' in b && b.id !== cur.id) throw badRequest('Update of `id` is not allowed.');
    const patch: UserPatch = { extra: extras(b) };
    const name = str(b, 'name', { min: 1, max: 255 });
    const password = str(b, 'password', { nullable: true, max: 4096 });
    const enabled = bool(b, 'enabled');
    const description = str(b, 'description', { nullable: true });
    const email = str(b, 'email', { nullable: true, max: 255 });
    const defaultProjectId = str(b, 'default_project_id', { nullable: true });
    if (name) patch.name = name;
    if (password !== undefined) patch.password = password;
    if (enabled !== undefined) patch.enabled = enabled;
    if (description !== undefined) patch.description = description;
    if (email !== undefined) patch.email = email;
    if (defaultProjectId !== undefined) {
      if (defaultProjectId) await identity.projects.get(defaultProjectId);
      patch.defaultProjectId = defaultProjectId;
    }
    return { user: userView(await identity.users.update(req.params.id, patch), link) };
  });

  app.delete<P>('/users/:id', async (req, reply) => {
    authorize(req.auth, 'identity:manage_user');
    await identity.deleteUser(req.params.id);
    reply.code(204).send();
  });

  // Keystone lets a user change a password without a token: the original password is the proof.
  app.post<P>('/users/:id/password', { config: { public: true } }, async (req, reply) => {
    const b = wrapped(req.body, 'user');
    const original = str(b, 'original_password', { required: true, max: 4096 });
    const password = str(b, 'password', { required: true, max: 4096 });
    await identity.users.changePassword(req.params.id, original, password);
    reply.code(204).send();
  });

  app.get<P>('/users/:id/projects', async (req) => {
    authorize(req.auth, 'identity:list_user_projects', { userId: req.params.id });
    await identity.users.get(req.params.id);
    let projects = await identity.assignments.projectsOf(req.params.id);
    const name = q(req.query, 'name');
    const enabled = qBool(req.query, 'enabled');
    if (name !== undefined) projects = projects.filter((p) => p.name === name);
    if (enabled !== undefined) projects = projects.filter((p) => p.enabled === enabled);
    return collection('projects', projects.map((p) => projectView(p, link)), `${v3()}/users/${req.params.id}/projects`);
  });

  app.get<P>('/users/:id/groups', async (req) => {
    authorize(req.auth, 'identity:list_groups_for_user', { userId: req.params.id });
    await identity.users.get(req.params.id);
    const ids = await identity.groups.groupIdsOf(req.params.id);
    const groups = (await Promise.all(ids.map((id) => identity.groups.find(id)))).filter((g) => g !== undefined);
    return collection('groups', groups.map((g) => groupView(g, link)), `${v3()}/users/${req.params.id}/groups`);
  });
}
