import type { FastifyReply, FastifyRequest } from 'fastify';
import { StratusError, toStratusError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

/**
 * Aodh's error body: WSME's fault wrapped by Aodh's error middleware,
 * `{"error_message": {"faultcode": "Client", "faultstring": "…", "debuginfo": null}}`.
 * aodhclient shows `faultstring`.
 */
export function faultBody(message: string, server = false) {
  return { error_message: { faultcode: server ? 'Server' : 'Client', faultstring: message, debuginfo: null } };
}

export function aodhErrorHandler(log: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toStratusError(err);
    if (reply.sent || reply.raw.destroyed) return reply;
    if (!e || e.status >= 500) {
      log.error(`${req.id} ${req.method} ${req.url} failed: ${(err as Error)?.stack ?? String(err)}`);
      return reply.code(500).send(faultBody('The server has either erred or is incapable of performing the requested operation.', true));
    }
    return reply.code(e.status).send(faultBody(e.message));
  };
}

export function aodhNotFound(log: Logger) {
  const handle = aodhErrorHandler(log);
  return (req: FastifyRequest, reply: FastifyReply) => handle(new StratusError('NotFound', 'The resource could not be found.'), req, reply);
}

/** WSME's message for a bad field value. */
export function invalidInput(field: string, value: unknown, why: string): StratusError {
  const v = typeof value === 'string' ? value : JSON.stringify(value) ?? 'None';
  return new StratusError('BadRequest', `Invalid input for field/attribute ${field}. Value: '${v}'. ${why}`.trim(), 'InvalidInput');
}

export function clientError(message: string, kind: 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'Conflict' = 'BadRequest'): StratusError {
  return new StratusError(kind, message);
}

export function alarmNotFound(id: string): StratusError {
  return new StratusError('NotFound', `Alarm ${id} not found`, 'AlarmNotFound');
}

/** Aodh's 401 for a project (or user) the caller may not act for. */
export function notAuthorized(id: string, aspect: 'project' | 'user' = 'project'): StratusError {
  return new StratusError('Unauthorized', `Not Authorized to access ${aspect} ${id}`, 'ProjectNotAuthorized');
}
