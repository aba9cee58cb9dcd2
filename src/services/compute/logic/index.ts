import { rm } from 'node:fs/promises';
import { ServerActions } from './actions.js';
import { Aggregates } from './aggregates.js';
import { ComputeContext, type ComputeDeps } from './context.js';
import { createServers, type CreateResult, type ServerCreateInput } from './create.js';
import { Engine } from './engine.js';
import { Flavors } from './flavors.js';
import { Groups } from './groups.js';
import { probeHost } from './host.js';
import { ImageCache } from './image-cache.js';
import { Infra } from './infra.js';
import { InstanceActions } from './instance-actions.js';
import { Migrations } from './migrations.js';
import { Keypairs } from './keypairs.js';
import type { Caller, Server } from './models.js';
import { Quotas } from './quotas.js';
import { Scheduler } from './scheduler.js';
import { ServerQueries } from './server-queries.js';
import { ServerRecords } from './servers.js';
import { taskFailed, taskHandlers } from './tasks/index.js';
import { lostOnHost, restore } from './tasks/restore.js';
import { VolumeAttach } from './volumes.js';
import { configDriveFiles } from '../metadata/documents.js';
import { MetadataService } from '../metadata/service.js';

export type { ComputeConfig, ComputeDeps, ComputePorts } from './context.js';
export type { Caller, Server } from './models.js';
export type { ServerCreateInput } from './create.js';
export * from './ports.js';

/**
 * The compute logic (Nova): routes call it, and other services (container-infra building
 * clusters) may too, through this class only. `init()` seeds flavors, registers this host as
 * a resource provider and resumes unfinished work; `close()` lets running tasks finish.
 */
export class ComputeLogic {
  readonly ctx: ComputeContext;
  readonly flavors: Flavors;
  readonly quotas: Quotas;
  readonly keypairs: Keypairs;
  readonly servers: ServerRecords;
  readonly queries: ServerQueries;
  readonly actions: ServerActions;
  readonly instanceActions: InstanceActions;
  readonly migrations: Migrations;
  readonly volumes: VolumeAttach;
  readonly groups: Groups;
  readonly scheduler: Scheduler;
  readonly infra: Infra;
  readonly aggregates: Aggregates;
  readonly metadata: MetadataService;
  readonly engine: Engine;
  private readonly cache: ImageCache;
  private readonly dataDir: string | undefined;

  constructor(deps: ComputeDeps) {
    this.ctx = new ComputeContext(deps);
    this.dataDir = deps.dataDir;
    this.flavors = new Flavors(this.ctx);
    this.quotas = new Quotas(this.ctx);
    this.keypairs = new Keypairs(this.ctx, this.quotas);
    this.servers = new ServerRecords(this.ctx);
    this.queries = new ServerQueries(this.servers, this.quotas);
    this.instanceActions = new InstanceActions(this.ctx);
    this.migrations = new Migrations(this.ctx);
    this.groups = new Groups(this.ctx, this.quotas);
    this.scheduler = new Scheduler(this.ctx, async (host, tx, s) => {
      if (!(await this.infra.computeEnabled(host, tx))) return false;
      return !s.requestedZone || (await this.aggregates.zoneOf(host, tx)) === s.requestedZone;
    });
    this.aggregates = new Aggregates(this.ctx, async (host) => (await this.infra.listServices({ host, binary: 'nova-compute' })).length > 0);
    this.infra = new Infra(this.ctx, this.scheduler);
    this.cache = new ImageCache(this.ctx);
    this.metadata = new MetadataService({ byAddress: (n, ip) => this.byAddress(n, ip) }, this.ctx.ports.network);
    const kick = (id: string) => this.engine.kick(id);
    this.actions = new ServerActions(this.ctx, this.servers, this.flavors, this.instanceActions, this.quotas, kick, this.migrations);
    this.volumes = new VolumeAttach(this.ctx, this.servers, this.instanceActions, kick);
    const taskDeps = {
      ctx: this.ctx,
      servers: this.servers,
      scheduler: this.scheduler,
      actions: this.instanceActions,
      groups: this.groups,
      cache: this.cache,
      zoneOf: (host: string) => this.aggregates.zoneOf(host),
      configDrive: async (s: Server) => configDriveFiles(await this.metadata.configDrive(s)),
    };
    this.engine = new Engine(this.ctx, this.servers, taskHandlers(taskDeps), (s) => this.volumes.converge(s), taskFailed(taskDeps), (s) => restore(taskDeps, s));
  }

  async init(): Promise<{ flavors: number; resumed: number }> {
    await this.ctx.driver.init();
    await this.cache.recover();
    const flavors = await this.flavors.seed();
    await this.scheduler.registerHost(await probeHost(this.dataDir, this.ctx.config.capacity));
    await this.infra.registerServices();
    const resumed = await this.engine.resume(await this.hostInventory());
    return { flavors, resumed };
  }

  /**
   * Compares the hypervisor with the records: instances nobody wants are destroyed; servers
   * whose instance is missing are returned, to be recreated by the reconciler.
   */
  private async hostInventory(): Promise<string[]> {
    const present = new Set(await this.ctx.driver.listInstances());
    const servers = await this.servers.all();
    const known = new Set(servers.map((s) => s.id));
    for (const id of present) {
      if (!known.has(id)) await this.ctx.driver.destroy(id).catch((e: unknown) => this.ctx.log.warn(`could not destroy orphan instance ${id}: ${String(e)}`));
    }
    return servers.filter((s) => lostOnHost(s, this.ctx.config.host, present)).map((s) => s.id);
  }

  createServers(caller: Caller, input: ServerCreateInput): Promise<CreateResult> {
    return createServers(
      {
        ctx: this.ctx,
        servers: this.servers,
        flavors: this.flavors,
        keypairs: this.keypairs,
        quotas: this.quotas,
        groups: this.groups,
        actions: this.instanceActions,
        kick: (id) => this.engine.kick(id),
        zones: () => this.zones(),
      },
      caller,
      input,
    );
  }

  /** Availability zones that have at least one compute host. */
  async zones(): Promise<string[]> {
    const hosts = (await this.infra.listServices({ binary: 'nova-compute' })).map((s) => s.host);
    return [...new Set(await Promise.all(hosts.map((h) => this.aggregates.zoneOf(h))))];
  }

  /** The server with `ip` on `networkId` (the metadata service's lookup). */
  async byAddress(networkId: string, ip: string): Promise<Server | undefined> {
    const all = await this.servers.all();
    return all.find((s) => s.ports.some((p) => p.networkId === networkId && p.fixedIps.some((f) => f.ip === ip)));
  }

  async close(): Promise<void> {
    await this.engine.close();
    await this.ctx.driver.close();
    if (this.ctx.config.imageCacheEphemeral) await rm(this.ctx.config.imageCacheDir, { recursive: true, force: true });
  }
}
