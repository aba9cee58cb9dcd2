import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StratusError } from '../../../core/errors.js';
import { BlobNotFound } from '../../../drivers/object/driver.js';
import { glanceErrorBody } from '../errors.js';
import { authorize } from '../policy.js';
import { parseImport } from '../schemas/import.js';
import { parseRange } from '../schemas/range.js';
import type { ImageRouteDeps } from './deps.js';
import { mediaType } from './images.js';

type P = { Params: { id: string } };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The image API leaves this route's body unread, for the handler to stream. */
    rawBody?: boolean;
  }
}

/**
 * Data routes stream: the request body is read straight from the socket (the plugin's catch-all
 * content-type parser leaves it unread for routes marked `rawBody`), and downloads are piped
 * from the blob store, so memory stays flat whatever the image size.
 */
const RAW = { config: { rawBody: true }, preParsing: octetOnly };

async function octetOnly(req: FastifyRequest, _reply: FastifyReply, payload: unknown): Promise<unknown> {
  const type = mediaType(req);
  if (type !== '' && type !== 'application/octet-stream')
    throw new StratusError('UnsupportedMediaType', `Content-Type ${type.slice(0, 60)} is not supported; send application/octet-stream.`);
  return payload;
}

/** The request body as bytes; leaving it early (an error) does not destroy the socket. */
function body(req: FastifyRequest): AsyncIterable<Uint8Array> {
  return req.raw.iterator({ destroyOnReturn: false });
}

/** Content-Length, when the client sent one (chunked uploads have none). */
function declared(req: FastifyRequest): number | undefined {
  const v = req.headers['content-length'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

export function dataRoutes(app: FastifyInstance, { logic, log }: ImageRouteDeps): void {
  app.put<P>('/images/:id/file', RAW, async (req, reply) => {
    const caller = authorize(req.auth, 'image:write', 'upload_image');
    await logic.data.upload(caller, req.params.id, body(req), declared(req));
    reply.code(204).send();
  });

  app.put<P>('/images/:id/stage', RAW, async (req, reply) => {
    const caller = authorize(req.auth, 'image:write', 'stage_image');
    await logic.data.stage(caller, req.params.id, body(req), declared(req));
    reply.code(204).send();
  });

  app.post<P>('/images/:id/import', async (req, reply) => {
    const caller = authorize(req.auth, 'image:write', 'import_image');
    parseImport(req.body);
    await logic.data.importStaged(caller, req.params.id);
    reply.code(202).send();
  });

  // NOTE: no automatic HEAD here: it would read the whole image to discard it.
  app.get<P>('/images/:id/file', { exposeHeadRoute: false }, async (req, reply) => {
    const caller = authorize(req.auth, 'image:read', 'download_image');
    const img = await logic.data.readable(caller, req.params.id);
    if (!img.blobKey || img.size === null) return reply.code(204).send();
    const range = parseRange(req.headers.range, img.size);
    if (range === 'unsatisfiable') {
      return reply
        .code(416)
        .header('content-range', `bytes */${img.size}`)
        .type('text/html; charset=UTF-8')
        .send(glanceErrorBody(416, 'Requested Range Not Satisfiable', 'The Range requested is not available.'));
    }
    const stream = await logic.data.open(img, range).catch((e: unknown) => {
      if (e instanceof BlobNotFound) return undefined;
      throw e;
    });
    // NOTE: Glance answers 204 when the store has lost the data; say so in the log at least.
    if (!stream) {
      log.warn(`image ${img.id} has no data in the blob store`);
      return reply.code(204).send();
    }
    reply.type('application/octet-stream');
    if (range) {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${img.size}`);
      reply.header('content-length', String(range.end - range.start + 1));
    } else {
      reply.header('content-length', String(img.size));
      if (img.checksum) reply.header('content-md5', img.checksum);
    }
    return reply.send(stream);
  });
}
