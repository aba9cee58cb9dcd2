import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import { StratusError } from '../core/errors.js';

/** The methods a path serves, e.g. `['/images/:id', ['GET', 'PATCH', 'DELETE']]`. */
export type AllowedMethods = [url: string, methods: string[]][];

/**
 * Registers, for each path, a route for every other method (of GET, PUT, POST, PATCH, DELETE)
 * that sets `Allow` and throws a `MethodNotAllowed` StratusError (the service's error handler
 * renders it), as the OpenStack WSGI frameworks answer 405 instead of 404.
 */
export function methodNotAllowedRoutes(app: FastifyInstance, allowed: AllowedMethods, message: (methods: string[]) => string, config?: RouteShorthandOptions['config']): void {
  for (const [url, methods] of allowed) {
    const others = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'].filter((m) => !methods.includes(m));
    app.route({
      method: others,
      url,
      ...(config ? { config } : {}),
      handler: async (_req, reply) => {
        reply.header('allow', methods.join(', '));
        throw new StratusError('MethodNotAllowed', message(methods));
      },
    });
  }
}
