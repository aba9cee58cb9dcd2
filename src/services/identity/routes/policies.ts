import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { str, wrapped, type Json } from '../../../core/validate.js';
import type { IdentityRouteDeps } from '../index.js';
import type { PolicyTarget } from '../logic/policies.js';
import type { PolicyBlob } from '../logic/models.js';
import { authorize } from '../policy.js';
import { collection, endpointView, type Link } from '../views/resources.js';

const OWN = new Set(['id', 'type', 'blob', 'links']);

export function policyView(p: PolicyBlob, link: Link) {
  return { ...p.extra, id: p.id, type: p.type, blob: p.blob, links: { self: link(`/policies/${p.id}`) } };
}

const extraOf = (b: Json) => Object.fromEntries(Object.entries(b).filter(([k]) => !OWN.has(k)));

type PP = { Params: { id: string } };
type PA = { Params: { id: string; eid?: string; sid?: string; rid?: string } };

/** `/v3/policies` and OS-ENDPOINT-POLICY associations. */
export function policyRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  const policies = identity.policies;

  app.get('/policies', async (req) => {
    authorize(req.auth, 'identity:get_policy');
    const type = (req.query as Record<string, string> | undefined)?.type;
    const ps = await policies.repo.list(type !== undefined ? { type } : undefined);
    return collection('policies', ps.map((p) => policyView(p, link)), `${v3()}/policies`);
  });
  app.post('/policies', async (req, reply) => {
    authorize(req.auth, 'identity:manage_policy');
    const b = wrapped(req.body, 'policy');
    const p = await policies.create({ type: str(b, 'type', { required: true, max: 255 }), blob: str(b, 'blob', { required: true }), extra: extraOf(b) });
    reply.code(201);
    return { policy: policyView(p, link) };
  });
  app.get<PP>('/policies/:id', async (req) => {
    authorize(req.auth, 'identity:get_policy');
    return { policy: policyView(await policies.repo.require(req.params.id), link) };
  });
  app.patch<PP>('/policies/:id', async (req) => {
    authorize(req.auth, 'identity:manage_policy');
    const b = wrapped(req.body, 'policy');
    const patch: Partial<Omit<PolicyBlob, 'id'>> = { extra: extraOf(b) };
    const type = str(b, 'type', { min: 1, max: 255 });
    const blob = str(b, 'blob', { min: 1 });
    if (type) patch.type = type;
    if (blob) patch.blob = blob;
    return { policy: policyView(await policies.update(req.params.id, patch), link) };
  });
  app.delete<PP>('/policies/:id', async (req, reply) => {
    authorize(req.auth, 'identity:manage_policy');
    await policies.delete(req.params.id);
    reply.code(204).send();
  });

  // OS-ENDPOINT-POLICY
  const target = (p: PA['Params']): PolicyTarget => {
    const t: PolicyTarget = {};
    if (p.eid) t.endpointId = p.eid;
    if (p.sid) t.serviceId = p.sid;
    if (p.rid) t.regionId = p.rid;
    return t;
  };
  const base = '/policies/:id/OS-ENDPOINT-POLICY';
  for (const path of [`${base}/endpoints/:eid`, `${base}/services/:sid`, `${base}/services/:sid/regions/:rid`]) {
    app.put<PA>(path, async (req: FastifyRequest<PA>, reply: FastifyReply) => {
      authorize(req.auth, 'identity:manage_policy');
      await policies.associate(req.params.id, target(req.params));
      reply.code(204).send();
    });
    app.get<PA>(path, async (req: FastifyRequest<PA>, reply: FastifyReply) => {
      authorize(req.auth, 'identity:get_policy');
      await policies.checkAssociation(req.params.id, target(req.params));
      reply.code(204).send();
    });
    app.delete<PA>(path, async (req: FastifyRequest<PA>, reply: FastifyReply) => {
      authorize(req.auth, 'identity:manage_policy');
      await policies.dissociate(req.params.id, target(req.params));
      reply.code(204).send();
    });
  }
  app.get<PP>(`${base}/endpoints`, async (req) => {
    authorize(req.auth, 'identity:get_policy');
    const es = await policies.endpointsFor(req.params.id);
    return collection('endpoints', es.map((e) => endpointView(e, link)), `${v3()}/policies/${req.params.id}/OS-ENDPOINT-POLICY/endpoints`);
  });
  app.get<PP>('/endpoints/:id/OS-ENDPOINT-POLICY/policy', async (req) => {
    authorize(req.auth, 'identity:get_policy');
    return { policy: policyView(await policies.forEndpoint(req.params.id), link) };
  });
}
