import { invalid, type VolumeContext } from './context.js';
import type { Attachment, Caller, Volume } from './models.js';
import { touch, type Volumes } from './volumes.js';

export interface AttachInput {
  serverId?: string | null;
  hostName?: string | null;
  device: string | null;
  mode?: 'rw' | 'ro';
}

/** What a host needs to use a volume: here, a local file (the `local` connector). */
export interface ConnectionInfo {
  driverVolumeType: 'local';
  devicePath: string;
  format: 'raw' | 'qcow2';
  accessMode: 'rw' | 'ro';
  volumeId: string;
}

/** The attachment status the volume shows for its attachments. */
function settled(v: Volume, attachments: Attachment[]): Volume {
  const attached = attachments.some((a) => a.state === 'attached');
  const reserved = attachments.some((a) => a.state === 'reserved');
  return { ...v, attachments, status: attached ? 'in-use' : reserved ? 'attaching' : 'available' };
}

/**
 * The attach state machine: available → attaching (reserve) → in-use (attach) → detaching
 * (begin_detaching) → available (detach). The volume record's `attachments` are the only
 * record of which server uses a volume: compute reads them here, so the two APIs always agree.
 * `caller` null is a trusted service (compute) acting for its own, already authorized user.
 */
export class Attachments {
  constructor(
    private readonly ctx: VolumeContext,
    private readonly volumes: Volumes,
  ) {}

  /**
   * available → attaching, holding a reserved attachment. With `serverId` (compute) a repeat for
   * the same server is a no-op; a plain os-reserve on a volume that is not available is a 400.
   */
  reserve(caller: Caller | null, id: string, serverId?: string): Promise<Volume> {
    return this.volumes.mutate(caller, id, (v) => {
      if (serverId && v.attachments.some((a) => a.serverId === serverId)) return v;
      if (v.status !== 'available') throw invalid('volume', `Volume status must be available to reserve, but the status is ${v.status}.`);
      const a: Attachment = { id: this.ctx.newId(), serverId: serverId ?? null, hostName: null, device: null, mode: 'rw', state: 'reserved', attachedAt: null };
      return touch(this.ctx, settled(v, [...v.attachments, a]));
    });
  }

  /** attaching → available; a no-op in any other state. */
  unreserve(caller: Caller | null, id: string, serverId?: string): Promise<Volume> {
    return this.volumes.mutate(caller, id, (v) => {
      const keep = v.attachments.filter((a) => a.state !== 'reserved' || (serverId !== undefined && a.serverId !== serverId));
      if (keep.length === v.attachments.length) return v;
      return touch(this.ctx, settled(v, keep));
    });
  }

  /**
   * → in-use with an attachment to a server (or host). Takes over the reservation for that server
   * (or an anonymous one) or reserves on the spot; attaching again to the same server returns the
   * existing attachment.
   */
  async attach(caller: Caller | null, id: string, input: AttachInput): Promise<Attachment> {
    let out: Attachment | undefined;
    await this.volumes.mutate(caller, id, (v) => {
      const serverId = input.serverId ?? null;
      const same = v.attachments.find((a) => a.state === 'attached' && a.serverId === serverId && (serverId !== null || a.hostName === (input.hostName ?? null)));
      if (same) {
        out = same;
        return v;
      }
      if (!['available', 'attaching'].includes(v.status)) throw invalid('volume', `Volume status must be available or attaching to attach, but the status is ${v.status}.`);
      const mode = input.mode ?? 'rw';
      if (v.readonly && mode === 'rw') throw invalid('volume', `Invalid attaching mode '${mode}' for volume ${id}: the volume is read-only.`);
      const reserved = v.attachments.find((a) => a.state === 'reserved' && (a.serverId === serverId || a.serverId === null));
      const others = v.attachments.filter((a) => a !== reserved);
      if (others.some((a) => a.state === 'attached' || (a.serverId !== null && a.serverId !== serverId))) {
        throw invalid('volume', `Volume ${id} is already attached or reserved for another server; multiattach is not enabled.`);
      }
      out = {
        id: reserved?.id ?? this.ctx.newId(),
        serverId,
        hostName: input.hostName ?? null,
        device: input.device,
        mode,
        state: 'attached',
        attachedAt: this.ctx.now(),
      };
      return touch(this.ctx, settled(v, [...others, out]));
    });
    return out!;
  }

  /** in-use → detaching (400 otherwise). */
  beginDetaching(caller: Caller | null, id: string): Promise<Volume> {
    return this.volumes.mutate(caller, id, (v) => {
      if (v.status !== 'in-use') {
        throw invalid('volume', "Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");
      }
      return touch(this.ctx, { ...v, status: 'detaching' });
    });
  }

  /** detaching → in-use; a no-op otherwise. */
  rollDetaching(caller: Caller | null, id: string): Promise<Volume> {
    return this.volumes.mutate(caller, id, (v) => (v.status === 'detaching' ? touch(this.ctx, settled(v, v.attachments)) : v));
  }

  /**
   * os-detach / os-force_detach: removes one attachment (by id, or the first attached one).
   * Like Cinder, where the API casts the work to the volume manager, a detach with nothing to
   * detach is accepted and changes nothing (clean-up code detaches blindly); a volume in
   * maintenance is a 400.
   */
  detachAttachment(caller: Caller | null, id: string, attachmentId?: string): Promise<Volume> {
    return this.volumes.mutate(caller, id, (v) => {
      if (v.status === 'maintenance') throw invalid('volume', 'Volume is in maintenance.');
      const target = attachmentId ? v.attachments.find((a) => a.id === attachmentId) : v.attachments.find((a) => a.state === 'attached');
      if (!target) return v;
      return touch(this.ctx, settled(v, v.attachments.filter((a) => a !== target)));
    });
  }

  /** Compute's detach: removes whatever ties the volume to `serverId`; idempotent. */
  detach(caller: Caller | null, id: string, serverId: string): Promise<Volume> {
    return this.volumes.mutate(caller, id, (v) => {
      const keep = v.attachments.filter((a) => a.serverId !== serverId);
      if (keep.length === v.attachments.length) return v.status === 'detaching' ? touch(this.ctx, settled(v, keep)) : v;
      return touch(this.ctx, settled(v, keep));
    });
  }

  /** Where the bytes are, for a host about to use the volume. */
  async connection(caller: Caller | null, id: string): Promise<ConnectionInfo> {
    const v = await this.volumes.visible(caller, id);
    if (!['available', 'attaching', 'in-use', 'detaching'].includes(v.status)) {
      throw invalid('volume', `Volume ${id} is ${v.status}; it can be connected only when available or attached.`);
    }
    const info = await this.ctx.driver.info(id);
    if (!info) throw invalid('volume', `Volume ${id} has no backing storage.`);
    const mode = v.readonly ? 'ro' : (v.attachments.find((a) => a.state === 'attached')?.mode ?? 'rw');
    return { driverVolumeType: 'local', devicePath: info.path, format: info.format, accessMode: mode, volumeId: id };
  }

  /** Every volume attached or reserved for a server, with its attachment. */
  async forServer(serverId: string): Promise<{ volume: Volume; attachment: Attachment }[]> {
    const all = await this.volumes.repo.list();
    return all.flatMap((volume) => volume.attachments.filter((a) => a.serverId === serverId).map((attachment) => ({ volume, attachment })));
  }
}
