import type { VolumeContext, WorkRef } from './context.js';
import type { ImageSource } from './images.js';
import type { Snapshot, SnapshotTask, Volume, VolumeTask } from './models.js';
import type { Records } from './volumes.js';

/**
 * The reconciler's work: carries out a record's pending task on the block driver and records
 * the outcome. Driver calls are idempotent, so running a task again after a crash is safe.
 * An outcome is recorded only if the task is still the record's current one; a request that
 * replaced it (a delete during a create) is picked up by the next run.
 */
export class Worker {
  constructor(
    private readonly ctx: VolumeContext,
    private readonly records: Records,
    private readonly images: ImageSource,
  ) {}

  run = async (ref: WorkRef): Promise<void> => {
    if (ref.kind === 'volume') await this.runVolume(ref.id);
    else await this.runSnapshot(ref.id);
  };

  private async runVolume(id: string): Promise<void> {
    const v = await this.records.volumes.get(id);
    if (!v?.task) return;
    const task = v.task;
    try {
      await this.performVolume(v, task);
      await this.finishVolume(id, task, (cur) => onVolumeSuccess(cur, task, this.ctx.now()));
    } catch (e) {
      this.ctx.log.warn(`volume ${id}: ${task.op} failed: ${(e as Error)?.message ?? String(e)}`);
      await this.finishVolume(id, task, (cur) => ({ ...cur, task: null, error: (e as Error)?.message ?? String(e), updatedAt: this.ctx.now(), status: failedStatus(task) }));
      if (task.op === 'upload') this.ctx.log.warn(`volume ${id}: upload to image ${task.imageId} failed; the image was removed`);
    }
  }

  private async performVolume(v: Volume, task: VolumeTask): Promise<void> {
    const d = this.ctx.driver;
    if (task.op === 'delete') {
      await d.delete(v.id);
      return;
    }
    if (task.op === 'extend') {
      await d.extend(v.id, task.newSize);
      return;
    }
    if (task.op === 'upload') {
      const sink = this.images.sink;
      if (!sink) throw new Error('no image service is connected to block storage');
      const info = await d.info(v.id);
      if (!info) throw new Error(`volume ${v.id} has no backing storage`);
      try {
        await sink.upload(task.caller, task.imageId, await d.readStream(v.id), info.sizeBytes);
      } catch (e) {
        await sink.discard(task.caller, task.imageId).catch(() => {});
        throw e;
      }
      return;
    }
    const src = task.source;
    if (src.kind === 'blank') await d.create(v.id, v.size);
    else if (src.kind === 'snapshot') await d.createFromSnapshot(src.snapshotId, v.id, v.size);
    else if (src.kind === 'volume') await d.clone(src.volumeId, v.id, v.size);
    else {
      if (await d.info(v.id)) return;
      const img = await this.images.open(src.imageId, task.caller);
      const r = await d.createFromImage(v.id, v.size, { stream: img.stream, diskFormat: img.diskFormat });
      if (r.note) this.ctx.log.warn(`volume ${v.id} from image ${src.imageId}: ${r.note}`);
    }
  }

  /** Applies `apply` to the record if `task` is still its task; `null` deletes the record. */
  private async finishVolume(id: string, task: VolumeTask, apply: (cur: Volume) => Volume | null): Promise<void> {
    const out = await this.ctx.store.tx(async (tx) => {
      const cur = await this.records.volumes.get(id, tx);
      if (!cur || cur.task?.id !== task.id) return undefined;
      const next = apply(cur);
      if (next) await this.records.volumes.put(next, tx);
      else await this.records.volumes.delete(id, tx);
      return { next, projectId: cur.projectId };
    });
    if (out) this.ctx.changed('volume', out.next ? 'updated' : 'deleted', id, out.projectId);
  }

  private async runSnapshot(id: string): Promise<void> {
    const s = await this.records.snapshots.get(id);
    if (!s?.task) return;
    const task = s.task;
    try {
      if (task.op === 'create') await this.ctx.driver.snapshot(s.volumeId, s.id);
      else await this.ctx.driver.deleteSnapshot(s.id);
      await this.finishSnapshot(id, task, (cur) => (task.op === 'delete' ? null : { ...cur, task: null, status: 'available', progress: '100%', updatedAt: this.ctx.now() }));
    } catch (e) {
      this.ctx.log.warn(`snapshot ${id}: ${task.op} failed: ${(e as Error)?.message ?? String(e)}`);
      const status = task.op === 'delete' ? 'error_deleting' : 'error';
      await this.finishSnapshot(id, task, (cur) => ({ ...cur, task: null, status, error: (e as Error)?.message ?? String(e), updatedAt: this.ctx.now() }));
    }
  }

  private async finishSnapshot(id: string, task: SnapshotTask, apply: (cur: Snapshot) => Snapshot | null): Promise<void> {
    const out = await this.ctx.store.tx(async (tx) => {
      const cur = await this.records.snapshots.get(id, tx);
      if (!cur || cur.task?.id !== task.id) return undefined;
      const next = apply(cur);
      if (next) await this.records.snapshots.put(next, tx);
      else await this.records.snapshots.delete(id, tx);
      return { next, projectId: cur.projectId };
    });
    if (out) this.ctx.changed('snapshot', out.next ? 'updated' : 'deleted', id, out.projectId);
  }

  /**
   * After a restart: every record with pending work is queued again; attach states that only
   * a live caller could finish are settled (attaching → available, detaching → in-use, with
   * unfinished reservations dropped); transitional states without work become `error`; backing
   * files without any record are removed. Returns what it did, for the start-up log.
   */
  async recover(kick: (ref: WorkRef) => void): Promise<{ resumed: number; settled: number; orphans: number }> {
    let resumed = 0;
    let settledCount = 0;
    for (const v of await this.records.volumes.list()) {
      if (v.task) {
        resumed++;
        kick({ kind: 'volume', id: v.id });
        continue;
      }
      const next = settleVolume(v);
      if (next !== v) {
        settledCount++;
        await this.records.volumes.put({ ...next, updatedAt: this.ctx.now() });
      }
    }
    for (const s of await this.records.snapshots.list()) {
      if (s.task) {
        resumed++;
        kick({ kind: 'snapshot', id: s.id });
      } else if (s.status === 'creating' || s.status === 'deleting') {
        settledCount++;
        await this.records.snapshots.put({ ...s, status: 'error', updatedAt: this.ctx.now() });
      }
    }
    return { resumed, settled: settledCount, orphans: await this.removeOrphans() };
  }

  private async removeOrphans(): Promise<number> {
    const stored = await this.ctx.driver.list();
    let n = 0;
    for (const id of stored.volumes) if (!(await this.records.volumes.get(id)) && (await this.ctx.driver.delete(id))) n++;
    for (const id of stored.snapshots) if (!(await this.records.snapshots.get(id)) && (await this.ctx.driver.deleteSnapshot(id))) n++;
    return n;
  }
}

function onVolumeSuccess(cur: Volume, task: VolumeTask, now: number): Volume | null {
  if (task.op === 'delete') return null;
  const base = { ...cur, task: null, error: null, updatedAt: now };
  if (task.op === 'extend') return { ...base, size: task.newSize, status: cur.attachments.some((a) => a.state === 'attached') ? 'in-use' : 'available' };
  if (task.op === 'upload') return { ...base, status: task.restore };
  return { ...base, status: 'available' };
}

function failedStatus(task: VolumeTask): Volume['status'] {
  // NOTE: as in Cinder, a failed upload leaves the volume as it was (its data is untouched).
  if (task.op === 'upload') return task.restore;
  return task.op === 'delete' ? 'error_deleting' : task.op === 'extend' ? 'error_extending' : 'error';
}

/** The final state of a volume whose in-between state no live caller will finish. */
function settleVolume(v: Volume): Volume {
  if (v.status === 'attaching' || v.status === 'detaching') {
    const attachments = v.attachments.filter((a) => a.state === 'attached');
    return { ...v, attachments, status: attachments.length ? 'in-use' : 'available' };
  }
  if (v.status === 'uploading') return { ...v, status: v.attachments.some((a) => a.state === 'attached') ? 'in-use' : 'available' };
  if (['creating', 'extending', 'deleting'].includes(v.status)) return { ...v, status: 'error', error: 'interrupted without a pending task' };
  return v;
}
