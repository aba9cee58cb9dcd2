import type { FastifyInstance } from 'fastify';
import { callerOf } from '../policy.js';
import { policyView, ruleView } from '../views/index.js';
import type { MetricRouteDeps } from './deps.js';

type Name = { Params: { name: string } };

export function policyRoutes(app: FastifyInstance, d: MetricRouteDeps): void {
  const ap = d.logic.policies;
  app.get('/v1/archive_policy', async (req) => {
    callerOf(req.auth);
    return (await ap.list()).map(policyView);
  });
  app.post('/v1/archive_policy', async (req, reply) => {
    callerOf(req.auth, true);
    const p = await ap.create((req.body ?? {}) as { name: unknown });
    reply.code(201).header('location', `${d.base()}/v1/archive_policy/${encodeURIComponent(p.name)}`);
    return policyView(p);
  });
  app.get<Name>('/v1/archive_policy/:name', async (req) => {
    callerOf(req.auth);
    return policyView(await ap.get(req.params.name));
  });
  app.patch<Name>('/v1/archive_policy/:name', async (req) => {
    callerOf(req.auth, true);
    return policyView(await ap.update(req.params.name, (req.body ?? {}) as { definition?: unknown }));
  });
  app.delete<Name>('/v1/archive_policy/:name', async (req, reply) => {
    callerOf(req.auth, true);
    await ap.delete(req.params.name);
    return reply.code(204).send();
  });

  app.get('/v1/archive_policy_rule', async (req) => {
    callerOf(req.auth);
    return (await ap.rules()).map(ruleView);
  });
  app.post('/v1/archive_policy_rule', async (req, reply) => {
    callerOf(req.auth, true);
    const r = await ap.createRule((req.body ?? {}) as Record<string, unknown>);
    reply.code(201).header('location', `${d.base()}/v1/archive_policy_rule/${encodeURIComponent(r.name)}`);
    return ruleView(r);
  });
  app.get<Name>('/v1/archive_policy_rule/:name', async (req) => {
    callerOf(req.auth);
    return ruleView(await ap.rule(req.params.name));
  });
  app.patch<Name>('/v1/archive_policy_rule/:name', async (req) => {
    callerOf(req.auth, true);
    return ruleView(await ap.renameRule(req.params.name, (req.body ?? {}) as { name?: unknown }));
  });
  app.delete<Name>('/v1/archive_policy_rule/:name', async (req, reply) => {
    callerOf(req.auth, true);
    await ap.deleteRule(req.params.name);
    return reply.code(204).send();
  });
}
