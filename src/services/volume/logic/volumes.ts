import { StratusError } from '../../../core/errors.js';
import type { StoreOps } from '../../../store/index.js';
import { invalid, itemNotFound, Repo, type VolumeContext } from './context.js';
import type { ImageSource } from './images.js';
import { paginate, type PageOptions } from './listing.js';
import type { Quotas } from './quotas.js';
import type { VolumeTypes } from './types.js';
import { AVAILABILITY_ZONE, type Caller, type Snapshot, type Volume, type VolumeSource, type VolumeStatus } from './models.js';
import { assertUnencrypted } from './encryption.js';
import { prepareSource } from './sources.js';
import type { VolumeServices } from './services.js';

export interface CreateVolumeInput {
  size?: number;
  name: string | null;
  description: string | null;
  availabilityZone?: string | null;
  /** A type name or id; defaults to the source's type, else `__DEFAULT__`. */
  volumeType?: string | null;
  metadata: Record<string, string>;
  source: VolumeSource;
}

export interface VolumeFilter {
  /** Admins only: every project (or `projectId`). */
  allTenants?: boolean;
  projectId?: string;
  name?: string;
  status?: string;
  metadata?: Record<string, string>;
  bootable?: boolean;
  availabilityZone?: string;
}

export interface VolumePatch {
  name?: string | null;
  description?: string | null;
  metadata?: Record<string, string>;
}

/** Statuses from which a plain delete is accepted (error_deleting: a retry). */
const DELETABLE: VolumeStatus[] = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing', 'error_deleting'];

/** The shared record stores of the block storage logic. */
export interface Records {
  volumes: Repo<Volume>;
  snapshots: Repo<Snapshot>;
}

/**
 * Volumes: create (intent first: the record is written as `creating` with a task, then the
 * reconciler does the work), read, update, metadata, extend, delete, admin resets.
 */
export class Volumes {
  constructor(
    private readonly ctx: VolumeContext,
    private readonly records: Records,
    private readonly types: VolumeTypes,
    private readonly quotas: Quotas,
    private readonly images: ImageSource,
    private readonly services: VolumeServices,
  ) {}

  get repo(): Repo<Volume> {
    return this.records.volumes;
  }

  /** A volume the caller may see (null caller: a trusted service such as compute). */
  async visible(caller: Caller | null, id: string, tx?: StoreOps): Promise<Volume> {
    const v = await this.repo.get(id, tx);
    if (!v || (caller && !caller.admin && v.projectId !== caller.projectId)) throw itemNotFound('Volume', id);
    return v;
  }

  async create(caller: Caller, input: CreateVolumeInput): Promise<Volume> {
    if (input.availabilityZone && input.availabilityZone !== AVAILABILITY_ZONE) {
      throw invalid('input', `Availability zone '${input.availabilityZone}' is invalid.`);
    }
    const image = input.source.kind === 'image' ? await this.imageFacts(caller, input.source.imageId) : undefined;
    // Outside the transaction: plain store reads wait for an open transaction.
    const named = input.volumeType ? await this.types.resolve(caller, input.volumeType) : undefined;
    const fallback = await this.types.defaultType();
    const v = await this.ctx.store.tx(async (tx) => {
      const src = await prepareSource(tx, this.records, caller, input, image);
      // NOTE: as Cinder's scheduler with no enabled backend: the volume is recorded, in error.
      const disabled = (await this.services.backend(tx)).disabled;
      const vol: Volume = {
        id: this.ctx.newId(),
        projectId: caller.projectId,
        userId: caller.userId,
        name: input.name,
        description: input.description,
        size: src.size,
        status: disabled ? 'error' : 'creating',
        availabilityZone: AVAILABILITY_ZONE,
        bootable: src.bootable,
        readonly: null,
        volumeTypeId: named?.id ?? src.volumeTypeId ?? fallback.id,
        metadata: input.metadata,
        snapshotId: input.source.kind === 'snapshot' ? input.source.snapshotId : null,
        sourceVolid: input.source.kind === 'volume' ? input.source.volumeId : null,
        imageMetadata: src.imageMetadata,
        attachments: [],
        task: disabled ? null : { id: this.ctx.newId(), op: 'create', source: input.source, caller },
        error: disabled ? 'No valid backend was found: the cinder-volume service is disabled.' : null,
        createdAt: this.ctx.now(),
        updatedAt: null,
      };
      assertUnencrypted(await this.types.repo.get(vol.volumeTypeId, tx));
      await this.quotas.check(tx, caller.projectId, { volumes: 1, gigabytes: vol.size, volumeSize: vol.size, typeId: vol.volumeTypeId });
      return this.repo.create(vol, tx);
    });
    this.ctx.changed('volume', 'created', v.id, v.projectId);
    this.ctx.kick({ kind: 'volume', id: v.id });
    return v;
  }

  /** Opens the image once to check it exists and is readable, then lets the stream go. */
  private async imageFacts(caller: Caller, imageId: string) {
    const img = await this.images.open(imageId, caller).catch((e: { kind?: string }) => {
      if (e?.kind === 'NotFound') throw invalid('input', `Invalid image identifier or unable to access requested image (${imageId}).`);
      throw e;
    });
    (img.stream as { destroy?: () => void }).destroy?.();
    return { ...img, stream: undefined };
  }

  async list(caller: Caller, f: VolumeFilter, page: PageOptions): Promise<Volume[]> {
    const where = caller.admin && f.allTenants ? (f.projectId ? { projectId: f.projectId } : undefined) : { projectId: caller.projectId };
    const all = await this.repo.list(where);
    const hits = all.filter(
      (v) =>
        (f.name === undefined || v.name === f.name) &&
        (f.status === undefined || v.status === f.status) &&
        (f.bootable === undefined || v.bootable === f.bootable) &&
        (f.availabilityZone === undefined || v.availabilityZone === f.availabilityZone) &&
        Object.entries(f.metadata ?? {}).every(([k, val]) => v.metadata[k] === val),
    );
    return paginate(hits, page, (v, key) => sortValue(v, key));
  }

  update(caller: Caller, id: string, patch: VolumePatch): Promise<Volume> {
    return this.mutate(caller, id, (v) => touch(this.ctx, { ...v, ...patch }));
  }

  async setMetadata(caller: Caller, id: string, md: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
    const v = await this.mutate(caller, id, (cur) => touch(this.ctx, { ...cur, metadata: replace ? md : { ...cur.metadata, ...md } }));
    return v.metadata;
  }

  async deleteMetadataKey(caller: Caller, id: string, key: string): Promise<void> {
    await this.mutate(caller, id, (cur) => {
      if (!(key in cur.metadata)) throw new StratusError('NotFound', `Volume ${id} has no metadata with key ${key}.`, 'VolumeMetadataNotFound');
      const metadata = { ...cur.metadata };
      delete metadata[key];
      return touch(this.ctx, { ...cur, metadata });
    });
  }

  /** os-set_image_metadata / os-unset_image_metadata: the volume_image_metadata properties. */
  async setImageMetadata(caller: Caller, id: string, md: Record<string, string>): Promise<Record<string, string>> {
    const v = await this.mutate(caller, id, (cur) => touch(this.ctx, { ...cur, imageMetadata: { ...(cur.imageMetadata ?? {}), ...md } }));
    return v.imageMetadata ?? {};
  }

  async unsetImageMetadata(caller: Caller, id: string, key: string): Promise<void> {
    await this.mutate(caller, id, (cur) => {
      if (!cur.imageMetadata || !(key in cur.imageMetadata)) {
        throw new StratusError('NotFound', `Glance metadata for volume ${id} with key ${key} could not be found.`, 'GlanceMetadataNotFound');
      }
      const imageMetadata = { ...cur.imageMetadata };
      delete imageMetadata[key];
      return touch(this.ctx, { ...cur, imageMetadata });
    });
  }

  extend(caller: Caller, id: string, newSize: number): Promise<Volume> {
    return this.mutate(caller, id, async (v, tx) => {
      if (v.status !== 'available') throw invalid('volume', `Volume status must be 'available' to extend, currently ${v.status}.`);
      await this.services.assertNotFrozen(tx);
      if (newSize <= v.size) throw invalid('input', `New size for extend must be greater than current size. (current: ${v.size}, extended: ${newSize}).`);
      const busy = await this.records.snapshots.list({ volumeId: id, status: 'creating' }, tx);
      if (busy.length) throw invalid('volume', 'Volume has a snapshot being created.');
      await this.quotas.check(tx, v.projectId, { gigabytes: newSize - v.size, volumeSize: newSize, typeId: v.volumeTypeId });
      return touch(this.ctx, { ...v, status: 'extending', task: { id: this.ctx.newId(), op: 'extend', newSize } });
    });
  }

  setBootable(caller: Caller, id: string, bootable: boolean): Promise<Volume> {
    return this.mutate(caller, id, (v) => touch(this.ctx, { ...v, bootable }));
  }

  setReadonly(caller: Caller, id: string, readonly: boolean): Promise<Volume> {
    return this.mutate(caller, id, (v) => touch(this.ctx, { ...v, readonly }));
  }

  /** os-retype: a new type for an available or in-use volume (no data moves on this backend). */
  async retype(caller: Caller, id: string, typeRef: string): Promise<Volume> {
    const type = await this.types.resolve(caller, typeRef);
    return this.mutate(caller, id, async (v, tx) => {
      if (v.status !== 'available' && v.status !== 'in-use') throw invalid('volume', `Volume status must be available or in-use to retype, but it is ${v.status}.`);
      if (v.volumeTypeId === type.id) return v;
      assertUnencrypted(type);
      await this.services.assertNotFrozen(tx);
      await this.quotas.check(tx, v.projectId, { volumes: 1, gigabytes: v.size, typeId: type.id });
      return touch(this.ctx, { ...v, volumeTypeId: type.id });
    });
  }

  /** Admin: force the recorded state (os-reset_status); cancels pending work. */
  resetStatus(caller: Caller, id: string, status: VolumeStatus | undefined, detached: boolean): Promise<Volume> {
    return this.mutate(caller, id, (v) =>
      touch(this.ctx, { ...v, status: status ?? v.status, task: null, attachments: detached ? [] : v.attachments }),
    );
  }

  /** Starts deleting: 400 while attached, with snapshots (unless cascade) or in a busy state. */
  async delete(caller: Caller, id: string, opts: { cascade?: boolean; force?: boolean } = {}): Promise<void> {
    const snaps: string[] = [];
    await this.mutate(caller, id, async (v, tx) => {
      if (v.task?.op === 'delete') return v;
      await this.services.assertNotFrozen(tx);
      if (!opts.force && (!DELETABLE.includes(v.status) || v.attachments.length)) {
        throw invalid(
          'volume',
          'Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots or be disassociated from snapshots after volume transfer.',
        );
      }
      const clones = await this.repo.list({ sourceVolid: id, status: 'creating' }, tx);
      if (clones.length) throw invalid('volume', `Volume ${id} is the source of volume ${clones[0]!.id}, which is being created.`);
      for (const s of await this.records.snapshots.list({ volumeId: id }, tx)) {
        if (!opts.cascade) throw invalid('volume', 'Volume still has 1 or more dependent snapshots.');
        if (s.status !== 'deleting') await this.records.snapshots.put({ ...s, status: 'deleting', task: { id: this.ctx.newId(), op: 'delete' }, updatedAt: this.ctx.now() }, tx);
        snaps.push(s.id);
      }
      // A pending transfer offer goes with the volume (a forced delete of an awaiting-transfer one).
      await tx.deleteWhere('volume.transfer', { volumeId: id });
      return touch(this.ctx, { ...v, status: 'deleting', attachments: [], task: { id: this.ctx.newId(), op: 'delete' } });
    });
    for (const s of snaps) this.ctx.kick({ kind: 'snapshot', id: s });
  }

  /** Read-modify-write of one volume in a transaction; kicks the reconciler when work is due. */
  async mutate(caller: Caller | null, id: string, fn: (v: Volume, tx: StoreOps) => Volume | Promise<Volume>): Promise<Volume> {
    let changed = false;
    const next = await this.ctx.store.tx(async (tx) => {
      const cur = await this.visible(caller, id, tx);
      const n = await fn(cur, tx);
      if (n === cur) return cur;
      changed = true;
      return this.repo.put(n, tx);
    });
    if (changed) this.ctx.changed('volume', 'updated', id, next.projectId);
    if (changed && next.task) this.ctx.kick({ kind: 'volume', id });
    return next;
  }
}

/** The record with `updatedAt` set to now. */
export function touch(ctx: VolumeContext, t: Volume): Volume;
export function touch(ctx: VolumeContext, t: Snapshot): Snapshot;
export function touch(ctx: VolumeContext, t: Volume | Snapshot): Volume | Snapshot {
  return { ...t, updatedAt: ctx.now() };
}

function sortValue(v: Volume, key: string): string | number | boolean | null {
  switch (key) {
    case 'created_at':
      return v.createdAt;
    case 'updated_at':
      return v.updatedAt;
    case 'availability_zone':
      return v.availabilityZone;
    case 'user_id':
      return v.userId;
    case 'project_id':
      return v.projectId;
    case 'volume_type':
      return v.volumeTypeId;
    default:
      return (v as unknown as Record<string, string | number | boolean | null>)[key] ?? null;
  }
}
