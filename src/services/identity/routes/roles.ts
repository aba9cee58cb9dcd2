import type { FastifyInstance } from 'fastify';
import { notFound } from '../../../core/errors.js';
import { q, str, wrapped } from '../../../core/validate.js';
import type { IdentityRouteDeps } from '../index.js';
import { authorize } from '../policy.js';
import type { Role } from '../logic/models.js';
import { collection, roleRefView, roleView } from '../views/resources.js';

type P = { Params: { id: string } };
type PI = { Params: { prior: string; implied: string } };

export function roleRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  app.get('/roles', async (req) => {
    authorize(req.auth, 'identity:list_roles');
    const f: { name?: string; domainId?: string } = {};
    const name = q(req.query, 'name');
    const domainId = q(req.query, 'domain_id');
    if (name !== undefined) f.name = name;
    if (domainId !== undefined) f.domainId = domainId;
    return collection('roles', (await identity.roles.list(f)).map((r) => roleView(r, link)), `${v3()}/roles`);
  });

  app.post('/roles', async (req, reply) => {
    authorize(req.auth, 'identity:manage_role');
    const b = wrapped(req.body, 'role');
    const domainId = str(b, 'domain_id', { nullable: true }) ?? null;
    if (domainId) await identity.domains.get(domainId);
    const r = await identity.roles.create({
      name: str(b, 'name', { required: true, max: 255 }),
      domainId,
      description: str(b, 'description', { nullable: true, max: 255 }) ?? null,
    });
    reply.code(201);
    return { role: roleView(r, link) };
  });

  app.get<P>('/roles/:id', async (req) => {
    authorize(req.auth, 'identity:get_role');
    return { role: roleView(await identity.roles.get(req.params.id), link) };
  });

  app.patch<P>('/roles/:id', async (req) => {
    authorize(req.auth, 'identity:manage_role');
    const b = wrapped(req.body, 'role');
    const patch: { name?: string; description?: string | null } = {};
    const name = str(b, 'name', { min: 1, max: 255 });
    const description = str(b, 'description', { nullable: true, max: 255 });
    if (name) patch.name = name;
    if (description !== undefined) patch.description = description;
    return { role: roleView(await identity.roles.update(req.params.id, patch), link) };
  });

  app.delete<P>('/roles/:id', async (req, reply) => {
    authorize(req.auth, 'identity:manage_role');
    await identity.deleteRole(req.params.id);
    reply.code(204).send();
  });

  // Implied roles
  const inference = (prior: Role, implied: Role) => ({
    role_inference: { prior_role: roleRefView(prior, link), implies: roleRefView(implied, link) },
    links: { self: link(`/roles/${prior.id}/implies/${implied.id}`) },
  });
  app.put<PI>('/roles/:prior/implies/:implied', async (req, reply) => {
    authorize(req.auth, 'identity:manage_role');
    await identity.roles.imply(req.params.prior, req.params.implied);
    reply.code(201);
    return inference(await identity.roles.get(req.params.prior), await identity.roles.get(req.params.implied));
  });
  const requireImplication = async (prior: string, implied: string) => {
    if (!(await identity.roles.implies(prior, implied)))
      throw notFound('implied role', `${prior} implies ${implied}`, 'ImpliedRoleNotFound');
  };
  app.get<PI>('/roles/:prior/implies/:implied', { exposeHeadRoute: false }, async (req) => {
    authorize(req.auth, 'identity:get_role');
    await requireImplication(req.params.prior, req.params.implied);
    return inference(await identity.roles.get(req.params.prior), await identity.roles.get(req.params.implied));
  });
  // Keystone answers the HEAD check with 204, not GET's 200.
  app.head<PI>('/roles/:prior/implies/:implied', async (req, reply) => {
    authorize(req.auth, 'identity:get_role');
    await requireImplication(req.params.prior, req.params.implied);
    reply.code(204).send();
  });
  app.delete<PI>('/roles/:prior/implies/:implied', async (req, reply) => {
    authorize(req.auth, 'identity:manage_role');
    await identity.roles.unimply(req.params.prior, req.params.implied);
    reply.code(204).send();
  });
  app.get<{ Params: { prior: string } }>('/roles/:prior/implies', async (req) => {
    authorize(req.auth, 'identity:get_role');
    const prior = await identity.roles.get(req.params.prior);
    const roles = await identity.roles.byIdMap();
    const implied = (await identity.roles.impliedBy(prior.id)).map((id) => roles.get(id)).filter((r) => r !== undefined);
    return {
      role_inference: { prior_role: roleRefView(prior, link), implies: implied.map((r) => roleRefView(r, link)) },
      links: { self: link(`/roles/${prior.id}/implies`) },
    };
  });
  app.get('/role_inferences', async (req) => {
    authorize(req.auth, 'identity:list_roles');
    const roles = await identity.roles.byIdMap();
    const byPrior = new Map<string, string[]>();
    for (const i of await identity.roles.allImplications()) byPrior.set(i.priorId, [...(byPrior.get(i.priorId) ?? []), i.impliedId]);
    const items = [...byPrior].flatMap(([prior, implied]) => {
      const p = roles.get(prior);
      if (!p) return [];
      return [{ prior_role: roleRefView(p, link), implies: implied.map((id) => roles.get(id)).filter((r) => r).map((r) => roleRefView(r!, link)) }];
    });
    return collection('role_inferences', items, `${v3()}/role_inferences`);
  });
}
