import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject, str } from '../../../core/validate.js';
import { callerOf } from '../policy.js';
import { queryBool } from '../schemas/common.js';
import { transferDetail, transferSummary } from '../views/transfers.js';
import type { IdParams, VolumeRouteDeps } from './deps.js';

/** Volume transfers at 3.0 (`os-volume-transfer`): offer, list, show, cancel, accept. */
export function transferRoutes(app: FastifyInstance, { bs, base }: VolumeRouteDeps): void {
  app.post('/os-volume-transfer', async (req, reply) => {
    const c = callerOf(req.auth, 'write', 'volume:create_transfer');
    if (!isObject(req.body) || !isObject(req.body.transfer)) throw badRequest("Missing required element 'transfer' in request body.");
    const args = req.body.transfer;
    const volumeId = str(args, 'volume_id', { required: true, max: 255 });
    const name = str(args, 'name', { nullable: true, max: 255 }) ?? null;
    const { transfer, authKey } = await bs.transfers.create(c, volumeId, name?.trim() || null);
    reply.code(202);
    return { transfer: { ...transferDetail(transfer, base()), auth_key: authKey } };
  });

  const list = (detail: boolean) => async (req: FastifyRequest) => {
    const c = callerOf(req.auth, 'read', 'volume:get_all_transfers');
    const all = await bs.transfers.list(c, queryBool(req.query, 'all_tenants') === true);
    return { transfers: all.map((t) => (detail ? transferDetail(t, base()) : transferSummary(t, base()))) };
  };
  app.get('/os-volume-transfer', list(false));
  app.get('/os-volume-transfer/detail', list(true));

  app.get<IdParams>('/os-volume-transfer/:id', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume:get_transfer');
    return { transfer: transferDetail(await bs.transfers.visible(c, req.params.id), base()) };
  });

  app.delete<IdParams>('/os-volume-transfer/:id', async (req, reply) => {
    const c = callerOf(req.auth, 'write', 'volume:delete_transfer');
    await bs.transfers.delete(c, req.params.id);
    reply.code(202).send();
  });

  app.post<IdParams>('/os-volume-transfer/:id/accept', async (req, reply) => {
    const c = callerOf(req.auth, 'write', 'volume:accept_transfer');
    if (!isObject(req.body) || !isObject(req.body.accept)) throw badRequest("Missing required element 'accept' in request body.");
    const authKey = str(req.body.accept, 'auth_key', { required: true, max: 255 });
    const t = await bs.transfers.accept(c, req.params.id, authKey);
    reply.code(202);
    return { transfer: transferSummary({ ...t, projectId: c.projectId }, base()) };
  });
}
