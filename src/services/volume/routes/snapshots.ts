import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, StratusError } from '../../../core/errors.js';
import { isObject, str } from '../../../core/validate.js';
import { MAX_PAGE } from '../logic/listing.js';
import type { Snapshot } from '../logic/models.js';
import { callerOf } from '../policy.js';
import { pageOf, queryBool } from '../schemas/common.js';
import { createSnapshotBody, SNAPSHOT_SORT_ALIASES, SNAPSHOT_SORT_KEYS, snapshotFilterOf, updateSnapshotBody } from '../schemas/snapshots.js';
import { metadataBody, metaItemBody } from '../schemas/volumes.js';
import { nextLinks } from '../views/common.js';
import { snapshotBase, snapshotDetail } from '../views/snapshots.js';
import type { IdParams, KeyParams, VolumeRouteDeps } from './deps.js';

const SNAPSHOT_STATUSES: Snapshot['status'][] = ['creating', 'available', 'deleting', 'error', 'error_deleting'];

export function snapshotRoutes(app: FastifyInstance, { bs, base }: VolumeRouteDeps): void {
  app.post('/snapshots', async (req, reply) => {
    const c = callerOf(req.auth, 'write', 'volume:create_snapshot');
    const s = await bs.snapshots.create(c, createSnapshotBody(req.body));
    reply.code(202);
    return { snapshot: snapshotBase(s) };
  });

  const list = (detail: boolean) => async (req: FastifyRequest) => {
    const c = callerOf(req.auth, 'read', 'volume:get_all_snapshots');
    const page = pageOf(req.query, SNAPSHOT_SORT_KEYS, SNAPSHOT_SORT_ALIASES);
    const items = await bs.snapshots.list(c, snapshotFilterOf(req.query), page);
    const links = nextLinks(base(), req.url, items, page.limit, MAX_PAGE);
    return { snapshots: items.map((s) => (detail ? snapshotDetail(s) : snapshotBase(s))), ...(links ? { snapshots_links: links } : {}) };
  };
  app.get('/snapshots', list(false));
  app.get('/snapshots/detail', list(true));

  app.get<IdParams>('/snapshots/:id', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume:get_snapshot');
    return { snapshot: snapshotDetail(await bs.snapshots.visible(c, req.params.id)) };
  });

  app.put<IdParams>('/snapshots/:id', async (req) => {
    const c = callerOf(req.auth, 'write', 'volume:update_snapshot');
    return { snapshot: snapshotBase(await bs.snapshots.update(c, req.params.id, updateSnapshotBody(req.body))) };
  });

  app.delete<IdParams>('/snapshots/:id', async (req, reply) => {
    const c = callerOf(req.auth, 'write', 'volume:delete_snapshot');
    await bs.snapshots.delete(c, req.params.id, queryBool(req.query, 'force') === true && c.admin);
    reply.code(202).send();
  });

  app.post<IdParams>('/snapshots/:id/action', async (req, reply) => {
    const body = req.body;
    if (!isObject(body) || Object.keys(body).length !== 1) throw badRequest('Invalid request body: exactly one action is expected.');
    const name = Object.keys(body)[0]!;
    const args = isObject(body[name]) ? body[name] : {};
    if (name === 'os-reset_status') {
      const c = callerOf(req.auth, 'admin', 'volume_extension:snapshot_admin_actions:reset_status');
      const status = str(args, 'status', { required: true, max: 255 });
      if (!SNAPSHOT_STATUSES.includes(status as Snapshot['status'])) throw badRequest(`Invalid input received: status '${status.slice(0, 40)}' is not a snapshot status.`);
      await bs.snapshots.resetStatus(c, req.params.id, status as Snapshot['status']);
    } else if (name === 'os-update_snapshot_status') {
      const c = callerOf(req.auth, 'write', 'volume_extension:snapshot_actions:update_snapshot_status');
      const status = str(args, 'status', { required: true, max: 255 });
      if (!SNAPSHOT_STATUSES.includes(status as Snapshot['status'])) throw badRequest(`Invalid input received: status '${status.slice(0, 40)}' is not a snapshot status.`);
      const progress = str(args, 'progress', { nullable: true, max: 255 }) ?? undefined;
      if (progress !== undefined && !/^\d{1,3}%$/.test(progress)) throw badRequest(`Invalid input received: progress '${progress.slice(0, 40)}' must be a percentage.`);
      await bs.snapshots.updateStatus(c, req.params.id, status as Snapshot['status'], progress);
    } else if (name === 'os-force_delete') {
      const c = callerOf(req.auth, 'admin', 'volume_extension:snapshot_admin_actions:force_delete');
      await bs.snapshots.delete(c, req.params.id, true);
    } else {
      throw badRequest(`There is no such action: ${name.slice(0, 60)}`);
    }
    reply.code(202).send();
  });

  app.get<IdParams>('/snapshots/:id/metadata', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume:get_snapshot_metadata');
    return { metadata: (await bs.snapshots.visible(c, req.params.id)).metadata };
  });
  app.post<IdParams>('/snapshots/:id/metadata', async (req) => {
    const c = callerOf(req.auth, 'write', 'volume:update_snapshot_metadata');
    return { metadata: await bs.snapshots.setMetadata(c, req.params.id, metadataBody(req.body), false) };
  });
  app.put<IdParams>('/snapshots/:id/metadata', async (req) => {
    const c = callerOf(req.auth, 'write', 'volume:update_snapshot_metadata');
    return { metadata: await bs.snapshots.setMetadata(c, req.params.id, metadataBody(req.body), true) };
  });
  app.get<KeyParams>('/snapshots/:id/metadata/:key', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume:get_snapshot_metadata');
    const md = (await bs.snapshots.visible(c, req.params.id)).metadata;
    if (!(req.params.key in md)) {
      throw new StratusError('NotFound', `Snapshot ${req.params.id} has no metadata with key ${req.params.key}.`, 'SnapshotMetadataNotFound');
    }
    return { meta: { [req.params.key]: md[req.params.key] } };
  });
  app.put<KeyParams>('/snapshots/:id/metadata/:key', async (req) => {
    const c = callerOf(req.auth, 'write', 'volume:update_snapshot_metadata');
    const value = metaItemBody(req.body, req.params.key);
    await bs.snapshots.setMetadata(c, req.params.id, { [req.params.key]: value }, false);
    return { meta: { [req.params.key]: value } };
  });
  app.delete<KeyParams>('/snapshots/:id/metadata/:key', async (req, reply) => {
    const c = callerOf(req.auth, 'write', 'volume:delete_snapshot_metadata');
    await bs.snapshots.deleteMetadataKey(c, req.params.id, req.params.key);
    reply.code(200).send();
  });
}
