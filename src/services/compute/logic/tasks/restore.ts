import type { Server, ServerTask } from '../models.js';
import { actingCaller, instanceSpec, type TaskDeps } from './deps.js';

/** vm states whose instance should exist on the hypervisor. */
const ON_HOST = new Set(['active', 'stopped', 'paused', 'suspended', 'resized', 'rescued']);

/** Whether a server should have an instance on this host that the hypervisor has lost. */
export function lostOnHost(s: Server, host: string, present: Set<string>): boolean {
  return s.host === host && ON_HOST.has(s.vmState) && !present.has(s.id) && s.task?.op !== 'delete';
}

/**
 * Recreates an instance the hypervisor lost (a fake after a restart, a host that rebooted)
 * and brings it back to the power state the record says: nova's
 * `resume_guests_state_on_host_boot`. A failure puts the server in ERROR with a fault.
 */
export async function restore(d: TaskDeps, s: Server): Promise<void> {
  const task: ServerTask = { id: 'restore', op: 'start', requestId: 'restore' };
  const drv = d.ctx.driver;
  try {
    await drv.spawn(await instanceSpec(d, s, actingCaller(s, task)));
    const wanted = s.vmState === 'resized' ? (s.powerState === 4 ? 'stopped' : 'active') : s.vmState;
    if (wanted === 'stopped') await drv.powerOff(s.id, { timeoutMs: 0 });
    if (wanted === 'paused') await drv.pause(s.id);
    if (wanted === 'suspended') await drv.suspend(s.id);
  } catch (e) {
    d.ctx.log.warn(`could not restore instance of server ${s.id}: ${(e as Error).message}`);
    const fault = { code: 500, message: `The instance could not be restored on its host: ${(e as Error).message}`, details: '', createdAt: d.ctx.now() };
    await d.servers.mutate(s.id, (cur) => ({ ...cur, vmState: 'error', powerState: 0, fault }));
  }
}
