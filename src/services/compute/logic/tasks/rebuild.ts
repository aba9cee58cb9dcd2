import type { Server, ServerTask } from '../models.js';
import { actingCaller, flavorSpec, instanceSpec, traced, type TaskDeps } from './deps.js';

/**
 * Rebuild: the instance is destroyed and spawned again from the (possibly new) image, keeping
 * its ports and volumes. A server that was stopped is stopped again afterwards, as in Nova.
 */
export async function rebuild(d: TaskDeps, s: Server, task: ServerTask): Promise<void> {
  const caller = actingCaller(s, task);
  const wasStopped = s.vmState === 'stopped';
  const spec = await instanceSpec(d, s, caller);
  await traced(d, s, task, 'compute_rebuild_instance', async () => {
    await d.ctx.driver.destroy(s.id);
    await d.ctx.driver.spawn(spec);
    if (wasStopped) await d.ctx.driver.powerOff(s.id, { timeoutMs: 0 });
  });
  await d.servers.finish(s.id, task, {
    vmState: wasStopped ? 'stopped' : 'active',
    powerState: wasStopped ? 4 : 1,
    taskState: null,
    launchedAt: d.ctx.now(),
  });
}

/**
 * Resize on this host: the new flavor is claimed next to the old one, the driver applies it,
 * and the server waits in VERIFY_RESIZE for confirm or revert.
 */
export async function resize(d: TaskDeps, s: Server, task: ServerTask): Promise<void> {
  const next = s.oldFlavor ? s.flavor : undefined;
  if (!next) throw new Error('resize without a new flavor');
  await d.scheduler.claimResize(s, next);
  await traced(d, s, task, 'compute_resize_instance', () => d.ctx.driver.resize(s.id, flavorSpec(next)));
  await d.servers.finish(s.id, task, { vmState: 'resized', taskState: null });
}

export async function confirmResize(d: TaskDeps, s: Server, task: ServerTask): Promise<void> {
  await traced(d, s, task, 'compute_confirm_resize', () => d.scheduler.finishResize(s.id, false));
  await d.servers.finish(s.id, task, { vmState: s.powerState === 4 ? 'stopped' : 'active', taskState: null, oldFlavor: null });
}

export async function revertResize(d: TaskDeps, s: Server, task: ServerTask): Promise<void> {
  const old = s.oldFlavor ?? s.flavor;
  await traced(d, s, task, 'compute_revert_resize', async () => {
    await d.ctx.driver.resize(s.id, flavorSpec(old));
    await d.scheduler.finishResize(s.id, true);
  });
  await d.servers.finish(s.id, task, { vmState: s.powerState === 4 ? 'stopped' : 'active', taskState: null, flavor: old, oldFlavor: null });
}

/** createImage: the driver's disk copy is uploaded into the queued image the API made. */
export async function snapshot(d: TaskDeps, s: Server, task: ServerTask): Promise<void> {
  const caller = actingCaller(s, task);
  const imageId = task.snapshotImageId!;
  try {
    await traced(d, s, task, 'compute_snapshot_instance', async () => {
      const data = await d.ctx.driver.snapshot(s.id);
      await d.servers.mutate(s.id, (cur) => (cur.task?.id === task.id ? { ...cur, taskState: 'image_uploading' } : undefined));
      await d.ctx.ports.images.upload(caller, imageId, data.stream, data.diskFormat);
    });
  } catch (e) {
    await d.ctx.ports.images.delete(caller, imageId).catch(() => undefined);
    throw e;
  }
  await d.servers.finish(s.id, task, { taskState: null });
  if (task.backup) await rotateBackups(d, s, task, task.backup);
}

/** Deletes the oldest backups of a server beyond `rotation` (nova's backup rotation). */
async function rotateBackups(d: TaskDeps, s: Server, task: ServerTask, b: { type: string; rotation: number }): Promise<void> {
  const caller = actingCaller(s, task);
  const images = d.ctx.ports.images;
  const all = await images.find(caller, { image_type: 'backup', backup_type: b.type, instance_uuid: s.id });
  for (const old of all.slice(0, Math.max(0, all.length - b.rotation))) {
    await images.delete(caller, old.id).catch((e: unknown) => d.ctx.log.warn(`backup rotation: could not delete ${old.id}: ${String(e)}`));
  }
}
