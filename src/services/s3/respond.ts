import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../core/log.js';
import { methodNotAllowed, S3Error, toS3Error } from './errors.js';
import { xmlDocument, type XmlNode } from './xml.js';

const XML = 'application/xml';

/** Sends an XML document (or nothing, for HEAD). */
export function sendXml(reply: FastifyReply, status: number, doc: string, headers: Record<string, string> = {}): FastifyReply {
  reply.code(status).headers(headers).header('content-type', XML);
  if (reply.request.method === 'HEAD') return reply.header('content-length', String(Buffer.byteLength(doc))).send();
  return reply.send(doc);
}

/** A response without a body (200 for PUT, 204 for DELETE, HEAD answers). */
export function sendEmpty(reply: FastifyReply, status: number, headers: Record<string, string> = {}): FastifyReply {
  reply.code(status).headers(headers);
  if (!reply.hasHeader('content-length')) reply.header('content-length', '0');
  return reply.send();
}

/** `<Error>` with Code, Message, the details, Resource and RequestId. */
export function errorXml(err: S3Error, resource: string, requestId: string): string {
  const details = Object.entries(err.details).map(([k, v]): XmlNode => [k, v]);
  return xmlDocument(
    'Error',
    [['Code', err.code], ['Message', err.message], ...details, ['Resource', resource], ['RequestId', requestId]],
    null,
  );
}

/** The path after the service prefix, for the Resource element. */
function resourceOf(req: FastifyRequest, prefix: string): string {
  const path = req.url.split('?')[0]!.slice(prefix.length);
  try {
    return decodeURIComponent(path) || '/';
  } catch {
    return path || '/';
  }
}

/** Renders an S3Error; HEAD responses carry only the status and headers. */
export function sendError(req: FastifyRequest, reply: FastifyReply, err: S3Error, prefix: string): FastifyReply {
  reply.code(err.status).header('content-type', XML);
  if (err.code === 'MethodNotAllowed') reply.header('allow', 'GET, HEAD, PUT, POST, DELETE');
  if (err.details.ActualObjectSize !== undefined) reply.header('content-range', `bytes */${err.details.ActualObjectSize}`);
  if (req.method === 'HEAD') return reply.header('content-length', '0').send();
  return reply.send(errorXml(err, resourceOf(req, prefix), req.id));
}

/**
 * Every error as S3's XML: S3Errors as they are, logic and framework errors mapped to S3
 * codes, anything unexpected a logged InternalError with no detail on the wire.
 */
export function s3ErrorHandler(log: Logger, prefix: string) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    let e = toS3Error(err);
    if (!e) {
      log.error(`${req.id} ${req.method} ${req.url.slice(0, 200)} failed: ${(err as Error)?.stack ?? String(err)}`);
      e = new S3Error('InternalError', 500, 'We encountered an internal error. Please try again.');
    }
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return reply;
    }
    return sendError(req, reply, e, prefix);
  };
}

export function s3NotFound(prefix: string) {
  return (req: FastifyRequest, reply: FastifyReply) => sendError(req, reply, methodNotAllowed(req.method), prefix);
}
