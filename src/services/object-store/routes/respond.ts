import type { FastifyReply } from 'fastify';
import type { HeaderMap } from '../views/headers.js';

/** Sends a response with Swift's headers; an empty body still carries a Content-Type. */
export function respond(reply: FastifyReply, status: number, headers: HeaderMap, body?: string | Buffer): FastifyReply {
  reply.code(status).headers(headers);
  if (!reply.hasHeader('content-type')) reply.header('content-type', 'text/html; charset=UTF-8');
  if (body === undefined || body.length === 0) {
    if (!reply.hasHeader('content-length')) reply.header('content-length', '0');
    return reply.send();
  }
  return reply.send(body);
}
