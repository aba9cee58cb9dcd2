import type { PowerState } from '../../../drivers/compute/driver.js';
import { E } from './errors.js';
import type { Caller, PowerCode, Server, VmState } from './models.js';

/** Task states (nova `compute/task_states.py`) Stratus sets. */
export const TASK = {
  scheduling: 'scheduling',
  networking: 'networking',
  blockDeviceMapping: 'block_device_mapping',
  spawning: 'spawning',
  deleting: 'deleting',
  poweringOff: 'powering-off',
  poweringOn: 'powering-on',
  rebooting: 'rebooting',
  rebootingHard: 'rebooting_hard',
  pausing: 'pausing',
  unpausing: 'unpausing',
  suspending: 'suspending',
  resuming: 'resuming',
  rebuilding: 'rebuilding',
  resizePrep: 'resize_prep',
  resizeFinish: 'resize_finish',
  resizeConfirming: 'resize_confirming',
  resizeReverting: 'resize_reverting',
  imageSnapshot: 'image_snapshot',
  imageBackup: 'image_backup',
  imageUploading: 'image_uploading',
} as const;

const RESIZING = new Set(['resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish']);
const REBUILDING = new Set(['rebuilding', 'rebuild_block_device_mapping', 'rebuild_spawning']);

/** The API `status` of a server, from its vm and task states (nova `api/openstack/common.py`). */
export function statusOf(vm: VmState, task: string | null): string {
  switch (vm) {
    case 'active':
      if (task === 'rebooting' || task === 'reboot_pending' || task === 'reboot_started') return 'REBOOT';
      if (task === 'rebooting_hard' || task === 'reboot_pending_hard' || task === 'reboot_started_hard') return 'HARD_REBOOT';
      if (task && REBUILDING.has(task)) return 'REBUILD';
      if (task && RESIZING.has(task)) return 'RESIZE';
      if (task === 'migrating') return 'MIGRATING';
      return 'ACTIVE';
    case 'building':
      return 'BUILD';
    case 'stopped':
      if (task && RESIZING.has(task)) return 'RESIZE';
      if (task && REBUILDING.has(task)) return 'REBUILD';
      return 'SHUTOFF';
    case 'resized':
      return task === 'resize_reverting' ? 'REVERT_RESIZE' : 'VERIFY_RESIZE';
    case 'error':
      return task && REBUILDING.has(task) ? 'REBUILD' : 'ERROR';
    case 'soft-delete':
      return 'SOFT_DELETED';
    case 'shelved_offloaded':
      return 'SHELVED_OFFLOADED';
    case 'rescued':
      return 'RESCUE';
    default:
      return vm.toUpperCase();
  }
}

/** Statuses a list filter may name; anything else matches no server. */
export const STATUSES = new Set([
  'ACTIVE', 'BUILD', 'SHUTOFF', 'PAUSED', 'SUSPENDED', 'ERROR', 'DELETED', 'SOFT_DELETED', 'REBOOT', 'HARD_REBOOT',
  'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'REVERT_RESIZE', 'MIGRATING', 'RESCUE', 'SHELVED', 'SHELVED_OFFLOADED', 'PASSWORD', 'UNKNOWN',
]);

export const POWER: Record<PowerState, PowerCode> = { nostate: 0, running: 1, paused: 3, shutdown: 4, crashed: 6, suspended: 7 };

/** Which vm and task states allow each action (nova `check_instance_state`); null task = none running. */
const ALLOWED: Record<string, { vm: VmState[]; task: (string | null)[] }> = {
  stop: { vm: ['active', 'error'], task: [null] },
  start: { vm: ['stopped'], task: [null] },
  softReboot: { vm: ['active'], task: [null] },
  hardReboot: { vm: ['active', 'stopped', 'paused', 'suspended', 'error'], task: [null, 'rebooting', 'rebooting_hard', 'pausing', 'suspending', 'resuming', 'unpausing'] },
  pause: { vm: ['active'], task: [null] },
  unpause: { vm: ['paused'], task: [null] },
  suspend: { vm: ['active'], task: [null] },
  resume: { vm: ['suspended'], task: [null] },
  rebuild: { vm: ['active', 'stopped', 'error'], task: [null] },
  resize: { vm: ['active', 'stopped'], task: [null] },
  migrate: { vm: ['active', 'stopped'], task: [null] },
  liveMigrate: { vm: ['active', 'paused'], task: [null] },
  confirmResize: { vm: ['resized'], task: [null] },
  revertResize: { vm: ['resized'], task: [null] },
  createImage: { vm: ['active', 'stopped', 'paused', 'suspended'], task: [null] },
  attachVolume: { vm: ['active', 'paused', 'stopped', 'resized', 'soft-delete', 'shelved', 'shelved_offloaded'], task: [null] },
  detachVolume: { vm: ['active', 'paused', 'stopped', 'resized', 'soft-delete', 'shelved', 'shelved_offloaded'], task: [null] },
  updateMetadata: { vm: ['active', 'paused', 'suspended', 'stopped'], task: [] },
  consoleOutput: { vm: ['active', 'stopped', 'paused', 'suspended', 'resized', 'rescued'], task: [] },
};

/** Nova's action names in the 409 message ("Cannot 'os-stop' instance …"). */
const WIRE_ACTION: Record<string, string> = {
  stop: 'stop', start: 'start', softReboot: 'reboot', hardReboot: 'reboot', pause: 'pause', unpause: 'unpause', suspend: 'suspend',
  resume: 'resume', rebuild: 'rebuild', resize: 'resize', migrate: 'migrate', liveMigrate: 'live_migrate', confirmResize: 'confirmResize', revertResize: 'revertResize',
  createImage: 'createImage', attachVolume: 'attach_volume', detachVolume: 'detach_volume', updateMetadata: 'update_metadata',
  consoleOutput: 'get_console_output',
};

/**
 * Refuses (409) an action the server's state does not allow, or a locked server for a
 * caller who is not admin. An empty task list means "any task state".
 */
export function requireState(s: Server, action: keyof typeof ALLOWED, caller?: Caller): void {
  if (caller && s.locked && !caller.admin) throw E.locked(s.id);
  const rule = ALLOWED[action]!;
  if (!rule.vm.includes(s.vmState)) throw E.invalidState('vm_state', s.vmState, WIRE_ACTION[action]!, s.id);
  if (rule.task.length && !rule.task.includes(s.taskState)) throw E.invalidState('task_state', String(s.taskState), WIRE_ACTION[action]!, s.id);
}

/** Whether the server's progress is shown (ACTIVE, BUILD, REBUILD, RESIZE, VERIFY_RESIZE, MIGRATING). */
export function showsProgress(status: string): boolean {
  return ['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'].includes(status);
}
