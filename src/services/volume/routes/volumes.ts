import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StratusError } from '../../../core/errors.js';
import { MAX_PAGE } from '../logic/listing.js';
import { callerOf } from '../policy.js';
import { pageOf, queryBool } from '../schemas/common.js';
import { createVolumeBody, metadataBody, metaItemBody, updateVolumeBody, VOLUME_SORT_ALIASES, VOLUME_SORT_KEYS, volumeFilterOf } from '../schemas/volumes.js';
import { nextLinks } from '../views/common.js';
import { volumeBase, volumeDetail, volumeSummary } from '../views/volumes.js';
import { viewContext, type IdParams, type KeyParams, type VolumeRouteDeps } from './deps.js';

export function volumeRoutes(app: FastifyInstance, deps: VolumeRouteDeps): void {
  const { bs } = deps;

  app.post('/volumes', async (req, reply) => {
    const c = callerOf(req.auth, 'write', 'volume:create');
    const v = await bs.volumes.create(c, createVolumeBody(req.body));
    reply.code(202);
    return { volume: volumeBase(v, await viewContext(deps, c)) };
  });

  const list = (detail: boolean) => async (req: FastifyRequest) => {
    const c = callerOf(req.auth, 'read', 'volume:get_all');
    const page = pageOf(req.query, VOLUME_SORT_KEYS, VOLUME_SORT_ALIASES);
    const items = await bs.volumes.list(c, volumeFilterOf(req.query), page);
    const vc = await viewContext(deps, c);
    const links = nextLinks(deps.base(), req.url, items, page.limit, MAX_PAGE);
    return {
      volumes: items.map((v) => (detail ? volumeDetail(v, vc) : volumeSummary(v, vc))),
      ...(links ? { volumes_links: links } : {}),
    };
  };
  app.get('/volumes', list(false));
  app.get('/volumes/detail', list(true));

  app.get<IdParams>('/volumes/:id', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume:get');
    return { volume: volumeDetail(await bs.volumes.visible(c, req.params.id), await viewContext(deps, c)) };
  });

  app.put<IdParams>('/volumes/:id', async (req) => {
    const c = callerOf(req.auth, 'write', 'volume:update');
    const patch = updateVolumeBody(req.body);
    return { volume: volumeBase(await bs.volumes.update(c, req.params.id, patch), await viewContext(deps, c)) };
  });

  app.delete<IdParams>('/volumes/:id', async (req, reply) => {
    const c = callerOf(req.auth, 'write', 'volume:delete');
    const force = queryBool(req.query, 'force') === true;
    if (force) callerOf(req.auth, 'admin', 'volume:force_delete');
    await bs.volumes.delete(c, req.params.id, { cascade: queryBool(req.query, 'cascade') === true, force });
    reply.code(202).send();
  });

  app.get<IdParams>('/volumes/:id/metadata', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume:get_volume_metadata');
    return { metadata: (await bs.volumes.visible(c, req.params.id)).metadata };
  });
  app.post<IdParams>('/volumes/:id/metadata', async (req) => {
    const c = callerOf(req.auth, 'write', 'volume:create_volume_metadata');
    return { metadata: await bs.volumes.setMetadata(c, req.params.id, metadataBody(req.body), false) };
  });
  app.put<IdParams>('/volumes/:id/metadata', async (req) => {
    const c = callerOf(req.auth, 'write', 'volume:update_volume_metadata');
    return { metadata: await bs.volumes.setMetadata(c, req.params.id, metadataBody(req.body), true) };
  });
  app.get<KeyParams>('/volumes/:id/metadata/:key', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume:get_volume_metadata');
    const md = (await bs.volumes.visible(c, req.params.id)).metadata;
    if (!(req.params.key in md)) {
      throw new StratusError('NotFound', `Volume ${req.params.id} has no metadata with key ${req.params.key}.`, 'VolumeMetadataNotFound');
    }
    return { meta: { [req.params.key]: md[req.params.key] } };
  });
  app.put<KeyParams>('/volumes/:id/metadata/:key', async (req) => {
    const c = callerOf(req.auth, 'write', 'volume:update_volume_metadata');
    const value = metaItemBody(req.body, req.params.key);
    await bs.volumes.setMetadata(c, req.params.id, { [req.params.key]: value }, false);
    return { meta: { [req.params.key]: value } };
  });
  app.delete<KeyParams>('/volumes/:id/metadata/:key', async (req, reply) => {
    const c = callerOf(req.auth, 'write', 'volume:delete_volume_metadata');
    await bs.volumes.deleteMetadataKey(c, req.params.id, req.params.key);
    reply.code(200).send();
  });
}
