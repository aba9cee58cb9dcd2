import type { FastifyInstance } from 'fastify';
import { bool, q, qBool, str, strList, wrapped } from '../../../core/validate.js';
import { requireAuth } from '../../../http/auth.js';
import type { IdentityRouteDeps } from '../index.js';
import { authorize } from '../policy.js';
import { collection, domainView } from '../views/resources.js';
import { namedPatch } from './fields.js';

type P = { Params: { id: string } };

export function domainRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  app.get('/domains', async (req) => {
    authorize(req.auth, 'identity:list_domains');
    const f: { name?: string; enabled?: boolean } = {};
    const name = q(req.query, 'name');
    const enabled = qBool(req.query, 'enabled');
    if (name !== undefined) f.name = name;
    if (enabled !== undefined) f.enabled = enabled;
    return collection('domains', (await identity.domains.list(f)).map((d) => domainView(d, link)), `${v3()}/domains`);
  });

  app.post('/domains', async (req, reply) => {
    authorize(req.auth, 'identity:manage_domain');
    const b = wrapped(req.body, 'domain');
    const d = await identity.domains.create({
      name: str(b, 'name', { required: true, max: 64 }),
      description: str(b, 'description', { max: 255 }) ?? '',
      enabled: bool(b, 'enabled') ?? true,
      tags: strList(b, 'tags') ?? [],
    });
    reply.code(201);
    return { domain: domainView(d, link) };
  });

  app.get<P>('/domains/:id', async (req) => {
    const d = await identity.domains.get(req.params.id).catch((e: unknown) => {
      authorize(req.auth, 'identity:get_domain', { domainId: req.params.id });
      throw e;
    });
    authorize(requireAuth(req), 'identity:get_domain', { domainId: d.id });
    return { domain: domainView(d, link) };
  });

  app.patch<P>('/domains/:id', async (req) => {
    authorize(req.auth, 'identity:manage_domain');
    const b = wrapped(req.body, 'domain');
    return { domain: domainView(await identity.domains.update(req.params.id, namedPatch(b, 255)), link) };
  });

  app.delete<P>('/domains/:id', async (req, reply) => {
    authorize(req.auth, 'identity:manage_domain');
    await identity.deleteDomain(req.params.id);
    reply.code(204).send();
  });
}
