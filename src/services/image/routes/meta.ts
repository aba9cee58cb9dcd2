import type { FastifyInstance } from 'fastify';
import { authorize } from '../policy.js';
import { imageSchema, imagesSchema, memberSchema, membersSchema } from '../schemas/documents.js';
import { IMPORT_METHODS } from '../schemas/import.js';
import { STORE_ID } from '../views/image.js';
import type { ImageRouteDeps } from './deps.js';

/** Schemas and the `/v2/info/*` discovery documents. */
export function metaRoutes(app: FastifyInstance, { logic }: ImageRouteDeps): void {
  const docs: Record<string, () => Record<string, unknown>> = {
    image: imageSchema,
    images: imagesSchema,
    member: memberSchema,
    members: membersSchema,
  };
  for (const [name, doc] of Object.entries(docs)) {
    app.get(`/schemas/${name}`, async (req) => {
      authorize(req.auth, 'image:read', 'get_schema');
      return doc();
    });
  }

  app.get('/info/import', async (req) => {
    authorize(req.auth, 'image:read', 'get_import_info');
    return { 'import-methods': { description: 'Import methods available.', type: 'array', value: [...IMPORT_METHODS] } };
  });

  app.get('/info/stores', async (req) => {
    authorize(req.auth, 'image:read', 'get_stores');
    return { stores: [{ id: STORE_ID, description: 'Stratus blob store (files under the data dir)', default: 'true' }] };
  });

  /** Glance's quota usage document (image_count_total, image_size_total, …). */
  app.get('/info/usage', async (req) => {
    const caller = authorize(req.auth, 'image:read', 'get_usage');
    if (caller.projectId === null) return { usage: {} };
    const u = await logic.quotas.usage(caller.projectId);
    return {
      usage: {
        image_count_total: u.images,
        image_size_total: { limit: Math.floor(u.bytes.limit / 1024 ** 2), usage: Math.ceil(u.bytes.usage / 1024 ** 2) },
      },
    };
  });
}
