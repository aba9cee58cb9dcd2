import { StratusError } from '../../../core/errors.js';
import type { BlockStorage, Caller as VolumeCaller, Snapshot, Volume } from '../../volume/logic/index.js';
import type { Caller } from '../logic/models.js';
import type { NewProxyVolume, ProxySnapshot, ProxyVolume, VolumeProxy } from '../logic/proxy-ports.js';

/** The compute caller as the block storage logic knows callers (compute acts as the user). */
export const asVolumeCaller = (c: Caller): VolumeCaller => ({ userId: c.userId, projectId: c.projectId, roles: c.admin ? ['admin', 'member', 'reader'] : ['member', 'reader'], admin: c.admin });

const NEWEST_FIRST = { sort: [{ key: 'created_at', dir: 'desc' as const }] };

/** Cinder's "not found" as Nova words it. */
function notFound(what: 'Volume' | 'Snapshot', id: string) {
  return (e: unknown): never => {
    if (e instanceof StratusError && e.kind === 'NotFound') throw new StratusError('NotFound', `${what} ${id} could not be found.`, `${what}NotFound`);
    throw e;
  };
}

function snapView(s: Snapshot): ProxySnapshot {
  return { id: s.id, volumeId: s.volumeId, status: s.status, size: s.size, createdAt: s.createdAt, name: s.name, description: s.description };
}

/** os-volumes and os-snapshots over the block storage logic, acting as the caller. */
export class CinderProxy implements VolumeProxy {
  constructor(private readonly cinder: BlockStorage) {}

  private async view(v: Volume, typeNames?: Map<string, string>): Promise<ProxyVolume> {
    let type = typeNames?.get(v.volumeTypeId);
    if (type === undefined) type = (await this.cinder.types.get({ userId: '', projectId: v.projectId, roles: ['admin'], admin: true }, v.volumeTypeId).catch(() => undefined))?.name;
    return {
      id: v.id,
      status: v.status,
      size: v.size,
      availabilityZone: v.availabilityZone,
      createdAt: v.createdAt,
      name: v.name,
      description: v.description,
      volumeType: type ?? v.volumeTypeId,
      snapshotId: v.snapshotId,
      metadata: { ...v.metadata },
      attachments: v.attachments.filter((a) => a.state === 'attached' && a.serverId).map((a) => ({ serverId: a.serverId!, device: a.device })),
    };
  }

  async listVolumes(c: Caller): Promise<ProxyVolume[]> {
    const vc = asVolumeCaller(c);
    const names = new Map((await this.cinder.types.list(vc)).map((t) => [t.id, t.name]));
    const vols = await this.cinder.volumes.list(vc, {}, NEWEST_FIRST);
    return Promise.all(vols.map((v) => this.view(v, names)));
  }

  async getVolume(c: Caller, id: string): Promise<ProxyVolume> {
    return this.view(await this.cinder.get(id, asVolumeCaller(c)).catch(notFound('Volume', id)));
  }

  async createVolume(c: Caller, input: NewProxyVolume): Promise<ProxyVolume> {
    const source = input.snapshotId ? { kind: 'snapshot' as const, snapshotId: input.snapshotId } : { kind: 'blank' as const };
    const v = await this.cinder.create(asVolumeCaller(c), {
      size: input.size,
      name: input.name,
      description: input.description,
      metadata: input.metadata,
      source,
      ...(input.volumeType !== null ? { volumeType: input.volumeType } : {}),
      ...(input.availabilityZone !== null ? { availabilityZone: input.availabilityZone } : {}),
    });
    return this.view(v);
  }

  async deleteVolume(c: Caller, id: string): Promise<void> {
    await this.cinder.delete(id, asVolumeCaller(c)).catch(notFound('Volume', id));
  }

  async listSnapshots(c: Caller): Promise<ProxySnapshot[]> {
    return (await this.cinder.snapshots.list(asVolumeCaller(c), {}, NEWEST_FIRST)).map(snapView);
  }

  async getSnapshot(c: Caller, id: string): Promise<ProxySnapshot> {
    return snapView(await this.cinder.snapshots.visible(asVolumeCaller(c), id).catch(notFound('Snapshot', id)));
  }

  async createSnapshot(c: Caller, input: { volumeId: string; name: string | null; description: string | null; force: boolean }): Promise<ProxySnapshot> {
    const s = await this.cinder.snapshots.create(asVolumeCaller(c), { ...input, metadata: {} }).catch(notFound('Volume', input.volumeId));
    return snapView(s);
  }

  async deleteSnapshot(c: Caller, id: string): Promise<void> {
    await this.cinder.snapshots.delete(asVolumeCaller(c), id).catch(notFound('Snapshot', id));
  }
}
