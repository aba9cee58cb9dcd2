import type { FastifyReply, FastifyRequest } from 'fastify';
import { StratusError, toStratusError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

/** Nova's fault keys by status (nova `api/openstack/wsgi.py`, `_FAULT_NAMES`). */
const FAULT: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  406: 'notAcceptable',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function novaFault(status: number, message: string) {
  return { [FAULT[status] ?? 'computeFault']: { code: status, message } };
}

/** Renders every error of the compute API in Nova's shape; unexpected ones as a logged 500. */
export function novaErrorHandler(log: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toStratusError(err);
    if (!e) {
      log.error(`${req.id} ${req.method} ${req.url} failed: ${(err as Error)?.stack ?? String(err)}`);
      return reply.code(500).send(novaFault(500, 'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.'));
    }
    const status = e.status;
    if (status === 401) reply.header('content-type', 'application/json');
    return reply.code(status).send(novaFault(status, e.message));
  };
}

export function novaNotFound(log: Logger) {
  return (req: FastifyRequest, reply: FastifyReply) =>
    novaErrorHandler(log)(new StratusError('NotFound', 'The resource could not be found.'), req, reply);
}
