import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StratusError } from '../../../core/errors.js';
import { authorize } from '../policy.js';
import { checkTag, own } from '../schemas/attrs.js';
import { parseCreate } from '../schemas/create.js';
import { parseList } from '../schemas/list.js';
import { PATCH_MEDIA_TYPES, parsePatch } from '../schemas/patch.js';
import { imageListView, imageView, STORE_ID } from '../views/image.js';
import type { ImageRouteDeps } from './deps.js';

type P = { Params: { id: string } };
type PT = { Params: { id: string; tag: string } };

/** The media type of a request without parameters, lower-cased ('' when absent). */
export function mediaType(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** PATCH accepts only the two json-patch media types (415 otherwise, before parsing). */
async function patchTypeOnly(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (own(PATCH_MEDIA_TYPES, mediaType(req)) !== undefined) return payload;
  const allowed = Object.keys(PATCH_MEDIA_TYPES).sort().join(', ');
  reply.header('accept-patch', allowed);
  throw new StratusError('UnsupportedMediaType', `Image PATCH expects Content-Type one of: ${allowed}`);
}

export function imageRoutes(app: FastifyInstance, { logic, root }: ImageRouteDeps): void {
  app.get('/images', async (req) => {
    const caller = authorize(req.auth, 'image:read', 'get_images');
    const raw = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const page = await logic.images.list(caller, parseList(new URLSearchParams(raw)));
    return imageListView(page, raw);
  });

  app.post('/images', async (req, reply) => {
    const caller = authorize(req.auth, 'image:write', 'add_image');
    const input = parseCreate(req.body);
    const image = await logic.images.create(caller, input);
    reply
      .code(201)
      .header('location', `${root()}/v2/images/${image.id}`)
      .header('openstack-image-import-methods', 'glance-direct')
      .header('openstack-image-store-ids', STORE_ID);
    return imageView(image);
  });

  app.get<P>('/images/:id', async (req) => {
    const caller = authorize(req.auth, 'image:read', 'get_image');
    return imageView(await logic.images.find(caller, req.params.id));
  });

  app.patch<P>('/images/:id', { preParsing: patchTypeOnly }, async (req) => {
    const caller = authorize(req.auth, 'image:write', 'modify_image');
    const changes = parsePatch(req.body, own(PATCH_MEDIA_TYPES, mediaType(req))!);
    return imageView(await logic.images.update(caller, req.params.id, changes));
  });

  app.delete<P>('/images/:id', async (req, reply) => {
    const caller = authorize(req.auth, 'image:write', 'delete_image');
    await logic.images.delete(caller, req.params.id);
    reply.code(204).send();
  });

  app.post<P>('/images/:id/actions/deactivate', async (req, reply) => {
    const caller = authorize(req.auth, 'image:write', 'deactivate');
    await logic.images.deactivate(caller, req.params.id);
    reply.code(204).send();
  });

  app.post<P>('/images/:id/actions/reactivate', async (req, reply) => {
    const caller = authorize(req.auth, 'image:write', 'reactivate');
    await logic.images.reactivate(caller, req.params.id);
    reply.code(204).send();
  });

  app.put<PT>('/images/:id/tags/:tag', async (req, reply) => {
    const caller = authorize(req.auth, 'image:write', 'modify_image');
    checkTag(req.params.tag);
    await logic.images.addTag(caller, req.params.id, req.params.tag);
    reply.code(204).send();
  });

  app.delete<PT>('/images/:id/tags/:tag', async (req, reply) => {
    const caller = authorize(req.auth, 'image:write', 'modify_image');
    await logic.images.removeTag(caller, req.params.id, req.params.tag);
    reply.code(204).send();
  });
}
