import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { GatewayContext, ServiceHealth, ServiceModule } from '../../http/service.js';
import type { Store } from '../../store/index.js';
import type { ObjectStorage } from '../object-store/logic/index.js';
import { authenticate } from './auth/index.js';
import type { S3Credentials } from './credentials.js';
import { accessDenied } from './errors.js';
import { Uploads } from './logic/uploads.js';
import { parseQuery, parseTarget, type S3Deps } from './request.js';
import { s3ErrorHandler, s3NotFound } from './respond.js';
import { operationOf } from './router.js';

export type { S3Credentials, S3Secret } from './credentials.js';

/** Where the S3 API lives on the gateway's port. */
export const S3_PREFIX = '/s3';

/** S3's minimum size of every part but the last. */
export const DEFAULT_MIN_PART_SIZE = 5 * 1024 * 1024;

export interface S3ServiceDeps {
  /** The object store Swift serves too: buckets are the containers of the project's account. */
  storage: ObjectStorage;
  /** For the service's own records (multipart uploads in progress). */
  store: Store;
  credentials: S3Credentials;
  clock: Clock;
  log: Logger;
  region: string;
  minPartSize?: number;
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];

/** One request: route, authenticate (SigV4), authorize (reader reads, member writes), run. */
async function handle(deps: S3Deps, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const target = parseTarget(req.url, S3_PREFIX);
  const pairs = parseQuery(req.url);
  const query = new Map(pairs);
  const operation = operationOf(req.method, target, query, req.headers['x-amz-copy-source'] !== undefined);
  const signed = { method: req.method, rawPath: target.rawPath, query: pairs, rawHeaders: req.raw.rawHeaders, headers: req.headers };
  const { principal, payload } = await authenticate(signed, deps.credentials, deps.clock.now());
  if (operation.write && !principal.canWrite) throw accessDenied();
  return operation.run({ req, reply, deps, target, query, principal, payload });
}

/**
 * The S3 REST API (path-style addressing) at `/s3` on the gateway's port, over the same object
 * store as Swift. Authentication is AWS Signature Version 4 against Keystone EC2 credentials;
 * errors are S3's XML documents; every response carries x-amz-request-id.
 */
export function s3Service(deps: S3ServiceDeps): ServiceModule {
  let health: ServiceHealth = { status: 'down', detail: 'starting' };
  const minPartSize = deps.minPartSize ?? DEFAULT_MIN_PART_SIZE;
  return {
    name: 's3',
    prefix: S3_PREFIX,
    catalog: [{ type: 's3', name: 's3', path: S3_PREFIX }],
    health: () => health,
    frameworkError(err, req, reply) {
      reply.header('x-amz-request-id', req.id);
      s3ErrorHandler(deps.log, S3_PREFIX)(err, req, reply);
    },
    async plugin(app: FastifyInstance, ctx: GatewayContext) {
      // Both front ends start and stop the shared store; init and close are idempotent.
      await deps.storage.init();
      app.addHook('onClose', async () => deps.storage.close());
      const full: S3Deps = {
        storage: deps.storage,
        uploads: new Uploads(deps.storage, deps.store, deps.clock, minPartSize),
        credentials: deps.credentials,
        clock: deps.clock,
        log: deps.log,
        config: { region: deps.region, minPartSize },
        publicUrl: () => `${ctx.baseUrl()}${S3_PREFIX}`,
      };
      // Bodies are streamed by the handlers (objects, parts) or read with their own limits (XML).
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
      app.setErrorHandler(s3ErrorHandler(deps.log, S3_PREFIX));
      app.setNotFoundHandler(s3NotFound(S3_PREFIX));
      app.addHook('onRequest', async (req, reply) => {
        reply.header('x-amz-request-id', req.id);
      });
      const handler = (req: FastifyRequest, reply: FastifyReply) => handle(full, req, reply);
      app.route({ method: METHODS, url: '/', handler, exposeHeadRoute: false });
      app.route({ method: METHODS, url: '/*', handler, exposeHeadRoute: false });
      health = { status: 'up' };
    },
  };
}
