import type { StoreOps } from '../../../store/index.js';
import type { ComputeContext } from './context.js';
import { Repo } from './context.js';
import { E } from './errors.js';
import { AVAILABILITY_ZONE, INTERNAL_ZONE, KIND, type ComputeService, type ResourceProvider, type Server, type UsageRecord } from './models.js';
import { capacity, type Scheduler, type Usage } from './scheduler.js';

const BINARIES: [string, string][] = [
  ['nova-scheduler', INTERNAL_ZONE],
  ['nova-conductor', INTERNAL_ZONE],
  ['nova-compute', AVAILABILITY_ZONE],
];

export interface HypervisorView {
  provider: ResourceProvider;
  used: Usage;
  capacity: Usage;
  runningVms: number;
  service: ComputeService | undefined;
  servers: Pick<Server, 'id' | 'name'>[];
}

export interface TenantUsage {
  projectId: string;
  start: number;
  stop: number;
  totalHours: number;
  totalLocalGbUsage: number;
  totalMemoryMbUsage: number;
  totalVcpusUsage: number;
  servers: { record: UsageRecord; hours: number; uptime: number }[];
}

/**
 * The operator's view of compute: os-services, os-hypervisors and os-simple-tenant-usage.
 * The services are this process's parts; they are up while the process runs.
 */
export class Infra {
  readonly services: Repo<ComputeService>;

  constructor(
    private readonly ctx: ComputeContext,
    private readonly scheduler: Scheduler,
  ) {
    this.services = new Repo<ComputeService>(ctx, KIND.service, (id) => E.notFound(`Service ${id} could not be found.`, 'ServiceNotFound'));
  }

  /** Registers the services of this host (idempotent) and refreshes their heartbeat. */
  async registerServices(): Promise<void> {
    const host = this.ctx.config.host;
    await this.ctx.store.tx(async (tx) => {
      for (const [binary, zone] of BINARIES) {
        const id = `${binary}@${host}`;
        const cur = await this.services.get(id, tx);
        if (cur) await this.services.update({ ...cur, zone, updatedAt: this.ctx.now() }, tx);
        else await this.services.create({ id, seq: await this.ctx.nextSeq('service', tx), binary, host, zone, disabled: false, disabledReason: null, forcedDown: false, updatedAt: this.ctx.now() }, tx);
      }
    });
  }

  async listServices(filter: { host?: string; binary?: string }): Promise<ComputeService[]> {
    return (await this.services.list()).filter((s) => (!filter.host || s.host === filter.host) && (!filter.binary || s.binary === filter.binary)).sort((a, b) => a.seq - b.seq);
  }

  /** Enables or disables a service by host and binary (404 when there is none). */
  async setService(host: string, binary: string, disabled: boolean, reason: string | null): Promise<ComputeService> {
    const cur = await this.services.get(`${binary}@${host}`);
    if (!cur) throw E.notFound(`Service ${binary} on host ${host} could not be found.`, 'HostBinaryNotFound');
    return this.services.update({ ...cur, disabled, disabledReason: disabled ? reason : null, updatedAt: this.ctx.now() });
  }

  async deleteService(seq: number): Promise<void> {
    const s = (await this.services.list()).find((x) => x.seq === seq);
    if (!s) throw E.notFound(`Service ${seq} could not be found.`, 'ServiceNotFound');
    await this.services.delete(s.id);
  }

  async hypervisors(): Promise<HypervisorView[]> {
    const providers = (await this.scheduler.providers.list()).sort((a, b) => a.seq - b.seq);
    const servers = await this.ctx.store.find<Server>(KIND.server);
    const out: HypervisorView[] = [];
    for (const p of providers) {
      const mine = servers.map((r) => r.data).filter((s) => s.node === p.name);
      out.push({
        provider: p,
        used: await this.scheduler.used(p.id),
        capacity: capacity(p),
        runningVms: mine.length,
        service: await this.services.get(`nova-compute@${p.name}`),
        servers: mine.map((s) => ({ id: s.id, name: s.name })),
      });
    }
    return out;
  }

  /** One hypervisor by its integer id (404 for anything else). */
  async hypervisor(id: string): Promise<HypervisorView> {
    const h = (await this.hypervisors()).find((x) => String(x.provider.seq) === id);
    if (!h) throw E.hypervisorNotFound(id);
    return h;
  }

  noHypervisor(name: string) {
    return E.notFound(`No hypervisor matching '${name}' could be found.`, 'HypervisorNotFound');
  }

  noService(id: string) {
    return E.notFound(`Service ${id} could not be found.`, 'ServiceNotFound');
  }

  noTenant(id: string) {
    return E.notFound(`Tenant ${id} could not be found.`, 'TenantNotFound');
  }

  noExtension(alias: string) {
    return E.notFound(`Extension ${alias} could not be found.`, 'ExtensionNotFound');
  }

  /** Whether the compute service of a host takes new servers. */
  async computeEnabled(host: string, tx?: StoreOps): Promise<boolean> {
    const s = await this.services.get(`nova-compute@${host}`, tx);
    return !s || !s.disabled;
  }

  /** Usage of each project (or one) over [start, stop]: hours each server existed in the window. */
  async usage(start: number, stop: number, projectId?: string): Promise<TenantUsage[]> {
    const rows = (await this.ctx.store.find<UsageRecord>(KIND.usage, projectId ? { where: { projectId } } : {})).map((r) => r.data);
    const byProject = new Map<string, TenantUsage>();
    const now = this.ctx.now();
    for (const r of rows) {
      const end = r.endedAt ?? now;
      const overlap = Math.min(end, stop) - Math.max(r.startedAt, start);
      if (overlap < 0 || (r.endedAt !== null && r.endedAt < start)) continue;
      const hours = Math.max(0, overlap) / 3_600_000;
      const t = byProject.get(r.projectId) ?? { projectId: r.projectId, start, stop, totalHours: 0, totalLocalGbUsage: 0, totalMemoryMbUsage: 0, totalVcpusUsage: 0, servers: [] };
      t.totalHours += hours;
      t.totalLocalGbUsage += r.localGb * hours;
      t.totalMemoryMbUsage += r.memoryMb * hours;
      t.totalVcpusUsage += r.vcpus * hours;
      t.servers.push({ record: r, hours, uptime: Math.floor((end - r.startedAt) / 1000) });
      byProject.set(r.projectId, t);
    }
    return [...byProject.values()];
  }
}
