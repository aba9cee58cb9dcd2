import { rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from './core/clock.js';
import { StratusError } from './core/errors.js';
import { EventBus } from './core/events.js';
import { createLogger, type Logger } from './core/log.js';
import type { StratusConfig } from './config/config.js';
import { createGateway, type Gateway } from './http/server.js';
import type { ServiceModule } from './http/service.js';
import { openStore, type Store } from './store/index.js';
// Drivers: main.ts is the only place that picks implementations.
import type { BlobStore } from './drivers/object/driver.js';
import { FsBlobStore } from './drivers/object/fs.js';
import { MemoryBlobStore } from './drivers/object/memory.js';
import type { BlockDriver } from './drivers/block/driver.js';
import { FakeBlockDriver } from './drivers/block/fake.js';
import { FileBlockDriver } from './drivers/block/file.js';
import { FakeNetworkDriver } from './drivers/network/fake.js';
import { FakeComputeDriver } from './drivers/compute/fake.js';
import type { ComputeDriver } from './drivers/compute/driver.js';
import type { NetworkDriver } from './drivers/network/driver.js';
import { LinuxNetworkDriver } from './drivers/network/linux/index.js';
import { ContainerComputeDriver } from './drivers/compute/container/index.js';
// The host data plane (namespaces, inventory, cleanup) under both real drivers.
import { cleanupDataPlane } from './dataplane/cleanup.js';
import { hostRunner } from './dataplane/exec.js';
import { Inventory } from './dataplane/inventory.js';
import { cloudPrefix } from './dataplane/names.js';
import { installCommand, packagesOf, probe } from './dataplane/probe.js';
import { Underlay } from './dataplane/underlay.js';
import { buildCirrosImage } from './images/cirros.js';
// Services and the adapters that let them call each other's logic.
import { Identity } from './services/identity/logic/index.js';
import { bootstrap } from './services/identity/logic/bootstrap.js';
import { identityService } from './services/identity/index.js';
import { imageService } from './services/image/index.js';
import { ensureBuiltinImage } from './services/image/logic/bootstrap.js';
import { s3Service, type S3Credentials } from './services/s3/index.js';
import { ObjectStorage } from './services/object-store/logic/index.js';
import { swiftService } from './services/object-store/index.js';
import { BlockStorage } from './services/volume/logic/index.js';
import { volumeService } from './services/volume/index.js';
import { glanceImageSource } from './services/volume/adapters/image.js';
import { Networking } from './services/network/logic/index.js';
import { bootstrapNetwork } from './services/network/logic/bootstrap.js';
import { networkService } from './services/network/index.js';
import { computeService, defaultComputeConfig } from './services/compute/index.js';
import { GlanceImages } from './services/compute/adapters/image.js';
import { NeutronPorts } from './services/compute/adapters/network.js';
import { CinderVolumes } from './services/compute/adapters/volume.js';
import { alarmingService } from './services/alarming/index.js';
import { metricService, metricSource, type MetricServiceModule } from './services/metric/index.js';
import { collectorSources } from './services/metric/adapters/sources.js';

export interface Cloud {
  url: string;
  config: StratusConfig;
  store: Store;
  blobs: BlobStore;
  identity: Identity;
  gateway: Gateway;
  events: EventBus;
  networking: Networking;
  /** Telemetry: the metric logic and its usage collector. */
  metric: MetricServiceModule;
  /** The compute driver in use (tests move the fake's usage counters). */
  computeDriver: ComputeDriver;
  /** True when this start created the initial users and projects. */
  firstStart: boolean;
  /** Which drivers move real packets and run real instances, and why not when they do not. */
  dataplane: DataPlaneChoice;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Access log and service messages; defaults to `log`. */
  accessLog?: Logger;
  clock?: Clock;
  /** Called at each start-up step, for progress lines. */
  progress?: (step: string) => void;
  /** The data plane; without it the cloud runs on the fake drivers. */
  dataplane?: DataPlaneOptions;
}

export interface DataPlaneOptions {
  /** `auto`: the real drivers when root, with the tools, on a data dir on disk. Default `fake`. */
  mode?: 'auto' | 'linux' | 'fake';
  /** No link to the root namespace at all (default true). */
  isolated?: boolean;
  /** Not isolated: the external range and the host's address in it (default 172.24.4.0/24, .1). */
  uplink?: { cidr: string; hostAddress: string };
  /** Remove the whole data plane (instances included) on close, as `up` does on SIGTERM (default true). */
  cleanupOnClose?: boolean;
  /** Why the caller asks for the fakes (shown in /health). */
  reason?: string;
}

export interface DataPlaneChoice {
  network: 'linux' | 'fake';
  compute: 'container' | 'fake';
  /** Why the network runs on the fake, when it does. */
  reason?: string;
  /** Why compute runs on the fake, when it does. */
  computeReason?: string;
  isolated: boolean;
  /** The cloud prefix of namespaces (`stx-…`), with the real data plane. */
  prefix?: string;
}

/** Picks the drivers: real ones only as root, with the tools, on a data dir on disk. */
export function chooseDataPlane(config: StratusConfig, o: DataPlaneOptions = {}): DataPlaneChoice {
  const isolated = o.isolated ?? true;
  const fake = (reason: string): DataPlaneChoice => ({ network: 'fake', compute: 'fake', reason, computeReason: reason, isolated });
  const mode = process.env.STRATUS_DATAPLANE === 'fake' ? 'fake' : (o.mode ?? 'fake');
  if (mode === 'fake') return fake(process.env.STRATUS_DATAPLANE === 'fake' ? 'STRATUS_DATAPLANE=fake' : (o.reason ?? 'fake data plane requested (--fake-dataplane)'));
  if (config.dataDir === ':memory:') return fake('an in-memory cloud has no data dir for the data-plane inventory');
  const p = probe(['network']);
  if (!p.root) return fake('not running as root (the real data plane needs network namespaces)');
  if (p.missing.length) return fake(`missing ${p.missing.map((t) => t.bin).join(', ')}: ${installCommand(packagesOf(p.missing))}`);
  const c = probe(['compute']);
  const computeReason = process.env.STRATUS_COMPUTE === 'fake' ? 'STRATUS_COMPUTE=fake' : c.missing.length ? `missing ${c.missing.map((t) => t.bin).join(', ')}: ${installCommand(packagesOf(c.missing))}` : undefined;
  return { network: 'linux', compute: computeReason ? 'fake' : 'container', ...(computeReason ? { computeReason } : {}), isolated, prefix: cloudPrefix(config.dataDir) };
}

/**
 * The composition root: the only place that picks the store and the drivers and wires the
 * services to the gateway. Tests build the same cloud through it with `dataDir: ':memory:'`
 * and `port: 0`.
 */
export async function startCloud(config: StratusConfig, opts: StartOptions = {}): Promise<Cloud> {
  const log = opts.log ?? createLogger({ level: config.logLevel });
  const progress = opts.progress ?? (() => {});
  const clock = opts.clock ?? systemClock;
  const events = new EventBus();

  const store = openStore(config.dataDir);
  const blobs: BlobStore = config.dataDir === ':memory:' ? new MemoryBlobStore() : new FsBlobStore(join(config.dataDir, 'blobs'));
  const leftovers = await blobs.recover();
  progress(`store open (${store.backend}, schema v${await store.schemaVersion()}${leftovers ? `, removed ${leftovers} partial uploads` : ''})`);

  const identity = new Identity({
    store,
    events,
    clock,
    log: log.child('identity'),
    config: { tokenTtl: config.tokenTtl, region: config.region, adminPassword: config.adminPassword },
  });
  await identity.init();
  const boot = await bootstrap(identity, {
    adminPassword: config.adminPassword,
    resetAdminPassword: config.adminPasswordExplicit,
    region: config.region,
  });
  progress(boot.created ? 'identity bootstrapped (users admin, demo, alt_demo; projects; roles)' : 'identity loaded');

  // Images (Glance): bytes in the blob store. Block storage and compute read them through it.
  const image = imageService({ store, blobs, events, clock, log: log.child('image'), quotas: config.image?.quotas });

  // Block storage: real sparse files under <dataDir>/volumes; the in-memory fake for ':memory:'.
  const volumeLog = log.child('volume');
  const block: BlockDriver =
    config.dataDir === ':memory:' ? new FakeBlockDriver() : new FileBlockDriver(join(config.dataDir, 'volumes'), { log: (m) => volumeLog.warn(m) });
  const blockStorage = new BlockStorage({ store, events, clock, log: volumeLog, driver: block, images: glanceImageSource(image.logic) });
  await blockStorage.init();

  // The data plane: the linux network and container compute drivers in one underlay namespace
  // per cloud (DESIGN.md §4), or the fakes (IPAM and bookkeeping only), saying why.
  const dp = chooseDataPlane(config, opts.dataplane);
  const dpLog = log.child('dataplane');
  let networkDriver: NetworkDriver = new FakeNetworkDriver();
  let computeDriver: ComputeDriver = FakeComputeDriver.fromEnv();
  let metadataServer: HttpServer | undefined;
  const metadataSocket = join(config.dataDir, 'metadata.sock');
  const inventory = dp.prefix ? new Inventory(config.dataDir) : undefined;
  if (dp.prefix && inventory) {
    const uplink = opts.dataplane?.uplink ?? { cidr: '172.24.4.0/24', hostAddress: '172.24.4.1' };
    const underlay = new Underlay({ prefix: dp.prefix, isolated: dp.isolated, uplink }, hostRunner, inventory);
    networkDriver = new LinuxNetworkDriver({ dataDir: config.dataDir, underlay, inventory, metadataSocket, log: (m) => dpLog.warn(m), debug: (m) => dpLog.debug(m) });
    if (dp.compute === 'container') {
      computeDriver = new ContainerComputeDriver({
        stateDir: join(config.dataDir, 'compute', 'instances'),
        underlayNetns: `/run/netns/${dp.prefix}`,
        namePrefix: dp.prefix,
        inventory,
        log: (m) => dpLog.info(m),
        debug: (m) => dpLog.debug(m),
      });
    }
    progress(`data plane: linux network${dp.compute === 'container' ? ' and container compute' : ''} in namespace ${dp.prefix} (${dp.isolated ? 'isolated' : `uplink for ${uplink.cidr}`})`);
  } else {
    progress(`data plane: fake drivers (${dp.reason})`);
  }
  const networking = new Networking({ store, events, clock, log: log.child('network'), config: { host: hostname() } }, networkDriver);
  await networking.init();
  const [adminProject, demoProject, altProject] = await Promise.all(['admin', 'demo', 'alt_demo'].map((n) => identity.projects.byName('default', n)));
  if (adminProject && demoProject) {
    const netBoot = await bootstrapNetwork(networking, { adminProjectId: adminProject.id, demoProjectId: demoProject.id, otherProjectIds: altProject ? [altProject.id] : [] });
    progress(netBoot.created ? 'networking bootstrapped (public 172.24.4.0/24, private 10.0.0.0/26, router1)' : 'networking loaded');
  }

  // The one object store behind Swift and S3 (buckets = containers of the project's account).
  const objectStorage = new ObjectStorage({ store, blobs, events, clock, log: log.child('swift') }, config.swift);

  // With real instances, the CirrOS-like default image, built locally from Debian's busybox and
  // dropbear (cached by content under the data dir), is registered in Glance as public `cirros`.
  if (dp.compute === 'container' && adminProject) {
    const built = await buildCirrosImage({ cacheDir: join(config.dataDir, 'images-cache'), log: (m) => dpLog.info(m) });
    const r = await ensureBuiltinImage(image.logic, adminProject.id, { name: 'cirros', path: built.path, diskFormat: 'raw', containerFormat: 'bare', checksum: built.checksum, properties: { os_distro: 'cirros', hw_architecture: 'x86_64' } });
    progress(`image cirros ${r.created ? 'built and registered' : 'present'} (${(built.sizeBytes / 1048576).toFixed(0)} MiB raw, busybox + dropbear)`);
  }

  // Compute (Nova), reaching images, networks and volumes through adapters.
  const compute = computeService({
    store,
    events,
    clock,
    log: log.child('compute'),
    driver: computeDriver,
    dataDir: config.dataDir,
    config: defaultComputeConfig(config.dataDir),
    ports: { images: new GlanceImages(image.logic), network: new NeutronPorts(networking), volumes: new CinderVolumes(blockStorage) },
  });

  // Each API is one module; its catalog entries are registered with identity below.
  // The metadata service for the proxies in the networks' namespaces: a unix socket only.
  if (networkDriver instanceof LinuxNetworkDriver) {
    rmSync(metadataSocket, { force: true });
    const srv = createHttpServer(compute.metadataListener);
    await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(metadataSocket, () => resolve()));
    metadataServer = srv;
  }
  // Telemetry (Gnocchi) and its collector of real usage, every STRATUS_TELEMETRY_MS (0: off).
  const adminUser = await identity.users.byName('default', 'admin');
  const metric = metricService({
    store,
    clock,
    log: log.child('metric'),
    intervalMs: Number(process.env.STRATUS_TELEMETRY_MS ?? 10_000) || 0,
    sources: collectorSources({
      compute: compute.logic,
      volumes: blockStorage,
      images: image.logic,
      objects: objectStorage,
      ...(computeDriver.getStats ? { stats: (id: string) => computeDriver.getStats!(id) } : {}),
      creator: async () => ({ userId: adminUser?.id ?? 'stratus-telemetry', projectId: adminProject?.id ?? 'stratus-telemetry', admin: true }),
    }),
  });
  const services: ServiceModule[] = [
    identityService(identity, log.child('identity')),
    image,
    s3Service({ storage: objectStorage, store, credentials: s3Credentials(identity), clock, log: log.child('s3'), region: config.region }),
    swiftService(objectStorage, log.child('swift')),
    volumeService(blockStorage, volumeLog),
    withDriverNote(networkService(networking, log.child('network')), dp.network, dp.reason),
    withDriverNote(compute, dp.compute, dp.computeReason),
    metric,
    // Alarms read the metric service's aggregates (Aodh's gnocchi evaluator role).
    alarmingService({ store, events, clock, log: log.child('alarming'), metrics: metricSource(metric.logic), evalIntervalMs: Number(process.env.STRATUS_ALARM_EVAL_MS) || 10_000 }),
  ];
  const gwOpts: Parameters<typeof createGateway>[0] = { log: opts.accessLog ?? log, verifier: identity, services };
  if (config.publicUrl) gwOpts.publicUrl = config.publicUrl;
  // The dashboard (dashboard/dist, built by `npm run build:dashboard`) at `/`, over the same APIs.
  gwOpts.site = { root: DASHBOARD_DIR, appRoutes: DASHBOARD_ROUTES };
  const gateway = await createGateway(gwOpts);
  let url: string;
  try {
    url = await gateway.listen(config.host, config.port);
  } catch (e) {
    await store.close();
    throw e;
  }
  progress(`listening on ${url}`);

  await identity.catalog.reconcileManaged(
    services.flatMap((s) => s.catalog.map((c) => ({ type: c.type, name: c.name, url: `${url}${c.path}` }))),
    config.region,
  );
  gateway.setReady(true);
  progress(`catalog: ${services.map((s) => s.name).join(', ')}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    config,
    store,
    blobs,
    identity,
    gateway,
    events,
    networking,
    metric,
    computeDriver,
    firstStart: boot.created,
    dataplane: dp,
    close() {
      closing ??= (async () => {
        gateway.setReady(false);
        await gateway.close();
        await networking.close();
        if (metadataServer) await new Promise<void>((r) => metadataServer!.close(() => r()));
        await store.close();
        if (dp.prefix && opts.dataplane?.cleanupOnClose !== false) {
          // SIGTERM/Ctrl-C of `up` removes the data plane, instances included.
          if (computeDriver instanceof ContainerComputeDriver) await computeDriver.purge().catch((e: Error) => dpLog.warn(`compute purge: ${e.message}`));
          const r = await cleanupDataPlane(config.dataDir, hostRunner);
          for (const e of r.errors) dpLog.warn(`cleanup: ${e}`);
          rmSync(metadataSocket, { force: true });
        }
      })();
      return closing;
    },
  };
}

/** The built dashboard, from the package root (this file runs as dist/src/main.js). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));
/** The dashboard's own first path segments (history routing); no API uses them. */
const DASHBOARD_ROUTES = ['login', 'project', 'admin'];

/** The service's health, with which driver it runs on and, for a fake, why. */
function withDriverNote<T extends ServiceModule>(m: T, driver: string, reason: string | undefined): T {
  const health = m.health.bind(m);
  return Object.assign(m, {
    health: () => {
      const h = health();
      const note = driver === 'fake' ? `driver: fake (${reason ?? 'no data plane'})` : `driver: ${driver}`;
      if (driver !== 'fake' && h.detail?.includes(driver)) return h;
      return { ...h, detail: h.detail ? `${h.detail}; ${note}` : note };
    },
  });
}

/** Keystone EC2 credentials and role assignments, as the S3 API asks for them. */
function s3Credentials(identity: Identity): S3Credentials {
  return {
    async lookup(accessKey) {
      try {
        const { cred, blob } = await identity.credentials.ec2ByAccess(undefined, accessKey);
        return cred.projectId ? { secret: blob.secret, userId: cred.userId, projectId: cred.projectId } : undefined;
      } catch (e) {
        if (e instanceof StratusError && e.kind === 'NotFound') return undefined;
        throw e;
      }
    },
    async roles(userId, projectId) {
      const [user, project] = await Promise.all([identity.users.find(userId), identity.projects.find(projectId)]);
      if (!user?.enabled || !project?.enabled) return [];
      const names = await identity.roles.byIdMap();
      return (await identity.assignments.effectiveRoleIds(userId, { projectId })).flatMap((id) => names.get(id)?.name ?? []);
    },
  };
}
