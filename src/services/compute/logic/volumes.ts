import { StratusError } from '../../../core/errors.js';
import type { ComputeContext } from './context.js';
import { E } from './errors.js';
import type { InstanceActions } from './instance-actions.js';
import type { BlockDevice, Caller, Server } from './models.js';
import type { ServerRecords } from './servers.js';
import { requireState } from './states.js';

export interface AttachmentView {
  volumeId: string;
  serverId: string;
  device: string;
}

/** The next free `/dev/vdX` of a server (vda is the root disk). */
function nextDevice(s: Server): string {
  const used = new Set(s.blockDevices.map((b) => b.device));
  for (let i = 1; i < 26; i++) {
    const dev = `/dev/vd${String.fromCharCode(97 + i)}`;
    if (!used.has(dev)) return dev;
  }
  throw E.bad('No free device name left on the server.');
}

/**
 * os-volume_attachments: the API reserves the volume in block storage and records a block
 * device in `attaching`; the reconciler attaches it on the hypervisor and completes the
 * attachment (volume `in-use`). Detach is the mirror image (`detaching` → available).
 * The attachment id is the volume id, as in Nova.
 */
export class VolumeAttach {
  constructor(
    private readonly ctx: ComputeContext,
    private readonly servers: ServerRecords,
    private readonly actions: InstanceActions,
    private readonly kick: (id: string) => void,
  ) {}

  async list(caller: Caller, serverId: string): Promise<AttachmentView[]> {
    const s = await this.servers.find(caller, serverId);
    return s.blockDevices.filter((b) => b.volumeId && b.state !== 'pending').map((b) => ({ volumeId: b.volumeId!, serverId: s.id, device: b.device }));
  }

  async get(caller: Caller, serverId: string, volumeId: string): Promise<AttachmentView> {
    const found = (await this.list(caller, serverId)).find((a) => a.volumeId === volumeId);
    if (!found) throw E.attachmentNotFound(volumeId);
    return found;
  }

  async attach(caller: Caller, serverId: string, volumeId: string, device?: string | null): Promise<AttachmentView> {
    const s = await this.servers.find(caller, serverId);
    requireState(s, 'attachVolume', caller);
    const vols = this.ctx.ports.volumes;
    if (!vols.available) throw E.bad('volume service unavailable: this cloud runs without it.');
    if (s.blockDevices.some((b) => b.volumeId === volumeId)) throw E.bad(`Invalid volume: volume ${volumeId} is already attached to the instance.`, 'InvalidVolume');
    await vols.get(caller, volumeId).catch((e: unknown) => {
      throw e instanceof StratusError && e.kind === 'NotFound' ? E.notFound(`Volume ${volumeId} could not be found.`, 'VolumeNotFound') : e;
    });
    await vols.reserve(caller, volumeId, s.id);
    let out: BlockDevice | undefined;
    try {
      await this.servers.mutate(s.id, async (cur, tx) => {
        requireState(cur, 'attachVolume', caller);
        out = { volumeId, sourceType: 'volume', size: null, imageId: null, bootIndex: null, deleteOnTermination: false, device: device || nextDevice(cur), state: 'attaching' };
        await this.actions.record(cur.id, 'attach_volume', caller, tx);
        return { ...cur, blockDevices: [...cur.blockDevices, out] };
      });
    } catch (e) {
      await vols.unreserve(volumeId, s.id).catch(() => undefined);
      throw e;
    }
    this.kick(s.id);
    return { volumeId, serverId: s.id, device: out!.device };
  }

  async detach(caller: Caller, serverId: string, volumeId: string): Promise<void> {
    const s = await this.servers.find(caller, serverId);
    const b = s.blockDevices.find((x) => x.volumeId === volumeId);
    if (!b || b.state === 'pending') throw E.attachmentNotFound(volumeId);
    requireState(s, 'detachVolume', caller);
    if (b.bootIndex === 0) throw E.bad("Can't detach root device volume", 'InvalidVolume');
    if (b.state !== 'attached') throw E.bad(`Invalid volume: volume ${volumeId} is ${b.state}.`, 'InvalidVolume');
    await this.ctx.ports.volumes.beginDetach(caller, volumeId, s.id);
    await this.servers.mutate(s.id, async (cur, tx) => {
      await this.actions.record(cur.id, 'detach_volume', caller, tx);
      return { ...cur, blockDevices: cur.blockDevices.map((x) => (x.volumeId === volumeId ? { ...x, state: 'detaching' as const } : x)) };
    });
    this.kick(s.id);
  }

  /** Reconciler side: completes attaching and detaching devices; a failed attach is undone. */
  async converge(s: Server): Promise<void> {
    for (const b of s.blockDevices) {
      if (!b.volumeId) continue;
      if (b.state === 'attaching') await this.finishAttach(s, b);
      else if (b.state === 'detaching') await this.finishDetach(s, b);
    }
  }

  private async finishAttach(s: Server, b: BlockDevice): Promise<void> {
    const vols = this.ctx.ports.volumes;
    const id = b.volumeId!;
    try {
      const { path } = await vols.attach(id, s.id, b.device, s.host ?? this.ctx.config.host);
      await this.ctx.driver.attachVolume(s.id, { volumeId: id, device: b.device, ...(path ? { path } : {}) });
      await this.setDevice(s.id, id, (x) => ({ ...x, state: 'attached', ...(path ? { path } : {}) }));
    } catch (e) {
      this.ctx.log.warn(`attach of volume ${id} to ${s.id} failed: ${(e as Error).message}`);
      await vols.detach(id, s.id).catch(() => undefined);
      await vols.unreserve(id, s.id).catch(() => undefined);
      await this.setDevice(s.id, id, () => undefined);
    }
  }

  private async finishDetach(s: Server, b: BlockDevice): Promise<void> {
    const id = b.volumeId!;
    try {
      await this.ctx.driver.detachVolume(s.id, id).catch((e: unknown) => {
        if ((e as { code?: string }).code !== 'not-found') throw e;
      });
      await this.ctx.ports.volumes.detach(id, s.id);
      await this.setDevice(s.id, id, () => undefined);
    } catch (e) {
      this.ctx.log.warn(`detach of volume ${id} from ${s.id} failed: ${(e as Error).message}`);
      await this.setDevice(s.id, id, (x) => ({ ...x, state: 'attached' }));
    }
  }

  /** Replaces (or with undefined removes) one block device of a server. */
  private async setDevice(serverId: string, volumeId: string, fn: (b: BlockDevice) => BlockDevice | undefined): Promise<void> {
    await this.servers.mutate(serverId, (cur) => ({
      ...cur,
      blockDevices: cur.blockDevices.flatMap((x) => {
        if (x.volumeId !== volumeId) return [x];
        const next = fn(x);
        return next ? [next] : [];
      }),
    })).catch(() => undefined);
  }
}
