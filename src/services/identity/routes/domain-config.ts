import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import type { IdentityRouteDeps } from '../index.js';
import { authorize } from '../policy.js';

type PD = { Params: { id: string } };
type PG = { Params: { id: string; group: string } };
type PO = { Params: { id: string; group: string; option: string } };

/** The `config` member of a request body. */
function configOf(body: unknown): unknown {
  if (!isObject(body) || !('config' in body)) throw badRequest('Expecting to find config in request body. The request body must be {"config": {...}}.');
  return body.config;
}

/** `/v3/domains/{id}/config[/{group}[/{option}]]` and the defaults at `/v3/domains/config/...`. */
export function domainConfigRoutes(app: FastifyInstance, { identity }: IdentityRouteDeps): void {
  const cfg = identity.domainConfigs;

  app.get('/domains/config/default', async (req) => {
    authorize(req.auth, 'identity:get_domain_config_default');
    return { config: cfg.defaults() };
  });
  app.get<{ Params: { group: string } }>('/domains/config/:group/default', async (req) => {
    authorize(req.auth, 'identity:get_domain_config_default');
    return { config: cfg.defaults(req.params.group) };
  });
  app.get<{ Params: { group: string; option: string } }>('/domains/config/:group/:option/default', async (req) => {
    authorize(req.auth, 'identity:get_domain_config_default');
    return { config: cfg.defaults(req.params.group, req.params.option) };
  });

  app.put<PD>('/domains/:id/config', async (req, reply) => {
    authorize(req.auth, 'identity:manage_domain_config');
    const r = await cfg.replace(req.params.id, configOf(req.body));
    reply.code(r.created ? 201 : 200);
    return { config: r.config };
  });
  app.get<PD>('/domains/:id/config', async (req) => {
    authorize(req.auth, 'identity:get_domain_config');
    return { config: await cfg.get(req.params.id) };
  });
  app.patch<PD>('/domains/:id/config', async (req) => {
    authorize(req.auth, 'identity:manage_domain_config');
    return { config: await cfg.update(req.params.id, configOf(req.body)) };
  });
  app.delete<PD>('/domains/:id/config', async (req, reply) => {
    authorize(req.auth, 'identity:manage_domain_config');
    await cfg.delete(req.params.id);
    reply.code(204).send();
  });

  app.get<PG>('/domains/:id/config/:group', async (req) => {
    authorize(req.auth, 'identity:get_domain_config');
    return { config: { [req.params.group]: await cfg.group(req.params.id, req.params.group) } };
  });
  app.patch<PG>('/domains/:id/config/:group', async (req) => {
    authorize(req.auth, 'identity:manage_domain_config');
    return { config: await cfg.update(req.params.id, configOf(req.body), req.params.group) };
  });
  app.delete<PG>('/domains/:id/config/:group', async (req, reply) => {
    authorize(req.auth, 'identity:manage_domain_config');
    await cfg.delete(req.params.id, req.params.group);
    reply.code(204).send();
  });

  app.get<PO>('/domains/:id/config/:group/:option', async (req) => {
    authorize(req.auth, 'identity:get_domain_config');
    const { id, group, option } = req.params;
    return { config: { [option]: await cfg.option(id, group, option) } };
  });
  app.patch<PO>('/domains/:id/config/:group/:option', async (req) => {
    authorize(req.auth, 'identity:manage_domain_config');
    const { id, group, option } = req.params;
    return { config: await cfg.update(id, configOf(req.body), group, option) };
  });
  app.delete<PO>('/domains/:id/config/:group/:option', async (req, reply) => {
    authorize(req.auth, 'identity:manage_domain_config');
    const { id, group, option } = req.params;
    await cfg.delete(id, group, option);
    reply.code(204).send();
  });
}
