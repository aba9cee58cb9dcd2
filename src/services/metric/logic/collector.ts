import type { Logger } from '../../../core/log.js';
import type { Point } from './aggregation.js';
import { KIND, type Caller, type Metric, type Resource } from './models.js';
import type { MetricLogic } from './index.js';

/**
 * What the collector reads (the "ceilometer" role). main.ts implements it over the other
 * services' logic and the compute driver (adapters/sources.ts).
 */
export interface CollectorSources {
  /** Who the collector acts as (the creator of what it records): an admin of the admin project. */
  creator(): Promise<Caller>;
  servers(): Promise<ServerUsage[]>;
  /** The hypervisor's counters; undefined when the driver has none for this server. */
  stats(serverId: string): Promise<ServerStats | undefined>;
  volumes(): Promise<{ id: string; name: string | null; projectId: string; userId: string; sizeGiB: number }[]>;
  images(): Promise<{ id: string; name: string | null; projectId: string | null; size: number | null; containerFormat: string | null; diskFormat: string | null }[]>;
  /** Swift accounts that hold containers. */
  accounts(): Promise<{ projectId: string; containers: number; objects: number; bytes: number }[]>;
}

export interface ServerUsage {
  id: string;
  name: string;
  projectId: string;
  userId: string;
  flavorId: string;
  flavorName: string;
  vcpus: number;
  ramMiB: number;
  host: string;
  imageId: string | null;
  groupId: string | null;
}

export interface ServerStats {
  cpuTimeNs: number;
  memoryUsageBytes: number;
  disks: Record<string, { readBytes: number; writeBytes: number }>;
  ports: Record<string, { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number }>;
}

/**
 * Archive policies of the collector's metrics, as devstack's ceilometer uses them: 5-minute
 * means for 30 days (Aodh's default granularity is 300 s), counters with their rate too.
 */
// NOTE: ceilometer-high (1 s/1 min/1 h) triples the write cost per measure for resolution a
// 10 s collector does not have; users wanting it can change a metric's policy per rule.
const GAUGE = 'ceilometer-low';
const COUNTER = 'ceilometer-low-rate';

interface MetricSpec {
  name: string;
  unit: string;
  policy: string;
}
const m = (name: string, unit: string, policy = GAUGE): MetricSpec => ({ name, unit, policy });
const SPECS = {
  instance: [m('cpu', 'ns', COUNTER), m('vcpus', 'vcpu'), m('memory', 'MB'), m('memory.usage', 'MB')],
  instance_disk: [m('disk.device.read.bytes', 'B', COUNTER), m('disk.device.write.bytes', 'B', COUNTER)],
  instance_network_interface: [m('network.incoming.bytes', 'B', COUNTER), m('network.outgoing.bytes', 'B', COUNTER), m('network.incoming.packets', 'packet', COUNTER), m('network.outgoing.packets', 'packet', COUNTER)],
  volume: [m('volume.size', 'GB')],
  swift_account: [m('storage.objects', 'object'), m('storage.objects.size', 'B'), m('storage.objects.containers', 'container')],
  image: [m('image.size', 'B')],
} satisfies Record<string, MetricSpec[]>;
type Kind = keyof typeof SPECS;

/** What the collector knows of a resource it keeps (cached so a steady cycle only writes measures). */
interface Known {
  id: string;
  type: string;
  /** JSON of what was last written (attributes, project), to update only on change. */
  state: string;
  ended: boolean;
  metrics: Map<string, string>;
}

interface Want {
  type: Kind;
  originalId: string;
  projectId: string | null;
  userId: string | null;
  attributes: Record<string, unknown>;
  values: Record<string, number>;
}

export interface CycleReport {
  ms: number;
  resources: number;
  measures: number;
  created: number;
  ended: number;
}

/**
 * Every `intervalMs`, records the usage of every server, volume, image and Swift account as
 * Gnocchi resources and measures, as ceilometer does: one `instance` per server (with cpu,
 * vcpus, memory, memory.usage), one `instance_disk` per guest disk, one
 * `instance_network_interface` per port, and so on. A resource whose source is gone gets
 * `ended_at` (its measures stay readable). One cycle's measures go in one transaction.
 */
export class Collector {
  readonly intervalMs: number;
  lastCycleMs = 0;
  lastReport: CycleReport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CycleReport | undefined> | undefined;
  private known: Map<string, Known> | undefined;
  private readonly log: Logger;

  constructor(
    private readonly logic: MetricLogic,
    private readonly sources: CollectorSources,
    o: { intervalMs: number; log: Logger },
  ) {
    this.intervalMs = o.intervalMs;
    this.log = o.log;
  }

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.cycle().catch((e: Error) => this.log.warn(`telemetry cycle failed: ${e.message}`)), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Runs one cycle now (or joins the one running); tests and the benchmark call it. */
  cycle(): Promise<CycleReport | undefined> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<CycleReport> {
    const t0 = performance.now();
    const caller = await this.sources.creator();
    const now = this.logic.ctx.clock.now();
    const wants = await this.gather();
    if (!this.known) this.known = await this.load(caller);
    const report: CycleReport = { ms: 0, resources: wants.length, measures: 0, created: 0, ended: 0 };
    const writes: Promise<number>[] = [];
    const seen = new Set<string>();
    for (const w of wants) {
      seen.add(w.originalId);
      const k = await this.ensure(caller, w, report);
      for (const [name, value] of Object.entries(w.values)) {
        const id = k.metrics.get(name);
        if (id === undefined || !Number.isFinite(value)) continue;
        writes.push(this.logic.metrics.write(id, [[now, value] as Point]));
        report.measures++;
      }
    }
    // Sources gone: end their resources (Gnocchi keeps them and their measures).
    for (const [orig, k] of this.known) {
      if (seen.has(orig) || k.ended) continue;
      const r = await this.logic.resources.byId(k.id);
      if (r) await this.logic.resources.update(caller, 'generic', r.id, { ended_at: now / 1000 }).catch((e: Error) => this.log.warn(`telemetry: ending ${r.id}: ${e.message}`));
      k.ended = true;
      report.ended++;
    }
    await Promise.all(writes);
    report.ms = performance.now() - t0;
    this.lastCycleMs = report.ms;
    this.lastReport = report;
    return report;
  }

  /** Everything the sources report now, as resources with their values. */
  private async gather(): Promise<Want[]> {
    const out: Want[] = [];
    const [servers, volumes, images, accounts] = await Promise.all([this.sources.servers(), this.sources.volumes(), this.sources.images(), this.sources.accounts()]);
    const stats = await Promise.all(servers.map((s) => this.sources.stats(s.id).catch(() => undefined)));
    for (const [i, s] of servers.entries()) {
      const st = stats[i];
      const values: Record<string, number> = { vcpus: s.vcpus, memory: s.ramMiB };
      if (st) {
        values.cpu = st.cpuTimeNs;
        values['memory.usage'] = st.memoryUsageBytes / 1048576;
      }
      out.push({
        type: 'instance',
        originalId: s.id,
        projectId: s.projectId,
        userId: s.userId,
        attributes: { display_name: s.name, flavor_id: s.flavorId, flavor_name: s.flavorName, host: s.host, image_ref: s.imageId, server_group: s.groupId },
        values,
      });
      for (const [dev, d] of Object.entries(st?.disks ?? {})) {
        out.push({ type: 'instance_disk', originalId: `${s.id}-${dev}`, projectId: s.projectId, userId: s.userId, attributes: { name: dev, instance_id: s.id }, values: { 'disk.device.read.bytes': d.readBytes, 'disk.device.write.bytes': d.writeBytes } });
      }
      for (const [port, p] of Object.entries(st?.ports ?? {})) {
        out.push({
          type: 'instance_network_interface',
          originalId: port,
          projectId: s.projectId,
          userId: s.userId,
          attributes: { name: `tap${port.slice(0, 11)}`, instance_id: s.id },
          values: { 'network.incoming.bytes': p.rxBytes, 'network.outgoing.bytes': p.txBytes, 'network.incoming.packets': p.rxPackets, 'network.outgoing.packets': p.txPackets },
        });
      }
    }
    for (const v of volumes) out.push({ type: 'volume', originalId: v.id, projectId: v.projectId, userId: v.userId, attributes: { display_name: v.name }, values: { 'volume.size': v.sizeGiB } });
    for (const im of images) {
      out.push({
        type: 'image',
        originalId: im.id,
        projectId: im.projectId,
        userId: null,
        attributes: { name: im.name ?? '', container_format: im.containerFormat ?? '', disk_format: im.diskFormat ?? '' },
        values: im.size === null ? {} : { 'image.size': im.size },
      });
    }
    for (const a of accounts) {
      out.push({ type: 'swift_account', originalId: a.projectId, projectId: a.projectId, userId: null, attributes: {}, values: { 'storage.objects': a.objects, 'storage.objects.size': a.bytes, 'storage.objects.containers': a.containers } });
    }
    return out;
  }

  /** The collector's resources from the store (after a restart), by original id. */
  private async load(caller: Caller): Promise<Map<string, Known>> {
    const out = new Map<string, Known>();
    const byRes = await this.logic.resources.metricsByResource();
    for (const r of await this.logic.ctx.store.find<Resource>(KIND.resource, { where: { createdByUserId: caller.userId } })) {
      const res = r.data;
      out.set(res.originalResourceId, {
        id: res.id,
        type: res.type,
        state: stateOf(res.projectId, res.userId, res.attributes),
        ended: res.endedAt !== null,
        metrics: new Map((byRes.get(res.id) ?? []).filter((x: Metric) => x.name !== null).map((x) => [x.name!, x.id])),
      });
    }
    return out;
  }

  /** Creates the resource and its metrics if needed, updates it when its attributes changed. */
  private async ensure(caller: Caller, w: Want, report: CycleReport): Promise<Known> {
    const known = this.known!;
    const state = stateOf(w.projectId, w.userId, w.attributes);
    let k = known.get(w.originalId);
    const specs = SPECS[w.type];
    if (!k) {
      const id = this.logic.resources.idOf(caller, w.originalId);
      const existing = await this.logic.resources.byId(id);
      if (!existing) {
        await this.logic.resources.create(caller, w.type, {
          id: w.originalId,
          project_id: w.projectId,
          user_id: w.userId,
          ...w.attributes,
          metrics: metricsBody(specs),
        });
        report.created++;
      }
      const ms = await this.logic.resources.metricsOf(id);
      k = { id, type: w.type, state: existing ? '' : state, ended: existing ? existing.endedAt !== null : false, metrics: new Map(ms.map((x) => [x.name!, x.id])) };
      known.set(w.originalId, k);
    }
    if (k.state !== state || k.ended) {
      await this.logic.resources.update(caller, 'generic', k.id, { project_id: w.projectId, user_id: w.userId, ...w.attributes, ended_at: null });
      k.state = state;
      k.ended = false;
    }
    const missing = specs.filter((s) => !k.metrics.has(s.name));
    if (missing.length) {
      const added = await this.logic.resources.addMetrics(caller, 'generic', k.id, metricsBody(missing));
      for (const x of added) k.metrics.set(x.name!, x.id);
    }
    return k;
  }
}

/** The `metrics` of a resource create or add-metrics body for these specs. */
function metricsBody(specs: MetricSpec[]): Record<string, { archive_policy_name: string; unit: string }> {
  return Object.fromEntries(specs.map((s) => [s.name, { archive_policy_name: s.policy, unit: s.unit }]));
}

function stateOf(projectId: string | null, userId: string | null, attributes: Record<string, unknown>): string {
  return JSON.stringify([projectId, userId, attributes]);
}
