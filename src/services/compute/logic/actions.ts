import { StratusError } from '../../../core/errors.js';
import { uuid } from '../../../core/ids.js';
import type { StoreOps } from '../../../store/index.js';
import { checkImage } from './create-checks.js';
import type { ComputeContext } from './context.js';
import { E } from './errors.js';
import { snapshotOf, type Flavors } from './flavors.js';
import type { InstanceActions } from './instance-actions.js';
import type { Migrations } from './migrations.js';
import type { Caller, Server, ServerTask, TaskOp } from './models.js';
import type { ImageInfo } from './ports.js';
import type { Quotas } from './quotas.js';
import type { ServerRecords } from './servers.js';
import { requireState, TASK } from './states.js';

export interface RebuildInput {
  imageRef: string;
  name?: string;
  metadata?: Record<string, string>;
  accessIPv4?: string;
  accessIPv6?: string;
  adminPass?: string;
  diskConfig?: 'MANUAL' | 'AUTO';
}

type Simple = 'stop' | 'start' | 'pause' | 'unpause' | 'suspend' | 'resume' | 'confirmResize' | 'revertResize';

/** The task state and instance-action name of each simple action. */
const SIMPLE: Record<Simple, { task: string; action: string; check: Parameters<typeof requireState>[1] }> = {
  stop: { task: TASK.poweringOff, action: 'stop', check: 'stop' },
  start: { task: TASK.poweringOn, action: 'start', check: 'start' },
  pause: { task: TASK.pausing, action: 'pause', check: 'pause' },
  unpause: { task: TASK.unpausing, action: 'unpause', check: 'unpause' },
  suspend: { task: TASK.suspending, action: 'suspend', check: 'suspend' },
  resume: { task: TASK.resuming, action: 'resume', check: 'resume' },
  confirmResize: { task: TASK.resizeConfirming, action: 'confirmResize', check: 'confirmResize' },
  revertResize: { task: TASK.resizeReverting, action: 'revertResize', check: 'revertResize' },
};

/**
 * Server actions as the API takes them: each checks the server's state (409 otherwise),
 * writes the task with its task state and the instance action in one transaction, and hands
 * the server to the reconciler. Nothing here calls the driver, except the console log read.
 */
export class ServerActions {
  constructor(
    private readonly ctx: ComputeContext,
    private readonly servers: ServerRecords,
    private readonly flavors: Flavors,
    private readonly actions: InstanceActions,
    private readonly quotas: Quotas,
    private readonly kick: (id: string) => void,
    /** Records resizes for os-migrations. */
    private readonly migrations?: Migrations,
  ) {}

  private task(op: TaskOp, caller: Caller, extra: Partial<ServerTask> = {}): ServerTask {
    return { id: uuid(), op, requestId: caller.requestId, caller, ...extra };
  }

  private async begin(
    caller: Caller,
    id: string,
    action: string,
    taskState: string,
    task: ServerTask,
    check: (s: Server) => void,
    extra: Partial<Server> = {},
    also?: (s: Server, tx: StoreOps) => Promise<void>,
  ): Promise<Server> {
    await this.servers.find(caller, id);
    const out = await this.servers.mutate(id, async (s, tx) => {
      check(s);
      await this.actions.record(s.id, action, caller, tx);
      await also?.(s, tx);
      return { ...s, ...extra, task, taskState };
    });
    this.kick(id);
    return out;
  }

  simple(caller: Caller, id: string, op: Simple): Promise<Server> {
    const a = SIMPLE[op];
    const close = op === 'confirmResize' || op === 'revertResize' ? op : undefined;
    const also = close && this.migrations ? (s: Server, tx: StoreOps) => this.migrations!.close(s.id, close === 'confirmResize' ? 'confirmed' : 'reverted', tx) : undefined;
    return this.begin(caller, id, a.action, a.task, this.task(op, caller), (s) => requireState(s, a.check, caller), {}, also);
  }

  reboot(caller: Caller, id: string, type: 'SOFT' | 'HARD'): Promise<Server> {
    const taskState = type === 'HARD' ? TASK.rebootingHard : TASK.rebooting;
    return this.begin(caller, id, 'reboot', taskState, this.task('reboot', caller, { rebootType: type }), (s) =>
      requireState(s, type === 'HARD' ? 'hardReboot' : 'softReboot', caller),
    );
  }

  /** Deletes in any state but locked; deleting a server already being deleted is a no-op. */
  async delete(caller: Caller, id: string): Promise<void> {
    const s = await this.servers.find(caller, id);
    if (s.task?.op === 'delete') return;
    await this.begin(caller, id, 'delete', TASK.deleting, this.task('delete', caller), (cur) => {
      if (cur.locked && !caller.admin) throw E.locked(cur.id);
    });
  }

  /** forceDelete and restore act on soft-deleted servers, which Stratus never keeps: 409. */
  async softDeleted(caller: Caller, id: string, action: 'forceDelete' | 'restore'): Promise<never> {
    const s = await this.servers.find(caller, id);
    throw E.invalidState('vm_state', s.vmState, action, s.id);
  }

  async lock(caller: Caller, id: string, lock: boolean): Promise<void> {
    await this.servers.find(caller, id);
    await this.servers.mutate(id, async (s, tx) => {
      if (!lock && s.locked && s.lockedBy === 'admin' && !caller.admin) throw E.forbidden('Instance is locked by an administrator; only an administrator can unlock it.');
      await this.actions.record(s.id, lock ? 'lock' : 'unlock', caller, tx);
      return { ...s, locked: lock, lockedBy: lock ? (caller.admin ? 'admin' : 'owner') : null };
    });
  }

  async rebuild(caller: Caller, id: string, input: RebuildInput): Promise<Server> {
    const cur = await this.servers.find(caller, id);
    requireState(cur, 'rebuild', caller);
    if (!cur.imageId) throw E.bad('Rebuilding a server booted from a volume is not supported.');
    const flavor = await this.flavors.repo.get(cur.flavor.id);
    const img: ImageInfo = await checkImage(this.ctx.ports, caller, input.imageRef, flavor ?? { ...cur.flavor, rxtxFactor: 1, isPublic: true, disabled: false, description: null, createdAt: 0 }, false);
    const extra: Partial<Server> = { imageId: img.id };
    if (input.name !== undefined) extra.name = input.name;
    if (input.metadata !== undefined) extra.metadata = input.metadata;
    if (input.accessIPv4 !== undefined) extra.accessIPv4 = input.accessIPv4;
    if (input.accessIPv6 !== undefined) extra.accessIPv6 = input.accessIPv6;
    if (input.diskConfig !== undefined) extra.diskConfig = input.diskConfig;
    return this.begin(caller, id, 'rebuild', TASK.rebuilding, this.task('rebuild', caller), (s) => requireState(s, 'rebuild', caller), extra);
  }

  async resize(caller: Caller, id: string, flavorRef: string, diskConfig?: 'MANUAL' | 'AUTO'): Promise<Server> {
    const cur = await this.servers.find(caller, id);
    requireState(cur, 'resize', caller);
    const flavor = await this.flavors.get(caller, flavorRef).catch((e: unknown) => {
      throw e instanceof StratusError && e.kind === 'NotFound' ? E.bad(`Flavor ${flavorRef} could not be found.`, 'FlavorNotFound') : e;
    });
    if (flavor.id === cur.flavor.id) throw E.bad('When resizing, instances must change flavor!', 'CannotResizeToSameFlavor');
    if (flavor.disk < cur.flavor.disk && cur.imageId) throw E.bad('Resizing to a smaller disk flavor is not allowed.', 'CannotResizeDisk');
    await this.checkResizeQuota(cur, flavor);
    const record = this.migrations ? (s: Server, tx: StoreOps) => this.migrations!.begin(s, flavor.id, tx) : undefined;
    return this.begin(
      caller,
      id,
      'resize',
      TASK.resizePrep,
      this.task('resize', caller),
      (s) => requireState(s, 'resize', caller),
      { oldFlavor: cur.flavor, flavor: snapshotOf(flavor), ...(diskConfig ? { diskConfig } : {}) },
      record,
    );
  }

  /** A bigger flavor must fit the project's core and RAM quotas (403 otherwise). */
  private async checkResizeQuota(s: Server, next: { vcpus: number; ram: number }): Promise<void> {
    const cores = Math.max(0, next.vcpus - s.flavor.vcpus);
    const ram = Math.max(0, next.ram - s.flavor.ram);
    if (!cores && !ram) return;
    const used = await this.quotas.serverUsage(s.projectId);
    await this.quotas.check(s.projectId, { cores, ram }, { cores: used.cores, ram: used.ram });
  }

  /** Cold and live migration: this cloud has one compute host, so there is never another. */
  async migrate(caller: Caller, id: string, live: boolean): Promise<never> {
    const s = await this.servers.find(caller, id);
    requireState(s, live ? 'liveMigrate' : 'migrate', caller);
    throw E.bad(`No valid host was found. No valid host found for ${live ? 'live' : 'cold'} migrate`, 'NoValidHost');
  }

  /**
   * createImage (and createBackup, with `backup`): a queued image now; the reconciler uploads
   * the disk (and rotates older backups). Resolves the image id.
   */
  async createImage(caller: Caller, id: string, name: string, metadata: Record<string, string>, backup?: { type: string; rotation: number }): Promise<string> {
    const cur = await this.servers.find(caller, id);
    requireState(cur, 'createImage', caller);
    const props: Record<string, string> = { instance_uuid: cur.id, image_type: backup ? 'backup' : 'snapshot', user_id: caller.userId };
    if (backup) props.backup_type = backup.type;
    if (cur.imageId) props.base_image_ref = cur.imageId;
    const base = cur.imageId ? await this.ctx.ports.images.get(caller, cur.imageId).catch(() => undefined) : undefined;
    const minDisk = Math.max(cur.flavor.disk, base?.minDisk ?? 0);
    const img = await this.ctx.ports.images.createSnapshot(caller, { name, serverId: cur.id, properties: { ...props, ...metadata }, minDisk, minRam: base?.minRam ?? 0 });
    try {
      await this.begin(caller, id, backup ? 'createBackup' : 'createImage', backup ? TASK.imageBackup : TASK.imageSnapshot, this.task('snapshot', caller, { snapshotImageId: img.id, ...(backup ? { backup } : {}) }), (s) =>
        requireState(s, 'createImage', caller),
      );
    } catch (e) {
      await this.ctx.ports.images.delete(caller, img.id).catch(() => undefined);
      throw e;
    }
    return img.id;
  }

  async consoleOutput(caller: Caller, id: string, length?: number): Promise<string> {
    const s = await this.servers.find(caller, id);
    requireState(s, 'consoleOutput');
    if (!this.ctx.driver.capabilities.consoleOutput) throw E.conflict('The console log is not available from this hypervisor.');
    return this.ctx.driver.consoleOutput(s.id, length).catch((e: unknown) => {
      throw E.conflict(`Instance ${s.id} is not ready: ${(e as Error).message}`, 'InstanceNotReady');
    });
  }
}
