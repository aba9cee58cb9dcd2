import type { FlavorSpec, InstanceSpec } from '../../../../drivers/compute/driver.js';
import type { ComputeContext } from '../context.js';
import type { Groups } from '../groups.js';
import type { ImageCache } from '../image-cache.js';
import type { InstanceActions } from '../instance-actions.js';
import { KIND, type Caller, type FlavorSnapshot, type Server, type ServerTask, type UsageRecord } from '../models.js';
import type { Scheduler } from '../scheduler.js';
import type { ServerRecords } from '../servers.js';

/** What the task handlers share. */
export interface TaskDeps {
  ctx: ComputeContext;
  servers: ServerRecords;
  scheduler: Scheduler;
  actions: InstanceActions;
  groups: Groups;
  cache: ImageCache;
  /** The availability zone of a host (aggregates). */
  zoneOf: (host: string) => Promise<string>;
  /** Config drive files of a server (metadata/documents.ts). */
  configDrive: (s: Server) => Promise<Record<string, string>>;
}

/**
 * The caller a task acts as: the one who asked, else the server's owner. The API has already
 * authorized the intent, so the reconciler acts with admin rights on the owner's behalf.
 */
export function actingCaller(s: Server, task: ServerTask): Caller {
  const c = task.caller;
  return { userId: c?.userId ?? s.userId, projectId: s.projectId, admin: true, requestId: task.requestId };
}

export function flavorSpec(f: FlavorSnapshot): FlavorSpec {
  return { vcpus: f.vcpus, ramMiB: f.ram, diskGiB: f.disk, swapMiB: f.swap, ephemeralGiB: f.ephemeral, extraSpecs: { ...f.extraSpecs } };
}

/** The driver's view of a server: flavor, image file, volumes, ports and config drive. */
export async function instanceSpec(d: TaskDeps, s: Server, caller: Caller): Promise<InstanceSpec> {
  let image: InstanceSpec['image'] = null;
  if (s.imageId) {
    const info = await d.ctx.ports.images.get(caller, s.imageId);
    image = { id: info.id, path: await d.cache.path(caller, info), diskFormat: info.diskFormat ?? 'raw' };
  }
  return {
    id: s.id,
    name: instanceName(s),
    hostname: s.hostname,
    flavor: flavorSpec(s.flavor),
    image,
    volumes: s.blockDevices
      .filter((b) => b.state === 'attached' && b.volumeId)
      .map((b) => ({ volumeId: b.volumeId!, device: b.device, ...(b.path ? { path: b.path } : {}), boot: b.bootIndex === 0 })),
    ports: s.ports.map((p) => ({ portId: p.portId, networkId: p.networkId, macAddress: p.macAddress, fixedIps: p.fixedIps.map((f) => f.ip) })),
    configDrive: s.configDrive ? await d.configDrive(s) : null,
  };
}

export function instanceName(s: Pick<Server, 'seq'>): string {
  return `instance-${s.seq.toString(16).padStart(8, '0')}`;
}

/** Keeps the usage record (os-simple-tenant-usage) in step with the server. */
export async function recordUsage(d: TaskDeps, id: string, patch: Partial<UsageRecord>): Promise<void> {
  await d.ctx.store.tx(async (tx) => {
    const cur = await tx.get<UsageRecord>(KIND.usage, id);
    if (cur) await tx.update(KIND.usage, id, { ...cur.data, ...patch });
  });
}

/** Runs a driver step and records it as an instance-action event. */
export async function traced<T>(d: TaskDeps, s: Server, task: ServerTask, event: string, fn: () => Promise<T>): Promise<T> {
  const start = d.ctx.now();
  try {
    const out = await fn();
    await d.actions.event(s.id, task.requestId, event, start);
    return out;
  } catch (e) {
    await d.actions.event(s.id, task.requestId, event, start, (e as Error).message ?? String(e));
    throw e;
  }
}
