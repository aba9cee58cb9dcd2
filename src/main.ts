import { hostname } from 'node:os';
import { join } from 'node:path';
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
// Services and the adapters that let them call each other's logic.
import { Identity } from './services/identity/logic/index.js';
import { bootstrap } from './services/identity/logic/bootstrap.js';
import { identityService } from './services/identity/index.js';
import { imageService } from './services/image/index.js';
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

export interface Cloud {
  url: string;
  config: StratusConfig;
  store: Store;
  blobs: BlobStore;
  identity: Identity;
  gateway: Gateway;
  events: EventBus;
  networking: Networking;
  /** True when this start created the initial users and projects. */
  firstStart: boolean;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Access log and service messages; defaults to `log`. */
  accessLog?: Logger;
  clock?: Clock;
  /** Called at each start-up step, for progress lines. */
  progress?: (step: string) => void;
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

  // Networking: the fake driver (IPAM and bookkeeping only) until the linux driver lands (#6).
  const networking = new Networking({ store, events, clock, log: log.child('network'), config: { host: hostname() } }, new FakeNetworkDriver());
  await networking.init();
  const [adminProject, demoProject, altProject] = await Promise.all(['admin', 'demo', 'alt_demo'].map((n) => identity.projects.byName('default', n)));
  if (adminProject && demoProject) {
    const netBoot = await bootstrapNetwork(networking, { adminProjectId: adminProject.id, demoProjectId: demoProject.id, otherProjectIds: altProject ? [altProject.id] : [] });
    progress(netBoot.created ? 'networking bootstrapped (public 172.24.4.0/24, private 10.0.0.0/26, router1)' : 'networking loaded');
  }

  // The one object store behind Swift and S3 (buckets = containers of the project's account).
  const objectStorage = new ObjectStorage({ store, blobs, events, clock, log: log.child('swift') }, config.swift);

  // Compute (Nova) on the fake hypervisor, reaching images, networks and volumes through adapters.
  const compute = computeService({
    store,
    events,
    clock,
    log: log.child('compute'),
    driver: FakeComputeDriver.fromEnv(),
    dataDir: config.dataDir,
    config: defaultComputeConfig(config.dataDir),
    ports: { images: new GlanceImages(image.logic), network: new NeutronPorts(networking), volumes: new CinderVolumes(blockStorage) },
  });

  // Each API is one module; its catalog entries are registered with identity below.
  const services: ServiceModule[] = [
    identityService(identity, log.child('identity')),
    image,
    s3Service({ storage: objectStorage, store, credentials: s3Credentials(identity), clock, log: log.child('s3'), region: config.region }),
    swiftService(objectStorage, log.child('swift')),
    volumeService(blockStorage, volumeLog),
    networkService(networking, log.child('network')),
    compute,
  ];
  const gwOpts: Parameters<typeof createGateway>[0] = { log: opts.accessLog ?? log, verifier: identity, services };
  if (config.publicUrl) gwOpts.publicUrl = config.publicUrl;
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
    firstStart: boot.created,
    close() {
      closing ??= (async () => {
        gateway.setReady(false);
        await gateway.close();
        await networking.close();
        await store.close();
      })();
      return closing;
    },
  };
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
