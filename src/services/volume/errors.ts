import type { FastifyReply, FastifyRequest } from 'fastify';
import { StratusError, toStratusError, type ErrorKind } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

/** Cinder's fault names (the same catalogue as Nova's). */
const FAULT: Partial<Record<ErrorKind, string>> = {
  BadRequest: 'badRequest',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  NotFound: 'itemNotFound',
  MethodNotAllowed: 'badMethod',
  NotAcceptable: 'notAcceptable',
  Conflict: 'conflictingRequest',
  PayloadTooLarge: 'overLimit',
  UnsupportedMediaType: 'badMediaType',
  TooManyRequests: 'overLimit',
  Unavailable: 'serviceUnavailable',
};

/** Renders any error as Cinder does: `{"itemNotFound": {"code": 404, "message": "…"}}`. */
export function cinderErrorHandler(log: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toStratusError(err);
    if (!e || e.status >= 500) {
      log.error(`${req.id} ${req.method} ${req.url} failed: ${(err as Error)?.stack ?? String(err)}`);
      return reply.code(500).send({ computeFault: { code: 500, message: 'The server has either erred or is incapable of performing the requested operation.' } });
    }
    return reply.code(e.status).send({ [FAULT[e.kind] ?? 'computeFault']: { code: e.status, message: e.message } });
  };
}

export function notFoundHandler(log: Logger) {
  return (req: FastifyRequest, reply: FastifyReply) =>
    cinderErrorHandler(log)(new StratusError('NotFound', 'The resource could not be found.'), req, reply);
}
