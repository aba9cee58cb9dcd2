import type { Server, ServerTask, VmState } from '../models.js';
import type { PowerCode } from '../models.js';
import { traced, type TaskDeps } from './deps.js';

/** One power action: the driver call, the event name, and the states it ends in. */
interface PowerStep {
  event: string;
  call: (d: TaskDeps, s: Server, task: ServerTask) => Promise<void>;
  vm: VmState;
  power: PowerCode;
}

const STEPS: Record<'start' | 'stop' | 'reboot' | 'pause' | 'unpause' | 'suspend' | 'resume', PowerStep> = {
  start: { event: 'compute_start_instance', call: (d, s) => d.ctx.driver.powerOn(s.id), vm: 'active', power: 1 },
  stop: { event: 'compute_stop_instance', call: (d, s) => d.ctx.driver.powerOff(s.id, { timeoutMs: 0 }), vm: 'stopped', power: 4 },
  reboot: { event: 'compute_reboot_instance', call: (d, s, t) => d.ctx.driver.reboot(s.id, t.rebootType ?? 'SOFT'), vm: 'active', power: 1 },
  pause: { event: 'compute_pause_instance', call: (d, s) => d.ctx.driver.pause(s.id), vm: 'paused', power: 3 },
  unpause: { event: 'compute_unpause_instance', call: (d, s) => d.ctx.driver.unpause(s.id), vm: 'active', power: 1 },
  suspend: { event: 'compute_suspend_instance', call: (d, s) => d.ctx.driver.suspend(s.id), vm: 'suspended', power: 7 },
  resume: { event: 'compute_resume_instance', call: (d, s) => d.ctx.driver.resume(s.id), vm: 'active', power: 1 },
};

export type PowerOp = keyof typeof STEPS;

/** Power handlers: run the driver call, then record the new vm and power state. */
export function powerHandler(d: TaskDeps, op: PowerOp) {
  const step = STEPS[op];
  return async (s: Server, task: ServerTask): Promise<void> => {
    await traced(d, s, task, step.event, () => step.call(d, s, task));
    await d.servers.finish(s.id, task, { vmState: step.vm, powerState: step.power, taskState: null });
  };
}
