import type { FastifyInstance } from 'fastify';
import { callerOf } from '../policy.js';
import { resourceTypeView } from '../views/index.js';
import type { MetricRouteDeps } from './deps.js';

type Name = { Params: { name: string } };

export function resourceTypeRoutes(app: FastifyInstance, d: MetricRouteDeps): void {
  const types = d.logic.types;
  app.get('/v1/resource_type', async (req) => {
    callerOf(req.auth);
    return (await types.list()).map(resourceTypeView);
  });
  app.post('/v1/resource_type', async (req, reply) => {
    callerOf(req.auth, true);
    const t = await types.create((req.body ?? {}) as Record<string, unknown>);
    reply.code(201).header('location', `${d.base()}/v1/resource_type/${encodeURIComponent(t.name)}`);
    return resourceTypeView(t);
  });
  app.get<Name>('/v1/resource_type/:name', async (req) => {
    callerOf(req.auth);
    return resourceTypeView(await types.get(req.params.name));
  });
  app.patch<Name>('/v1/resource_type/:name', async (req) => {
    callerOf(req.auth, true);
    return resourceTypeView(await types.patch(req.params.name, req.body));
  });
  app.delete<Name>('/v1/resource_type/:name', async (req, reply) => {
    callerOf(req.auth, true);
    await types.delete(req.params.name);
    return reply.code(204).send();
  });
}
