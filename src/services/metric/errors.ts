import type { FastifyReply, FastifyRequest } from 'fastify';
import { StratusError, TITLE_OF, toStratusError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

/**
 * Renders errors as Gnocchi (pecan/webob) does in JSON: `{"code": 404, "description":
 * "Metric … does not exist", "title": "Not Found"}`. gnocchiclient reads `description`.
 */
export function gnocchiErrorHandler(log: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toStratusError(err);
    if (!e || e.status >= 500) {
      log.error(`${req.id} ${req.method} ${req.url} failed: ${(err as Error)?.stack ?? String(err)}`);
      return reply.code(500).send({ code: 500, description: 'The server encountered an unexpected condition which prevented it from fulfilling the request.', title: 'Internal Server Error' });
    }
    const description = e.kind === 'BadRequest' && !(err instanceof StratusError) ? `Invalid input: ${e.message}` : e.message;
    return reply.code(e.status).send({ code: e.status, description, title: TITLE_OF[e.kind] });
  };
}

export function notFoundHandler(log: Logger) {
  return (req: FastifyRequest, reply: FastifyReply) =>
    gnocchiErrorHandler(log)(new StratusError('NotFound', 'The resource could not be found.'), req, reply);
}
