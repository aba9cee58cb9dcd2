import type { StoreOps } from '../../../store/index.js';
import { uuid } from '../../../core/ids.js';
import type { ComputeContext } from './context.js';
import { Repo } from './context.js';
import { E } from './errors.js';
import type { HostCapacity } from './host.js';
import { KIND, type Allocation, type FlavorSnapshot, type ResourceProvider, type Server, type ServerGroup } from './models.js';

export interface Usage {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

/** What a flavor asks of a provider (root + ephemeral + swap disk, rounded up to GiB). */
export function demand(f: FlavorSnapshot): Usage {
  return { vcpus: f.vcpus, memoryMb: f.ram, diskGb: f.disk + f.ephemeral + Math.ceil(f.swap / 1024) };
}

/** Capacity after allocation ratios and the host's reserved memory. */
export function capacity(p: ResourceProvider): Usage {
  return {
    vcpus: Math.floor(p.vcpus * p.cpuRatio),
    memoryMb: Math.floor((p.memoryMb - p.reservedMemoryMb) * p.ramRatio),
    diskGb: Math.floor(p.diskGb * p.diskRatio),
  };
}

/**
 * Placement-style scheduling: every compute host is a resource provider with VCPU, MEMORY_MB
 * and DISK_GB inventories; a server's claim is an allocation record written in the same
 * transaction that checks the provider's free capacity, so concurrent claims never
 * overcommit. Server group policies filter the candidates.
 */
export class Scheduler {
  readonly providers: Repo<ResourceProvider>;
  readonly allocations: Repo<Allocation>;

  constructor(
    private readonly ctx: ComputeContext,
    /** Whether a host's compute service takes new servers (os-services disable). */
    private readonly hostEnabled: (host: string, tx: StoreOps, server: Server) => Promise<boolean> = async () => true,
  ) {
    this.providers = new Repo<ResourceProvider>(ctx, KIND.provider, (id) => E.hypervisorNotFound(id), (p) => p.name);
    this.allocations = new Repo<Allocation>(ctx, KIND.allocation, (id) => E.notFound(`Allocation ${id} not found.`));
  }

  /** Creates or refreshes this host's provider with its probed capacity and the configured ratios. */
  async registerHost(cap: HostCapacity): Promise<ResourceProvider> {
    const c = this.ctx.config;
    return this.ctx.store.tx(async (tx) => {
      const cur = await this.providers.byUniq(c.host, tx);
      const p: ResourceProvider = {
        id: cur?.id ?? uuid(),
        name: c.host,
        seq: cur?.seq ?? (await this.ctx.nextSeq('provider', tx)),
        hostIp: cap.hostIp,
        vcpus: cap.vcpus,
        memoryMb: cap.memoryMb,
        diskGb: cap.diskGb,
        cpuRatio: c.cpuRatio,
        ramRatio: c.ramRatio,
        diskRatio: c.diskRatio,
        reservedMemoryMb: Math.min(c.reservedMemoryMb, Math.floor(cap.memoryMb / 2)),
        cpuInfo: cap.cpuInfo,
        updatedAt: this.ctx.now(),
      };
      return cur ? this.providers.update(p, tx) : this.providers.create(p, tx);
    });
  }

  async used(providerId: string, tx?: StoreOps): Promise<Usage> {
    const all = await this.allocations.list({ providerId }, tx);
    return all.reduce((u, a) => ({ vcpus: u.vcpus + a.vcpus, memoryMb: u.memoryMb + a.memoryMb, diskGb: u.diskGb + a.diskGb }), { vcpus: 0, memoryMb: 0, diskGb: 0 });
  }

  private fits(p: ResourceProvider, used: Usage, want: Usage): boolean {
    const cap = capacity(p);
    return used.vcpus + want.vcpus <= cap.vcpus && used.memoryMb + want.memoryMb <= cap.memoryMb && used.diskGb + want.diskGb <= cap.diskGb;
  }

  /** Providers the group's policy allows for `server` (hard policies only; soft ones prefer). */
  private async allowedByGroup(server: Server, providers: ResourceProvider[], tx: StoreOps): Promise<ResourceProvider[]> {
    if (!server.groupId) return providers;
    const group = (await tx.get<ServerGroup>(KIND.group, server.groupId))?.data;
    if (!group) return providers;
    const others = group.members.filter((m) => m !== server.id);
    const hosts = new Set<string>();
    for (const m of others) {
      const a = (await this.allocations.get(m, tx))?.providerId;
      if (a) hosts.add(a);
    }
    if (group.policy === 'anti-affinity') return providers.filter((p) => !hosts.has(p.id));
    if (group.policy === 'affinity') return hosts.size ? providers.filter((p) => hosts.has(p.id)) : providers;
    const preferred = providers.filter((p) => (group.policy === 'soft-affinity' ? hosts.has(p.id) : !hosts.has(p.id)));
    return preferred.length ? [...preferred, ...providers.filter((p) => !preferred.includes(p))] : providers;
  }

  /**
   * Claims the server's flavor on a host, atomically; resolves the provider, or undefined when
   * no host can take it ("No valid host was found"). A server that already holds a claim
   * keeps it (idempotent, for a reconciler re-running a build).
   */
  async claim(server: Server): Promise<ResourceProvider | undefined> {
    return this.ctx.store.tx(async (tx) => {
      const held = await this.allocations.get(server.id, tx);
      if (held) return this.providers.get(held.providerId, tx);
      const want = demand(server.flavor);
      const candidates = await this.allowedByGroup(server, await this.providers.list(undefined, tx), tx);
      for (const p of candidates) {
        if (!(await this.hostEnabled(p.name, tx, server))) continue;
        if (!this.fits(p, await this.used(p.id, tx), want)) continue;
        await this.allocations.create({ id: server.id, serverId: server.id, providerId: p.id, projectId: server.projectId, ...want }, tx);
        return p;
      }
      return undefined;
    });
  }

  /**
   * Resize on the same host: the server's allocation moves to the new flavor and the old one
   * is held by `<id>:migration` until confirm or revert. Throws "No valid host" when the new
   * flavor does not fit next to the old one.
   */
  async claimResize(server: Server, next: FlavorSnapshot): Promise<void> {
    await this.ctx.store.tx(async (tx) => {
      const held = await this.allocations.get(server.id, tx);
      if (!held) throw E.bad('The server holds no allocation to resize.');
      const p = await this.providers.require(held.providerId, tx);
      const want = demand(next);
      if (!this.fits(p, await this.used(p.id, tx), want)) throw E.bad('No valid host was found. No valid host found for resize', 'NoValidHost');
      const migId = `${server.id}:migration`;
      if (!(await this.allocations.get(migId, tx))) await this.allocations.create({ ...held, id: migId }, tx);
      await this.allocations.update({ ...held, ...want }, tx);
    });
  }

  /** Confirm drops the old flavor's hold; revert gives the server its old allocation back. */
  async finishResize(serverId: string, revert: boolean): Promise<void> {
    await this.ctx.store.tx(async (tx) => {
      const mig = await this.allocations.get(`${serverId}:migration`, tx);
      if (!mig) return;
      if (revert) await this.allocations.update({ ...mig, id: serverId }, tx);
      await this.allocations.delete(mig.id, tx);
    });
  }

  /** Frees everything a server holds; idempotent. */
  async release(serverId: string): Promise<void> {
    await this.ctx.store.tx(async (tx) => {
      await this.allocations.delete(serverId, tx);
      await this.allocations.delete(`${serverId}:migration`, tx);
    });
  }
}
