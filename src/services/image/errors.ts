import type { FastifyReply, FastifyRequest } from 'fastify';
import { StratusError, TITLE_OF, toStratusError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * Glance's error body: the small HTML page webob renders (clients only read the status, and the
 * SDK strips the tags to show the message).
 */
export function glanceErrorBody(status: number, title: string, message: string): string {
  const head = `${status} ${title}`;
  return `<html>\n <head>\n  <title>${head}</title>\n </head>\n <body>\n  <h1>${head}</h1>\n  ${escape(message)}<br /><br />\n\n\n\n </body>\n</html>`;
}

export function glanceErrorHandler(log: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toStratusError(err);
    if (!e) {
      log.error(`${req.id} ${req.method} ${req.url} failed: ${(err as Error)?.stack ?? String(err)}`);
      return send(reply, 500, TITLE_OF.Internal, 'The server has either erred or is incapable of performing the requested operation.');
    }
    return send(reply, e.status, TITLE_OF[e.kind], e.message);
  };
}

export function glanceNotFound(log: Logger) {
  const handle = glanceErrorHandler(log);
  return (req: FastifyRequest, reply: FastifyReply) => handle(new StratusError('NotFound', 'The resource could not be found.'), req, reply);
}

function send(reply: FastifyReply, status: number, title: string, message: string) {
  if (reply.sent || reply.raw.destroyed) return reply;
  return reply.code(status).type('text/html; charset=UTF-8').send(glanceErrorBody(status, title, message));
}
