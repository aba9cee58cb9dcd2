import { ComputeDriverError } from '../../../../drivers/compute/driver.js';
import { StratusError } from '../../../../core/errors.js';
import type { TaskHandler } from '../engine.js';
import type { Server, ServerTask, TaskOp } from '../models.js';
import { build, failBuild } from './build.js';
import { deleteServer } from './delete.js';
import type { TaskDeps } from './deps.js';
import { powerHandler } from './power.js';
import { confirmResize, rebuild, resize, revertResize, snapshot } from './rebuild.js';

export type { TaskDeps } from './deps.js';
export { instanceName } from './deps.js';

/** The handler of every task op. */
export function taskHandlers(d: TaskDeps): Record<TaskOp, TaskHandler> {
  return {
    build: (s, t) => build(d, s, t),
    delete: (s, t) => deleteServer(d, s, t),
    start: powerHandler(d, 'start'),
    stop: powerHandler(d, 'stop'),
    reboot: powerHandler(d, 'reboot'),
    pause: powerHandler(d, 'pause'),
    unpause: powerHandler(d, 'unpause'),
    suspend: powerHandler(d, 'suspend'),
    resume: powerHandler(d, 'resume'),
    rebuild: (s, t) => rebuild(d, s, t),
    resize: (s, t) => resize(d, s, t),
    confirmResize: (s, t) => confirmResize(d, s, t),
    revertResize: (s, t) => revertResize(d, s, t),
    snapshot: (s, t) => snapshot(d, s, t),
  };
}

function message(err: unknown): string {
  if (err instanceof StratusError || err instanceof ComputeDriverError || err instanceof Error) return err.message;
  return String(err);
}

/**
 * What a failed task leaves behind (nova's `reverts_task_state` and `_set_instance_obj_error_state`):
 * a failed build puts the server in ERROR with the failure as its fault; a failed delete is
 * retried by forcing the record away (its cleanup steps are best effort already); any other
 * failure clears the task state, records a fault, and puts the server in ERROR only when the
 * hypervisor lost the instance.
 */
export function taskFailed(d: TaskDeps) {
  return async (s: Server, task: ServerTask, err: unknown): Promise<void> => {
    const fault = { code: 500, message: message(err), details: err instanceof Error ? (err.stack ?? '') : '', createdAt: d.ctx.now() };
    if (task.op === 'build') return failBuild(d, s, task, fault);
    if (task.op === 'delete') {
      await d.servers.finish(s.id, task, { vmState: 'error', taskState: null, fault });
      return;
    }
    const lost = err instanceof ComputeDriverError && err.code === 'not-found';
    const patch: Partial<Server> = { taskState: null, fault };
    if (lost) Object.assign(patch, { vmState: 'error', powerState: 0 });
    if (task.op === 'resize' && s.oldFlavor) Object.assign(patch, { flavor: s.oldFlavor, oldFlavor: null });
    await d.servers.finish(s.id, task, patch);
  };
}
