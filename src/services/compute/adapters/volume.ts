import { StratusError } from '../../../core/errors.js';
import type { BlockStorage, Volume } from '../../volume/logic/index.js';
import type { Caller } from '../logic/models.js';
import type { VolumeAttachments, VolumeInfo } from '../logic/ports.js';
import { asVolumeCaller, CinderProxy } from './volume-proxy.js';

function info(v: Volume): VolumeInfo {
  return {
    id: v.id,
    status: v.status,
    size: v.size,
    bootable: v.bootable,
    availabilityZone: v.availabilityZone,
    serverIds: v.attachments.map((a) => a.serverId).filter((x): x is string => !!x),
  };
}

const ignoreMissing = (e: unknown) => {
  if (!(e instanceof StratusError && e.kind === 'NotFound')) throw e;
};

/**
 * Compute's volume port over the block storage logic (Cinder). The volume's `attachments`
 * stay the one record of which server uses it, so both APIs always agree; compute acts as the
 * trusted service (no caller) once the API has authorized the request.
 */
export class CinderVolumes implements VolumeAttachments {
  readonly available = true;
  /** Nova 2.1's volume proxy APIs (os-volumes, os-snapshots). */
  readonly proxy: CinderProxy;

  constructor(
    private readonly cinder: BlockStorage,
    /** How long a volume made for a server may take to become available. */
    private readonly waitMs = 300_000,
  ) {
    this.proxy = new CinderProxy(cinder);
  }

  async get(caller: Caller, volumeId: string): Promise<VolumeInfo> {
    return info(await this.cinder.get(volumeId, asVolumeCaller(caller)));
  }

  async reserve(caller: Caller, volumeId: string, serverId: string): Promise<void> {
    await this.cinder.reserve(volumeId, serverId, asVolumeCaller(caller));
  }

  async attach(volumeId: string, serverId: string, device: string, host: string): Promise<{ path?: string }> {
    await this.cinder.attach(volumeId, serverId, device, { hostName: host });
    const conn = await this.cinder.backingFile(volumeId).catch(() => undefined);
    return conn ? { path: conn.devicePath } : {};
  }

  async unreserve(volumeId: string, serverId: string): Promise<void> {
    await this.cinder.unreserve(volumeId, serverId).catch(ignoreMissing);
  }

  async beginDetach(caller: Caller, volumeId: string, serverId: string): Promise<void> {
    const v = await this.cinder.get(volumeId, asVolumeCaller(caller));
    if (!v.attachments.some((a) => a.serverId === serverId && a.state === 'attached'))
      throw new StratusError('BadRequest', `Invalid volume: volume ${volumeId} is not attached to server ${serverId}.`, 'InvalidVolume');
    await this.cinder.attachments.beginDetaching(null, volumeId);
  }

  async detach(volumeId: string, serverId: string): Promise<void> {
    await this.cinder.detach(volumeId, serverId).catch(ignoreMissing);
  }

  async create(caller: Caller, spec: { size: number; name: string; imageId?: string; snapshotId?: string }): Promise<VolumeInfo> {
    const source = spec.imageId ? { kind: 'image' as const, imageId: spec.imageId } : spec.snapshotId ? { kind: 'snapshot' as const, snapshotId: spec.snapshotId } : { kind: 'blank' as const };
    const v = await this.cinder.create(asVolumeCaller(caller), { size: spec.size, name: spec.name, description: null, metadata: {}, source });
    const end = Date.now() + this.waitMs;
    for (;;) {
      const cur = await this.cinder.get(v.id);
      if (cur.status === 'available') return info(cur);
      if (cur.status === 'error' || Date.now() > end)
        throw new StratusError('BadRequest', `Volume ${v.id} did not become available (status ${cur.status}).`, 'VolumeNotCreated');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async delete(caller: Caller, volumeId: string): Promise<void> {
    await this.cinder.delete(volumeId, asVolumeCaller(caller)).catch(ignoreMissing);
  }
}
