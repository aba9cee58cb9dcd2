import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenVerifier } from './auth.js';

/** An entry the identity service puts in the catalog for an enabled service. */
export interface CatalogEntry {
  type: string;
  name: string;
  /** Path under the public base URL, may contain `$(project_id)s`. */
  path: string;
}

export interface ServiceHealth {
  status: 'up' | 'degraded' | 'down';
  detail?: string;
}

/** What every service gets from the gateway. */
export interface GatewayContext {
  verifier: TokenVerifier;
  /** Public base URL, e.g. http://127.0.0.1:5000 (no trailing slash). */
  baseUrl(): string;
}

/**
 * One API service behind the gateway: an encapsulated Fastify plugin under `prefix` that
 * registers its own routes, error handler and not-found handler.
 */
export interface ServiceModule {
  name: string;
  prefix: string;
  catalog: CatalogEntry[];
  plugin(app: FastifyInstance, ctx: GatewayContext): Promise<void>;
  health(): ServiceHealth;
  /**
   * Renders an error raised before routing (a malformed URL) for a request under `prefix`,
   * in the service's own shape. Without it the gateway answers in Keystone's JSON shape.
   */
  frameworkError?(err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply): void;
}
