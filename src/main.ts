import { systemClock, type Clock } from './core/clock.js';
import { EventBus } from './core/events.js';
import { createLogger, type Logger } from './core/log.js';
import type { StratusConfig } from './config/config.js';
import { createGateway, type Gateway } from './http/server.js';
import type { ServiceModule } from './http/service.js';
import { openStore, type Store } from './store/index.js';
import type { BlobStore } from './drivers/object/driver.js';
import { FsBlobStore } from './drivers/object/fs.js';
import { MemoryBlobStore } from './drivers/object/memory.js';
import { join } from 'node:path';
import { Identity } from './services/identity/logic/index.js';
import { bootstrap } from './services/identity/logic/bootstrap.js';
import { identityService } from './services/identity/index.js';

export interface Cloud {
  url: string;
  config: StratusConfig;
  store: Store;
  blobs: BlobStore;
  identity: Identity;
  gateway: Gateway;
  events: EventBus;
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

  // Each API is one module; its catalog entries are registered with identity below.
  const services: ServiceModule[] = [identityService(identity, log.child('identity'))];
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
    firstStart: boot.created,
    close() {
      closing ??= (async () => {
        gateway.setReady(false);
        await gateway.close();
        await store.close();
      })();
      return closing;
    },
  };
}
