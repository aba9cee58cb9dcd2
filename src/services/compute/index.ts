import type { FastifyInstance } from 'fastify';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import { authHook } from '../../http/auth.js';
import type { GatewayContext, ServiceHealth, ServiceModule } from '../../http/service.js';
import { novaErrorHandler, novaNotFound } from './errors.js';
import { ComputeLogic, type ComputeConfig, type ComputeDeps } from './logic/index.js';
import { metadataHandler } from './metadata/handler.js';
import { MAX_VERSION, MIN_VERSION, negotiate } from './microversion.js';
import type { ComputeRouteDeps } from './routes/deps.js';
import { floatingBulkRoutes, migrationRoutes } from './routes/admin-extra.js';
import { aggregateRoutes } from './routes/aggregates.js';
import { auditRoutes, eventRoutes, extensionRoutes, hostRoutes } from './routes/legacy.js';
import { flavorRoutes, flavorSpecRoutes } from './routes/flavors.js';
import { groupRoutes, limitRoutes, quotaRoutes } from './routes/groups-quotas.js';
import { imageMetadataRoutes, imageRoutes } from './routes/images.js';
import { azRoutes, hypervisorRoutes, serviceRoutes, usageRoutes } from './routes/infra.js';
import { keypairRoutes } from './routes/keypairs.js';
import { floatingIpRoutes, networkProxyRoutes, securityGroupRoutes } from './routes/proxies-network.js';
import { volumeProxyRoutes } from './routes/proxies-volume.js';
import { serverActionRoutes } from './routes/server-actions.js';
import { serverHistoryRoutes, serverInfoRoutes, serverMetadataRoutes } from './routes/server-sub.js';
import { serverRoutes } from './routes/servers.js';

/** Nova's request limit (osapi_max_request_body_size). */
const BODY_LIMIT = 114_688;

function v20(base: string) {
  return { id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z', links: [{ rel: 'self', href: `${base}/compute/v2/` }] };
}

function v21(base: string) {
  return { id: 'v2.1', status: 'CURRENT', version: MAX_VERSION, min_version: MIN_VERSION, updated: '2013-07-23T11:33:21Z', links: [{ rel: 'self', href: `${base}/compute/v2.1/` }] };
}

function detailed(v: ReturnType<typeof v20>, mv: string) {
  return {
    ...v,
    links: [...v.links, { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
    'media-types': [{ base: 'application/json', type: `application/vnd.openstack.compute+json;version=${mv}` }],
  };
}

/** A positive number from the environment, else `fallback`. */
function envRatio(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/**
 * Defaults for this one host: allocation ratios of 64 vCPU (override with
 * STRATUS_CPU_ALLOCATION_RATIO), 1.5 RAM and 1 disk (STRATUS_RAM_/DISK_ALLOCATION_RATIO), 512 MiB
 * kept for the host, ed25519 keypairs, and an image cache under the data dir (a private
 * temporary directory, removed at close, for an in-memory cloud).
 */
// NOTE: placement's default CPU ratio is 16, which gives a 2-core machine 32 vCPUs; DESIGN.md's
// density target (50 instances and a 2-node cluster on 2 cores) needs more, and Stratus
// instances are containers sharing the CPUs, not VMs pinning them.
export function defaultComputeConfig(dataDir: string, over: Partial<ComputeConfig> = {}): ComputeConfig {
  const memory = dataDir === ':memory:';
  return {
    host: hostname(),
    cpuRatio: envRatio('STRATUS_CPU_ALLOCATION_RATIO', 64),
    ramRatio: envRatio('STRATUS_RAM_ALLOCATION_RATIO', 1.5),
    diskRatio: envRatio('STRATUS_DISK_ALLOCATION_RATIO', 1),
    reservedMemoryMb: 512,
    imageCacheDir: memory ? mkdtempSync(join(tmpdir(), 'stratus-image-cache-')) : join(dataDir, 'compute', 'images'),
    imageCacheEphemeral: memory,
    // NOTE: Nova generates RSA, but RSA-2048 takes about a second of CPU here; ed25519 takes
    // microseconds and every current ssh client (OpenSSH, dropbear, paramiko) reads it.
    keyAlgorithm: 'ed25519',
    ...over,
  };
}

export interface ComputeServiceModule extends ServiceModule {
  /** The compute logic, for other services and for the data plane's metadata proxy. */
  logic: ComputeLogic;
  /** The metadata service as a `node:http` listener, for a unix socket the data plane serves. */
  metadataListener: ReturnType<typeof metadataHandler>;
}

/**
 * Nova v2.1 at `/compute`: version discovery, then the versioned API with microversion
 * negotiation. Before it serves, it seeds flavors, registers this host and resumes the work
 * a restart interrupted; on close it lets running tasks finish.
 */
export function computeService(deps: ComputeDeps): ComputeServiceModule {
  const logic = new ComputeLogic(deps);
  const log: Logger = deps.log;
  let health: ServiceHealth = { status: 'down', detail: 'starting' };
  return {
    name: 'compute',
    prefix: '/compute',
    catalog: [{ type: 'compute', name: 'nova', path: '/compute/v2.1' }],
    logic,
    metadataListener: metadataHandler(logic.metadata, log.child('metadata')),
    health: () => health,
    async plugin(app: FastifyInstance, ctx: GatewayContext) {
      const r = await logic.init();
      if (r.flavors || r.resumed) log.info(`compute ready: ${r.flavors} flavors seeded, ${r.resumed} servers resumed`);
      app.addHook('onClose', async () => logic.close());
      app.setErrorHandler(novaErrorHandler(log));
      app.setNotFoundHandler(novaNotFound(log));
      app.addHook('onRequest', async (req, reply) => {
        reply.header('x-compute-request-id', req.id);
      });
      app.addHook('onRequest', authHook(ctx.verifier));
      app.addHook('onRoute', (route) => {
        route.bodyLimit ??= BODY_LIMIT;
      });

      const pub = { config: { public: true } };
      app.get('/', pub, async () => ({ versions: [v20(ctx.baseUrl()), v21(ctx.baseUrl())] }));
      app.get('/v2', pub, async () => ({ version: detailed(v20(ctx.baseUrl()), '2') }));
      app.get('/v2.1', pub, async () => ({ version: detailed(v21(ctx.baseUrl()), MAX_VERSION) }));

      const routeDeps: ComputeRouteDeps = { logic, log, base: () => `${ctx.baseUrl()}/compute` };
      await app.register(
        async (v) => {
          v.addHook('onRequest', negotiate);
          const all = [serverRoutes, serverActionRoutes, serverMetadataRoutes, serverInfoRoutes, serverHistoryRoutes, flavorRoutes, flavorSpecRoutes, keypairRoutes];
          all.push(groupRoutes, quotaRoutes, limitRoutes, azRoutes, hypervisorRoutes, serviceRoutes, usageRoutes, imageRoutes, imageMetadataRoutes, aggregateRoutes);
          all.push(extensionRoutes, hostRoutes, eventRoutes, auditRoutes);
          all.push(securityGroupRoutes, floatingIpRoutes, networkProxyRoutes, volumeProxyRoutes, migrationRoutes, floatingBulkRoutes);
          for (const routes of all) routes(v, routeDeps);
        },
        { prefix: '/v2.1' },
      );
      health = { status: 'up', detail: `driver ${deps.driver.name}` };
    },
  };
}
