import type { FastifyInstance } from 'fastify';
import { isObject } from '../../../core/validate.js';
import * as c from '../api/convert.js';
import { E } from '../errors.js';
import { QUOTA_DEFAULTS } from '../logic/quotas.js';
import { actorOf, requireAdmin } from '../policy.js';
import type { RouteDeps } from '../api/reply.js';
import { quotaView } from '../views/misc.js';

type P = { Params: { id: string } };

/**
 * Quotas (`quotas`, `quota_details`): GET /quotas lists projects with limits set (admin);
 * a project reads its own; only admins change or reset them.
 */
export function quotaRoutes(app: FastifyInstance, { net }: RouteDeps): void {
  const readable = (req: { auth: Parameters<typeof actorOf>[0] }, projectId: string) => {
    const a = actorOf(req.auth);
    if (!a.admin && a.projectId !== projectId) throw E.policy('get_quota');
  };

  app.get('/quotas', async (req) => {
    requireAdmin(req.auth, 'get_quota');
    return { quotas: (await net.quotas.listSet()).map((q) => quotaView(q.projectId, q.limits)) };
  });

  app.get('/quotas/tenant', async (req) => ({ tenant: { tenant_id: actorOf(req.auth).projectId } }));
  app.get('/quotas/project', async (req) => ({ project: { project_id: actorOf(req.auth).projectId } }));

  app.get<P>('/quotas/:id', async (req) => {
    readable(req, req.params.id);
    return { quota: quotaView(null, await net.quotas.limits(req.params.id)) };
  });

  app.get<P>('/quotas/:id/default', async (req) => {
    readable(req, req.params.id);
    return { quota: quotaView(null, QUOTA_DEFAULTS) };
  });

  // Neutron takes a `.json` format suffix; tempest's quota client uses it for details.
  for (const path of ['/quotas/:id/details', '/quotas/:id/details.json']) {
    app.get<P>(path, async (req) => {
      readable(req, req.params.id);
      return { quota: await net.quotas.details(req.params.id) };
    });
  }

  app.put<P>('/quotas/:id', async (req) => {
    requireAdmin(req.auth, 'update_quota');
    const body = req.body;
    if (!isObject(body) || !isObject(body.quota)) throw E.attr("Unable to find 'quota' in request body");
    const limits: Record<string, number> = {};
    for (const [k, v] of Object.entries(body.quota)) {
      if (!(k in QUOTA_DEFAULTS)) throw E.attr(`Unrecognized attribute(s) '${k}'`);
      limits[k] = c.int(-1, 2 ** 31 - 1)(v, k);
    }
    return { quota: quotaView(null, await net.quotas.update(req.params.id, limits)) };
  });

  app.delete<P>('/quotas/:id', async (req, reply) => {
    requireAdmin(req.auth, 'delete_quota');
    await net.quotas.reset(req.params.id);
    reply.code(204).send();
  });
}
