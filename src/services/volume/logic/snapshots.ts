import { StratusError } from '../../../core/errors.js';
import type { StoreOps } from '../../../store/index.js';
import { invalid, itemNotFound, type VolumeContext } from './context.js';
import { paginate, type PageOptions } from './listing.js';
import type { Caller, Snapshot } from './models.js';
import type { Quotas } from './quotas.js';
import type { VolumeServices } from './services.js';
import { touch, type Records, type Volumes } from './volumes.js';

export interface CreateSnapshotInput {
  volumeId: string;
  name: string | null;
  description: string | null;
  metadata: Record<string, string>;
  force: boolean;
}

export interface SnapshotFilter {
  allTenants?: boolean;
  projectId?: string;
  name?: string;
  status?: string;
  volumeId?: string;
}

/** Snapshots: point-in-time copies of a volume, made by the reconciler. */
export class Snapshots {
  constructor(
    private readonly ctx: VolumeContext,
    private readonly records: Records,
    private readonly volumes: Volumes,
    private readonly quotas: Quotas,
    private readonly services: VolumeServices,
  ) {}

  get repo() {
    return this.records.snapshots;
  }

  async visible(caller: Caller | null, id: string, tx?: StoreOps): Promise<Snapshot> {
    const s = await this.repo.get(id, tx);
    if (!s || (caller && !caller.admin && s.projectId !== caller.projectId)) throw itemNotFound('Snapshot', id);
    return s;
  }

  /** 400 unless the volume is available (or in-use with force). */
  async create(caller: Caller, input: CreateSnapshotInput): Promise<Snapshot> {
    const s = await this.ctx.store.tx(async (tx) => {
      const v = await this.volumes.visible(caller, input.volumeId, tx);
      const ok = v.status === 'available' || (v.status === 'in-use' && input.force);
      if (!ok) {
        throw invalid('volume', `Volume ${v.id} status must be available${v.status === 'in-use' ? ' (or in-use with force)' : ''}, but current status is: ${v.status}.`);
      }
      await this.services.assertNotFrozen(tx);
      await this.quotas.check(tx, v.projectId, { snapshots: 1, gigabytes: v.size, typeId: v.volumeTypeId });
      const snap: Snapshot = {
        id: this.ctx.newId(),
        volumeId: v.id,
        projectId: v.projectId,
        userId: caller.userId,
        name: input.name,
        description: input.description,
        size: v.size,
        status: 'creating',
        metadata: input.metadata,
        task: { id: this.ctx.newId(), op: 'create' },
        error: null,
        createdAt: this.ctx.now(),
        updatedAt: null,
      };
      return this.repo.create(snap, tx);
    });
    this.ctx.changed('snapshot', 'created', s.id, s.projectId);
    this.ctx.kick({ kind: 'snapshot', id: s.id });
    return s;
  }

  async list(caller: Caller, f: SnapshotFilter, page: PageOptions): Promise<Snapshot[]> {
    const where = caller.admin && f.allTenants ? (f.projectId ? { projectId: f.projectId } : undefined) : { projectId: caller.projectId };
    const hits = (await this.repo.list(where)).filter(
      (s) =>
        (f.name === undefined || s.name === f.name) &&
        (f.status === undefined || s.status === f.status) &&
        (f.volumeId === undefined || s.volumeId === f.volumeId),
    );
    return paginate(hits, page, (s, key) => {
      if (key === 'created_at') return s.createdAt;
      if (key === 'updated_at') return s.updatedAt;
      if (key === 'volume_id') return s.volumeId;
      return (s as unknown as Record<string, string | number | null>)[key] ?? null;
    });
  }

  update(caller: Caller, id: string, patch: { name?: string | null; description?: string | null }): Promise<Snapshot> {
    return this.mutate(caller, id, (s) => touch(this.ctx, { ...s, ...patch }));
  }

  async setMetadata(caller: Caller, id: string, md: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
    return (await this.mutate(caller, id, (s) => touch(this.ctx, { ...s, metadata: replace ? md : { ...s.metadata, ...md } }))).metadata;
  }

  async deleteMetadataKey(caller: Caller, id: string, key: string): Promise<void> {
    await this.mutate(caller, id, (s) => {
      if (!(key in s.metadata)) throw new StratusError('NotFound', `Snapshot ${id} has no metadata with key ${key}.`, 'SnapshotMetadataNotFound');
      const metadata = { ...s.metadata };
      delete metadata[key];
      return touch(this.ctx, { ...s, metadata });
    });
  }

  /** Starts deleting; 400 while creating or while a volume is being made from it. */
  async delete(caller: Caller, id: string, force = false): Promise<void> {
    await this.mutate(caller, id, async (s, tx) => {
      if (s.task?.op === 'delete') return s;
      await this.services.assertNotFrozen(tx);
      if (!force && !['available', 'error', 'error_deleting'].includes(s.status)) {
        throw invalid('snapshot', 'Snapshot status must be available or error and must not be part of a group.');
      }
      const users = await this.records.volumes.list({ snapshotId: id, status: 'creating' }, tx);
      if (users.length) throw invalid('snapshot', `Snapshot ${id} is the source of volume ${users[0]!.id}, which is being created.`);
      return touch(this.ctx, { ...s, status: 'deleting', task: { id: this.ctx.newId(), op: 'delete' } });
    });
  }

  /** os-update_snapshot_status (a backend reporting progress): only while creating. */
  updateStatus(caller: Caller, id: string, status: Snapshot['status'], progress?: string): Promise<Snapshot> {
    return this.mutate(caller, id, (s) => {
      if (s.status !== 'creating' && s.status !== 'deleting') throw invalid('snapshot', `Snapshot status ${s.status} cannot be updated; it must be creating or deleting.`);
      const next = { ...s, status, task: status === s.status ? s.task : null };
      if (progress !== undefined) next.progress = progress;
      return touch(this.ctx, next);
    });
  }

  /** Admin: os-reset_status. */
  resetStatus(caller: Caller, id: string, status: Snapshot['status']): Promise<Snapshot> {
    return this.mutate(caller, id, (s) => touch(this.ctx, { ...s, status, task: null }));
  }

  private async mutate(caller: Caller | null, id: string, fn: (s: Snapshot, tx: StoreOps) => Snapshot | Promise<Snapshot>): Promise<Snapshot> {
    let changed = false;
    const next = await this.ctx.store.tx(async (tx) => {
      const cur = await this.visible(caller, id, tx);
      const n = await fn(cur, tx);
      if (n === cur) return cur;
      changed = true;
      return this.repo.put(n, tx);
    });
    if (changed) this.ctx.changed('snapshot', 'updated', id, next.projectId);
    if (changed && next.task) this.ctx.kick({ kind: 'snapshot', id });
    return next;
  }
}
