import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isoSeconds } from '../../../core/clock.js';
import { E } from '../logic/errors.js';
import type { Caller } from '../logic/models.js';
import type { ImageInfo } from '../logic/ports.js';
import { authorize } from '../policy.js';
import { body, metadata } from '../schemas/common.js';
import { isoTime, limitParam, nextLink, qp } from '../schemas/queries.js';
import { links } from '../views/server.js';
import type { ComputeRouteDeps, IdParams } from './deps.js';

type KeyParams = { Params: { id: string; key: string } };

/** Glance statuses as the compute images proxy shows them, with a progress figure. */
const STATUS: Record<string, [string, number]> = {
  active: ['ACTIVE', 100],
  queued: ['SAVING', 25],
  saving: ['SAVING', 50],
  uploading: ['SAVING', 50],
  importing: ['SAVING', 50],
  killed: ['ERROR', 0],
  deleted: ['DELETED', 0],
  pending_delete: ['DELETED', 0],
};

function imageLinks(base: string, id: string) {
  return [...links(base, 'images', id), { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${base.replace(/\/compute$/, '/image')}/images/${id}` }];
}

function brief(img: ImageInfo, base: string) {
  return { id: img.id, name: img.name, links: imageLinks(base, img.id) };
}

function detail(img: ImageInfo, base: string): Record<string, unknown> {
  const [status, progress] = STATUS[img.status] ?? ['UNKNOWN', 0];
  const out: Record<string, unknown> = {
    id: img.id,
    name: img.name,
    status,
    progress,
    minDisk: img.minDisk,
    minRam: img.minRam,
    metadata: { ...img.properties },
    created: isoSeconds(img.createdAt ?? 0),
    updated: isoSeconds(img.updatedAt ?? img.createdAt ?? 0),
    links: imageLinks(base, img.id),
    'OS-EXT-IMG-SIZE:size': img.size,
  };
  const server = img.properties.instance_uuid;
  if (server) out.server = { id: server, links: links(base, 'servers', server) };
  return out;
}

/** The 2.1 filters of GET /images[/detail]. */
function filtered(all: ImageInfo[], req: FastifyRequest): ImageInfo[] {
  const name = qp(req.query, 'name');
  const status = qp(req.query, 'status')?.toUpperCase();
  const server = qp(req.query, 'server');
  const type = qp(req.query, 'type');
  const since = qp(req.query, 'changes-since');
  const minRam = qp(req.query, 'minRam');
  const minDisk = qp(req.query, 'minDisk');
  const t = since === undefined ? undefined : isoTime(since, 'changes-since');
  for (const [k, v] of [['minRam', minRam], ['minDisk', minDisk]] as const) if (v !== undefined && !/^\d+$/.test(v)) throw badRequest(`Invalid ${k} filter [${v}]`);
  return all.filter(
    (i) =>
      (name === undefined || i.name === name) &&
      (status === undefined || (STATUS[i.status]?.[0] ?? 'UNKNOWN') === status) &&
      (server === undefined || i.properties.instance_uuid === server.replace(/\/+$/, '').split('/').pop()) &&
      (type === undefined || i.properties.image_type === type) &&
      (t === undefined || (i.updatedAt ?? 0) >= t) &&
      (minRam === undefined || i.minRam >= Number(minRam)) &&
      (minDisk === undefined || i.minDisk >= Number(minDisk)),
  );
}

/**
 * The compute API's image proxy (deprecated in Nova 2.36, still in 2.1): Glance images seen
 * the way Nova showed them, with their extra properties as `metadata`.
 */
export function imageRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const images = () => d.logic.ctx.ports.images;
  const get = async (caller: Caller, id: string) => images().get(caller, id);

  const list = (isDetail: boolean) => async (req: FastifyRequest) => {
    const caller = authorize(req, 'read');
    let all = filtered(await images().list(caller), req);
    const marker = qp(req.query, 'marker');
    if (marker !== undefined) {
      const i = all.findIndex((x) => x.id === marker);
      if (i < 0) throw badRequest(`marker [${marker}] not found`);
      all = all.slice(i + 1);
    }
    const limit = limitParam(req.query);
    const page = limit === undefined ? all : all.slice(0, limit);
    const out: Record<string, unknown> = { images: page.map((i) => (isDetail ? detail(i, d.base()) : brief(i, d.base()))) };
    const last = page[page.length - 1];
    if (limit !== undefined && last && all.length > limit) out.images_links = nextLink(`${d.base()}/v2.1/images${isDetail ? '/detail' : ''}`, req.query, limit, last.id);
    return out;
  };
  app.get('/images', list(false));
  app.get('/images/detail', list(true));
  app.get<IdParams>('/images/:id', async (req) => ({ image: detail(await get(authorize(req, 'read'), req.params.id), d.base()) }));
  app.delete<IdParams>('/images/:id', async (req, reply) => {
    const caller = authorize(req, 'write');
    await get(caller, req.params.id);
    await images().delete(caller, req.params.id);
    reply.code(204).send();
  });

}

/** Image metadata through the compute API (the image's extra properties). */
export function imageMetadataRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const images = () => d.logic.ctx.ports.images;
  const get = async (caller: Caller, id: string) => images().get(caller, id);
  app.get<IdParams>('/images/:id/metadata', async (req) => ({ metadata: (await get(authorize(req, 'read'), req.params.id)).properties }));
  for (const [method, replace] of [['PUT', true], ['POST', false]] as const) {
    app.route<IdParams>({
      method,
      url: '/images/:id/metadata',
      handler: async (req) => {
        const caller = authorize(req, 'write');
        const items = metadata(body(req.body, 'metadata'));
        await get(caller, req.params.id);
        return { metadata: (await images().setProperties(caller, req.params.id, items, replace)).properties };
      },
    });
  }
  app.get<KeyParams>('/images/:id/metadata/:key', async (req) => {
    const img = await get(authorize(req, 'read'), req.params.id);
    if (!(req.params.key in img.properties)) throw E.metadataNotFound(req.params.key);
    return { meta: { [req.params.key]: img.properties[req.params.key] } };
  });
  app.put<KeyParams>('/images/:id/metadata/:key', async (req) => {
    const caller = authorize(req, 'write');
    const meta = metadata(body(req.body, 'meta'), 'meta');
    if (Object.keys(meta).length !== 1) throw badRequest('Request body contains too many items');
    if (!(req.params.key in meta)) throw badRequest('Request body and URI mismatch');
    await get(caller, req.params.id);
    await images().setProperties(caller, req.params.id, meta, false);
    return { meta };
  });
  app.delete<KeyParams>('/images/:id/metadata/:key', async (req, reply) => {
    const caller = authorize(req, 'write');
    const img = await get(caller, req.params.id);
    if (!(req.params.key in img.properties)) throw E.metadataNotFound(req.params.key);
    await images().setProperties(caller, req.params.id, {}, false, [req.params.key]);
    reply.code(204).send();
  });
}
