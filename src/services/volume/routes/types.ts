import type { FastifyInstance } from 'fastify';
import { badRequest, StratusError } from '../../../core/errors.js';
import { isObject, q, str } from '../../../core/validate.js';
import { callerOf } from '../policy.js';
import { queryBool } from '../schemas/common.js';
import { createTypeBody, specsOf, updateTypeBody } from '../schemas/types.js';
import { typeCreated, typeUpdated, typeView } from '../views/types.js';
import type { IdParams, KeyParams, VolumeRouteDeps } from './deps.js';

export function typeRoutes(app: FastifyInstance, { bs }: VolumeRouteDeps): void {
  const types = bs.types;

  app.get('/types', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume_extension:volume_type_access');
    // NOTE: the CLI sends is_public=None for "public and private alike".
    const raw = q(req.query, 'is_public');
    const list = await types.list(c, raw === undefined || raw.toLowerCase() === 'none' ? undefined : queryBool(req.query, 'is_public'));
    return { volume_types: list.map((t) => typeView(t, types.specsFor(c, t))) };
  });

  app.get<IdParams>('/types/:id', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume_extension:type_get');
    const t = await types.get(c, req.params.id);
    return { volume_type: typeView(t, types.specsFor(c, t)) };
  });

  app.post('/types', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:types_manage');
    return { volume_type: typeCreated(await types.create(createTypeBody(req.body))) };
  });

  app.put<IdParams>('/types/:id', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:types_manage');
    return { volume_type: typeUpdated(await types.update(req.params.id, updateTypeBody(req.body))) };
  });

  app.delete<IdParams>('/types/:id', async (req, reply) => {
    callerOf(req.auth, 'admin', 'volume_extension:types_manage');
    await types.delete(req.params.id);
    reply.code(202).send();
  });

  app.get<IdParams>('/types/:id/extra_specs', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume_extension:types_extra_specs:index');
    return { extra_specs: types.specsFor(c, await types.get(c, req.params.id)) };
  });

  app.post<IdParams>('/types/:id/extra_specs', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:types_extra_specs:create');
    if (!isObject(req.body) || !isObject(req.body.extra_specs)) throw badRequest("Malformed request body: 'extra_specs' is required.");
    const specs = specsOf(req.body.extra_specs);
    await types.setSpecs(req.params.id, specs);
    return { extra_specs: specs };
  });

  app.get<KeyParams>('/types/:id/extra_specs/:key', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume_extension:types_extra_specs:show');
    const specs = types.specsFor(c, await types.get(c, req.params.id));
    if (!(req.params.key in specs)) {
      throw new StratusError('NotFound', `Volume Type ${req.params.id} has no extra specs with key ${req.params.key}.`, 'VolumeTypeExtraSpecsNotFound');
    }
    return { [req.params.key]: specs[req.params.key] };
  });

  app.put<KeyParams>('/types/:id/extra_specs/:key', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:types_extra_specs:update');
    const specs = specsOf(req.body, 'body');
    const keys = Object.keys(specs);
    if (keys.length > 1) throw badRequest('Request body contains too many items.');
    if (keys[0] !== req.params.key) throw badRequest('Request body and URI mismatch.');
    await types.setSpecs(req.params.id, specs);
    return specs;
  });

  app.delete<KeyParams>('/types/:id/extra_specs/:key', async (req, reply) => {
    callerOf(req.auth, 'admin', 'volume_extension:types_extra_specs:delete');
    await types.deleteSpec(req.params.id, req.params.key);
    reply.code(202).send();
  });

  app.get<IdParams>('/types/:id/os-volume-type-access', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:volume_type_access');
    const t = await types.repo.require(req.params.id);
    if (t.isPublic) throw new StratusError('NotFound', 'Access list not available for public volume types.', 'VolumeTypeAccessNotFound');
    return { volume_type_access: t.projects.map((p) => ({ volume_type_id: t.id, project_id: p })) };
  });

  app.post<IdParams>('/types/:id/action', async (req, reply) => {
    callerOf(req.auth, 'admin', 'volume_extension:volume_type_access:addProjectAccess');
    const body = req.body;
    if (!isObject(body) || Object.keys(body).length !== 1) throw badRequest('Invalid request body: exactly one action is expected.');
    const name = Object.keys(body)[0]!;
    if (name !== 'addProjectAccess' && name !== 'removeProjectAccess') throw badRequest(`There is no such action: ${name.slice(0, 60)}`);
    const args = isObject(body[name]) ? body[name] : {};
    await types.setAccess(req.params.id, str(args, 'project', { required: true, max: 255 }), name === 'addProjectAccess');
    reply.code(202).send();
  });
}
