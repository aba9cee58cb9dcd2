import type { FastifyInstance } from 'fastify';
import { notFound } from '../../../core/errors.js';
import { q, str, wrapped } from '../../../core/validate.js';
import type { IdentityRouteDeps } from '../index.js';
import { authorize } from '../policy.js';
import { collection, groupView, userView } from '../views/resources.js';

type P = { Params: { id: string } };
type PU = { Params: { id: string; userId: string } };

export function groupRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  app.get('/groups', async (req) => {
    authorize(req.auth, 'identity:list_groups');
    const f: { name?: string; domainId?: string } = {};
    const name = q(req.query, 'name');
    const domainId = q(req.query, 'domain_id');
    if (name !== undefined) f.name = name;
    if (domainId !== undefined) f.domainId = domainId;
    return collection('groups', (await identity.groups.list(f)).map((g) => groupView(g, link)), `${v3()}/groups`);
  });

  app.post('/groups', async (req, reply) => {
    const a = authorize(req.auth, 'identity:manage_group');
    const b = wrapped(req.body, 'group');
    const g = await identity.groups.create({
      name: str(b, 'name', { required: true, max: 64 }),
      domainId: str(b, 'domain_id', { nullable: true }) ?? a.projectDomainId ?? a.domainId ?? 'default',
      description: str(b, 'description', { nullable: true }) ?? '',
    });
    reply.code(201);
    return { group: groupView(g, link) };
  });

  app.get<P>('/groups/:id', async (req) => {
    authorize(req.auth, 'identity:get_group');
    return { group: groupView(await identity.groups.get(req.params.id), link) };
  });

  app.patch<P>('/groups/:id', async (req) => {
    authorize(req.auth, 'identity:manage_group');
    const b = wrapped(req.body, 'group');
    const patch: { name?: string; description?: string } = {};
    const name = str(b, 'name', { min: 1, max: 64 });
    const description = str(b, 'description', { nullable: true });
    if (name) patch.name = name;
    if (description !== undefined) patch.description = description ?? '';
    return { group: groupView(await identity.groups.update(req.params.id, patch), link) };
  });

  app.delete<P>('/groups/:id', async (req, reply) => {
    authorize(req.auth, 'identity:manage_group');
    await identity.deleteGroup(req.params.id);
    reply.code(204).send();
  });

  app.get<P>('/groups/:id/users', async (req) => {
    authorize(req.auth, 'identity:get_group');
    const ids = await identity.groups.usersOf(req.params.id);
    const users = (await Promise.all(ids.map((id) => identity.users.find(id)))).filter((u) => u !== undefined);
    return collection('users', users.map((u) => userView(u, link)), `${v3()}/groups/${req.params.id}/users`);
  });

  app.put<PU>('/groups/:id/users/:userId', async (req, reply) => {
    authorize(req.auth, 'identity:manage_group');
    await identity.groups.addUser(req.params.id, req.params.userId);
    reply.code(204).send();
  });

  const check = async (req: { auth: Parameters<typeof authorize>[0]; params: PU['Params'] }) => {
    authorize(req.auth, 'identity:get_group');
    if (!(await identity.groups.hasUser(req.params.id, req.params.userId)))
      throw notFound('membership', `user ${req.params.userId} in group ${req.params.id}`, 'NotFound');
  };
  app.get<PU>('/groups/:id/users/:userId', async (req, reply) => {
    await check(req);
    reply.code(204).send();
  });

  app.delete<PU>('/groups/:id/users/:userId', async (req, reply) => {
    authorize(req.auth, 'identity:manage_group');
    await identity.groups.removeUser(req.params.id, req.params.userId);
    reply.code(204).send();
  });
}
