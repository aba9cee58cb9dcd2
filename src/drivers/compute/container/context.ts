import { readFileSync, writeFileSync } from 'node:fs';
import { checkId, ComputeDriverError, type PowerState } from '../driver.js';
import { Mutex, type InventoryLike } from './host.js';
import type { GuestNic } from './network.js';
import type { DiskPaths, Images } from './rootfs.js';
import type { Runtime, RuntimeName } from './runtime.js';
import { EXIT_POWEROFF } from './shim.js';
import { FILES, InstanceStore, type InstanceRecord } from './state.js';
import { asDriverError, shimAlive } from './util.js';

export interface ContainerComputeOptions {
  /** Where instances, images, the runtime's state and the mount namespace live. */
  stateDir: string;
  /** The underlay namespace holding the ports' peers (a /run/netns path), or a getter; absent = no networking. */
  underlayNetns?: string | (() => string | undefined);
  /** The cloud prefix (`stx-…`): names of namespaces, containers and cgroups start with it. */
  namePrefix: string;
  log?: (line: string) => void;
  /** Timing of each boot's steps (debug level; off when absent). */
  debug?: (line: string) => void;
  /** Force a runtime instead of probing. */
  runtime?: RuntimeName;
  /** How long spawn waits for the network driver to create a port's device (default 60 s: on a busy host
   *  every network change queues behind one lock, and many boots at once wait their turn). */
  portWaitMs?: number;
  /** Default clean-shutdown time of powerOff and soft reboot (default 10 s). */
  stopTimeoutMs?: number;
  /** Signal asking the image's init to power off (busybox init: USR2; systemd: SIGRTMIN+4). */
  stopSignal?: string;
  /** G's data-plane inventory, so `stratus down` finds what this driver made. */
  inventory?: InventoryLike;
  /**
   * Period of the port repair loop (`repairPorts`) from `init` to `close`: default
   * `STRATUS_RESYNC_MS` from the environment, else 10 s; 0 turns it off.
   */
  resyncMs?: number;
}

/**
 * The state the container driver's modules share: options, runtime, image cache, instance
 * records, per-instance locks and the last known guest NIC configuration, with the names and
 * paths derived from an instance id.
 */
export class DriverContext {
  rt: Runtime | null = null;
  images: Images | null = null;
  readonly store: InstanceStore;
  readonly locks = new Map<string, Mutex>();
  readonly imageLock = new Mutex();
  readonly log: (line: string) => void;
  /** Last known guest configuration of each instance's interfaces, by instance id. */
  readonly nics = new Map<string, { at: number; nics: GuestNic[] }>();

  constructor(readonly o: ContainerComputeOptions) {
    this.store = new InstanceStore(o.stateDir);
    this.log = o.log ?? (() => {});
  }

  // ---- names and paths -------------------------------------------------------------------

  runtime(): Runtime {
    if (!this.rt) throw new ComputeDriverError('failed', 'the container driver was not initialised (call init())', true);
    return this.rt;
  }
  cid(id: string): string {
    return `${this.o.namePrefix}-${id}`;
  }
  netns(id: string): string {
    return `${this.o.namePrefix}-i-${id}`;
  }
  cgroupsPath(id: string): string {
    return `/${this.o.namePrefix}/${id}`;
  }
  underlay(): string | undefined {
    const u = this.o.underlayNetns;
    return typeof u === 'function' ? u() : u;
  }
  disk(id: string): DiskPaths {
    return { disk: this.store.path(id, FILES.disk), diskMount: this.store.path(id, FILES.diskMount), rootfs: this.store.path(id, FILES.rootfs) };
  }
  lock(id: string): Mutex {
    let m = this.locks.get(id);
    if (!m) this.locks.set(id, (m = new Mutex()));
    return m;
  }
  record(id: string): InstanceRecord {
    const r = this.store.get(checkId(id));
    if (!r) throw new ComputeDriverError('not-found', `instance ${id} does not exist on this host`);
    return r;
  }
  consoleNote(id: string, line: string): void {
    try {
      writeFileSync(this.store.path(id, FILES.console), `${line}\n`, { flag: 'a' });
    } catch {
      // the instance directory is gone
    }
  }

  async withRecord<T>(id: string, fn: (rec: InstanceRecord) => Promise<T>): Promise<T> {
    checkId(id);
    return this.lock(id).run(async () => {
      try {
        return await fn(this.record(id));
      } catch (e) {
        throw asDriverError(e);
      }
    });
  }

  async mountImage(rec: InstanceRecord): Promise<string> {
    return this.imageLock.run(() => this.images!.mount(rec.image!));
  }

  /** Power state from the runtime, the record and the shim's last exit code. */
  async powerState(rec: InstanceRecord, known?: Awaited<ReturnType<Runtime['state']>>): Promise<PowerState> {
    const st = known ?? (await this.runtime().state(this.cid(rec.id)));
    if (st && st.status !== 'stopped') {
      if (st.status === 'paused') return rec.suspended ? 'suspended' : 'paused';
      return 'running';
    }
    if (rec.desired === 'shutdown') return 'shutdown';
    if (rec.shim && shimAlive(rec.shim)) return 'running'; // between a guest's reboot and its restart
    let code: number | undefined;
    try {
      code = Number(readFileSync(this.store.path(rec.id, FILES.exit), 'utf8').trim());
    } catch {
      return 'shutdown'; // never ran since the host booted
    }
    return code === 0 || code === EXIT_POWEROFF ? 'shutdown' : 'crashed';
  }
}
