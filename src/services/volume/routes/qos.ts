import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject, q } from '../../../core/validate.js';
import type { QosConsumer, QosSpecs } from '../logic/models.js';
import { QOS_CONSUMERS } from '../logic/qos.js';
import { callerOf } from '../policy.js';
import { queryBool } from '../schemas/common.js';
import { resourceLinks } from '../views/common.js';
import type { IdParams, VolumeRouteDeps } from './deps.js';

function qosView(s: QosSpecs) {
  return { id: s.id, name: s.name, consumer: s.consumer, specs: s.specs };
}

/** String keys and values, as Cinder stores specs. */
function specsBody(raw: unknown, what: string): Record<string, string> {
  if (!isObject(raw)) throw badRequest(`Missing required element '${what}' in request body.`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!k.trim() || k.length > 255) throw badRequest('Invalid input received: QoS spec keys must be 1 to 255 characters.');
    const val = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
    if (typeof val !== 'string' || val.length > 255) throw badRequest(`Invalid input received: the value of QoS spec '${k.slice(0, 60)}' must be a string of at most 255 characters.`);
    out[k] = val;
  }
  return out;
}

function typeIdOf(query: unknown): string {
  const id = q(query, 'vol_type_id');
  if (!id) throw badRequest("Missing required parameter 'vol_type_id': name the volume type to associate.");
  return id;
}

/** QoS specs (admin only): CRUD, keys, and association with volume types. */
export function qosRoutes(app: FastifyInstance, { bs, base }: VolumeRouteDeps): void {
  const need = (req: { auth: Parameters<typeof callerOf>[0] }, action: string) => callerOf(req.auth, 'admin', `volume_extension:qos_specs_manage:${action}`);

  app.post('/qos-specs', async (req) => {
    const c = need(req, 'create');
    const all = specsBody(isObject(req.body) ? req.body.qos_specs : undefined, 'qos_specs');
    const { name, consumer = 'back-end', ...specs } = all;
    if (!name?.trim()) throw badRequest("Invalid input received: 'name' of the QoS specs is required.");
    if (!QOS_CONSUMERS.includes(consumer as QosConsumer)) throw badRequest(`Invalid input received: Valid consumer of QoS specs are: ${QOS_CONSUMERS.join(', ')}.`);
    const s = await bs.qos.create(name.trim(), consumer as QosConsumer, specs);
    return { qos_specs: qosView(s), links: resourceLinks(base(), c.projectId, 'qos-specs', s.id) };
  });

  app.get('/qos-specs', async (req) => {
    need(req, 'get_all');
    return { qos_specs: (await bs.qos.list()).map(qosView) };
  });

  app.get<IdParams>('/qos-specs/:id', async (req) => {
    const c = need(req, 'get');
    const s = await bs.qos.get(req.params.id);
    return { qos_specs: qosView(s), links: resourceLinks(base(), c.projectId, 'qos-specs', s.id) };
  });

  app.put<IdParams>('/qos-specs/:id', async (req) => {
    need(req, 'update');
    const keys = specsBody(isObject(req.body) ? req.body.qos_specs : undefined, 'qos_specs');
    await bs.qos.setKeys(req.params.id, keys);
    return { qos_specs: keys };
  });

  app.put<IdParams>('/qos-specs/:id/delete_keys', async (req, reply) => {
    need(req, 'delete');
    const keys = isObject(req.body) ? req.body.keys : undefined;
    if (!Array.isArray(keys) || !keys.every((k): k is string => typeof k === 'string')) throw badRequest("Invalid input received: 'keys' must be a list of QoS spec keys.");
    await bs.qos.deleteKeys(req.params.id, keys);
    reply.code(202).send();
  });

  app.delete<IdParams>('/qos-specs/:id', async (req, reply) => {
    need(req, 'delete');
    await bs.qos.delete(req.params.id, queryBool(req.query, 'force') === true);
    reply.code(202).send();
  });

  app.get<IdParams>('/qos-specs/:id/associations', async (req) => {
    need(req, 'get');
    const types = await bs.qos.associations(req.params.id);
    return { qos_associations: types.map((t) => ({ association_type: 'volume_type', id: t.id, name: t.name })) };
  });

  app.get<IdParams>('/qos-specs/:id/associate', async (req, reply) => {
    need(req, 'update');
    await bs.qos.associate(req.params.id, typeIdOf(req.query));
    reply.code(202).send();
  });

  app.get<IdParams>('/qos-specs/:id/disassociate', async (req, reply) => {
    need(req, 'update');
    await bs.qos.disassociate(req.params.id, typeIdOf(req.query));
    reply.code(202).send();
  });

  app.get<IdParams>('/qos-specs/:id/disassociate_all', async (req, reply) => {
    need(req, 'update');
    await bs.qos.disassociateAll(req.params.id);
    reply.code(202).send();
  });
}
