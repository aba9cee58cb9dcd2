import { KIND, type Server, type ServerTask } from '../models.js';
import { actingCaller, recordUsage, traced, type TaskDeps } from './deps.js';

/** Runs a cleanup step; a failure is logged and the delete goes on (Nova's "best effort"). */
async function bestEffort(d: TaskDeps, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    d.ctx.log.warn(`delete: ${what} failed: ${(e as Error).message ?? String(e)}`);
  }
}

/** Detaches every volume; deletes those marked delete_on_termination. */
async function releaseVolumes(d: TaskDeps, s: Server, task: ServerTask): Promise<void> {
  const vols = d.ctx.ports.volumes;
  const caller = actingCaller(s, task);
  for (const b of s.blockDevices) {
    if (!b.volumeId) continue;
    const id = b.volumeId;
    await bestEffort(d, `detach of volume ${id}`, () => vols.detach(id, s.id));
    if (b.deleteOnTermination) await bestEffort(d, `delete of volume ${id}`, () => vols.delete(caller, id));
  }
}

/** Deletes the ports compute made and unbinds the ones the user brought. */
async function releasePorts(d: TaskDeps, s: Server): Promise<void> {
  const net = d.ctx.ports.network;
  const known = new Set(s.ports.map((p) => p.portId));
  for (const p of s.ports) {
    await bestEffort(d, `release of port ${p.portId}`, () => (p.owned ? net.deletePort(p.portId) : net.unbindPort(p.portId)));
  }
  // Ports made for the server but never recorded (a crash in between).
  const stray = await net.portsOf(s.id).catch(() => []);
  for (const p of stray) if (!known.has(p.id)) await bestEffort(d, `release of port ${p.id}`, () => net.deletePort(p.id));
}

/**
 * The delete task: destroy the instance, release ports and volumes, free the claim, leave
 * the group, close the usage record and remove the server. Every step is idempotent and
 * failures of other services do not keep a server from going away.
 */
export async function deleteServer(d: TaskDeps, s: Server, task: ServerTask): Promise<void> {
  await traced(d, s, task, 'compute_terminate_instance', () => d.ctx.driver.destroy(s.id));
  await releaseVolumes(d, s, task);
  await releasePorts(d, s);
  await d.scheduler.release(s.id);
  if (s.groupId) await d.groups.leave(s.groupId, s.id);
  await recordUsage(d, s.id, { endedAt: d.ctx.now(), state: 'deleted' });
  const gone = await d.ctx.store.tx(async (tx) => {
    const cur = await d.servers.get(s.id, tx);
    if (!cur || cur.task?.id !== task.id) return false;
    return d.servers.repo.delete(s.id, tx);
  });
  if (gone) {
    await d.actions.forget(s.id);
    d.ctx.changed(KIND.server, 'deleted', s.id, s.projectId);
  }
}
