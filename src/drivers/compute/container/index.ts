import { createReadStream, existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, fstatSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  checkId,
  ComputeDriverError,
  type ComputeCapabilities,
  type ComputeDriver,
  type FlavorSpec,
  type InstanceInfo,
  type InstanceSpec,
  type PowerState,
  type RebootType,
  type SnapshotData,
  type VolumeConnection,
} from '../driver.js';
import { Mutex, pidAlive, startTime, until, type InventoryLike } from './host.js';
import { attachPorts, deleteNetns, ensureNetns, guestNics, linkNames, peerName, relinkPorts, returnPorts, type GuestNic } from './network.js';
import { CPU_PERIOD, limits, ociConfig } from './oci.js';
import { ensureRootfs, growDisk, Images, releaseRootfs, snapshotRootfs, type DiskPaths } from './rootfs.js';
import { dropV1Namespace, Runtime, V1_CONTROLLERS, type RuntimeName } from './runtime.js';
import { EXIT_POWEROFF, startShim } from './shim.js';
import { FILES, InstanceStore, type InstanceRecord } from './state.js';
import { loopVolume, plugDevice, unloopVolume, unplugDevice } from './volumes.js';

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

/** How old the copy of a guest's NIC configuration may grow before it is read again. */
const NIC_REFRESH_MS = 60_000;

/**
 * The `container` compute driver (DESIGN.md §4): one system container per instance, run by
 * crun (runc when crun is absent) from an OCI bundle whose rootfs is a copy-on-write overlay of
 * the instance's Glance image, with its own net, pid, mount, uts, ipc and cgroup namespaces,
 * the flavor as cgroup limits, and the image's own `/sbin/init` as PID 1.
 */
export class ContainerComputeDriver implements ComputeDriver {
  readonly name = 'container';
  readonly capabilities: ComputeCapabilities = {
    pause: true,
    suspend: true,
    snapshot: true,
    consoleOutput: true,
    volumeAttach: true,
    resize: true,
    configDrive: true,
  };

  private rt: Runtime | null = null;
  private images: Images | null = null;
  private readonly store: InstanceStore;
  private readonly locks = new Map<string, Mutex>();
  private readonly imageLock = new Mutex();
  private readonly log: (line: string) => void;
  /** Last known guest configuration of each instance's interfaces, by instance id. */
  private readonly nics = new Map<string, { at: number; nics: GuestNic[] }>();
  private readonly resyncMs: number;
  private repairTimer: NodeJS.Timeout | null = null;
  private repairing: Promise<string[]> | null = null;

  constructor(private readonly o: ContainerComputeOptions) {
    this.store = new InstanceStore(o.stateDir);
    this.log = o.log ?? (() => {});
    this.resyncMs = o.resyncMs ?? resyncFromEnv();
  }

  /** The runtime in use, once `init` ran (for reports and `/health`). */
  get runtimeName(): string | undefined {
    return this.rt ? `${this.rt.name}${this.rt.mntns ? ' (v1-only cgroup mount namespace)' : ''}` : undefined;
  }

  async init(): Promise<void> {
    if (this.rt) return;
    const rt = await Runtime.probe(this.o.stateDir, this.o.runtime);
    if (rt.mntns) {
      this.o.inventory?.record({ kind: 'mount', key: rt.mntns, note: 'container runtime mount namespace', owner: 'compute' });
      this.o.inventory?.record({ kind: 'mount', key: dirname(rt.mntns), note: 'private bind for the namespace file', owner: 'compute' });
    }
    for (const c of [...V1_CONTROLLERS, 'systemd']) this.o.inventory?.record({ kind: 'cgroup', key: `/sys/fs/cgroup/${c}/${this.o.namePrefix}`, owner: 'compute' });
    this.rt = rt;
    this.images = new Images(this.o.stateDir, rt);
    this.log(`container runtime: ${this.runtimeName}`);
    this.scheduleRepair();
  }

  async close(): Promise<void> {
    // Instances keep running under their shims; the next init adopts them.
    if (this.repairTimer) clearTimeout(this.repairTimer);
    this.repairTimer = null;
    const running = this.repairing;
    this.repairing = null;
    await running;
  }

  // ---- port repair ------------------------------------------------------------------------

  /**
   * Gives instances back the interfaces they lost: when the host side of a port is deleted,
   * the veth pair goes with it, and the network driver's repair re-creates the pair in the
   * underlay; this moves the new peer into the instance as `ethN` with the port's MAC and the
   * IPv4 addresses and routes the guest had configured (as a VM's NIC would have kept them).
   * Costs one `ip -json link show` in the underlay per call, plus, for each running instance,
   * one read of its NIC configuration when the copy is older than a minute (or has no address
   * yet). Resolves what it re-linked, as `<instance>/<ethN>`.
   */
  async repairPorts(): Promise<string[]> {
    const underlay = this.underlay();
    const ids = this.store.ids();
    for (const id of this.nics.keys()) if (!ids.includes(id)) this.nics.delete(id);
    if (!this.rt || !underlay || !existsSync(underlay) || !ids.length) return [];
    const done: string[] = [];
    let peers = await linkNames(underlay);
    for (const id of ids) {
      const rec = this.store.get(id);
      const ns = this.netns(id);
      if (!rec?.ports.length || !existsSync(`/run/netns/${ns}`)) continue;
      if (rec.ports.some((p) => peers.has(peerName(p.portId)))) {
        const eths = await this.lock(id).run(async () => {
          const cur = this.store.get(id);
          if (!cur) return [];
          peers = await linkNames(underlay);
          return relinkPorts(ns, cur.ports, underlay, peers, this.nics.get(id)?.nics ?? []);
        }).catch((e: Error) => {
          this.log(`instance ${id}: cannot re-link its ports (next try in ${this.resyncMs} ms): ${e.message}`);
          return [];
        });
        for (const eth of eths) {
          done.push(`${id}/${eth}`);
          this.consoleNote(id, `=== ${eth}: host side re-plugged, interface re-linked ===`);
        }
        continue;
      }
      const snap = this.nics.get(id);
      const known = snap?.nics.some((n) => n.addrs.length) ?? false;
      if (rec.desired === 'running' && (!snap || Date.now() - snap.at > (known ? NIC_REFRESH_MS : 0))) {
        const nics = await guestNics(ns);
        if (nics.some((n) => n.addrs.length) || !known) this.nics.set(id, { at: Date.now(), nics });
      }
    }
    if (done.length) this.log(`re-linked ${done.join(', ')}`);
    return done;
  }

  private scheduleRepair(): void {
    if (this.resyncMs <= 0 || this.repairTimer || !this.rt) return;
    this.repairTimer = setTimeout(() => {
      const run = this.repairPorts().catch((e: Error) => {
        this.log(`port repair failed (trying again in ${this.resyncMs} ms): ${e.message}`);
        return [];
      });
      this.repairing = run;
      void run.finally(() => {
        if (this.repairing !== run) return; // closed meanwhile
        this.repairing = null;
        this.repairTimer = null;
        this.scheduleRepair();
      });
    }, this.resyncMs);
    this.repairTimer.unref();
  }

  // ---- names and paths -------------------------------------------------------------------

  private runtime(): Runtime {
    if (!this.rt) throw new ComputeDriverError('failed', 'the container driver was not initialised (call init())', true);
    return this.rt;
  }
  private cid(id: string): string {
    return `${this.o.namePrefix}-${id}`;
  }
  private netns(id: string): string {
    return `${this.o.namePrefix}-i-${id}`;
  }
  private cgroupsPath(id: string): string {
    return `/${this.o.namePrefix}/${id}`;
  }
  private underlay(): string | undefined {
    const u = this.o.underlayNetns;
    return typeof u === 'function' ? u() : u;
  }
  private disk(id: string): DiskPaths {
    return { disk: this.store.path(id, FILES.disk), diskMount: this.store.path(id, FILES.diskMount), rootfs: this.store.path(id, FILES.rootfs) };
  }
  private lock(id: string): Mutex {
    let m = this.locks.get(id);
    if (!m) this.locks.set(id, (m = new Mutex()));
    return m;
  }
  private record(id: string): InstanceRecord {
    const r = this.store.get(checkId(id));
    if (!r) throw new ComputeDriverError('not-found', `instance ${id} does not exist on this host`);
    return r;
  }
  private consoleNote(id: string, line: string): void {
    try {
      writeFileSync(this.store.path(id, FILES.console), `${line}\n`, { flag: 'a' });
    } catch {
      // the instance directory is gone
    }
  }

  // ---- lifecycle --------------------------------------------------------------------------

  async spawn(spec: InstanceSpec): Promise<void> {
    checkId(spec.id);
    await this.lock(spec.id).run(async () => {
      if (this.store.get(spec.id)) return;
      const boot = spec.image ? null : spec.volumes.find((v) => v.boot && v.path);
      if (!spec.image && !boot) throw new ComputeDriverError('failed', 'the instance has neither an image nor a boot volume with a local file');
      const rec: InstanceRecord = {
        id: spec.id,
        name: spec.name,
        hostname: spec.hostname || spec.name,
        flavor: spec.flavor,
        image: spec.image,
        bootVolumePath: boot?.path ?? null,
        ports: spec.ports,
        volumes: [],
        hasConfigDrive: spec.configDrive !== null,
        desired: 'running',
        suspended: false,
        shim: null,
      };
      this.store.put(rec);
      try {
        if (spec.configDrive) this.writeConfigDrive(spec.id, spec.configDrive);
        for (const v of spec.volumes.filter((x) => !x.boot)) await this.addVolume(rec, v, false);
        await this.start(rec);
      } catch (e) {
        await this.teardown(rec).catch(() => undefined);
        throw asDriverError(e);
      }
    });
  }

  async destroy(id: string): Promise<boolean> {
    checkId(id);
    return this.lock(id).run(async () => {
      const rec = this.store.get(id);
      if (!rec) return false;
      await this.teardown(rec);
      return true;
    });
  }

  async powerOn(id: string): Promise<void> {
    await this.withRecord(id, async (rec) => {
      const s = await this.powerState(rec);
      if (s === 'running') return;
      if (s === 'paused' || s === 'suspended') throw new ComputeDriverError('invalid-state', `instance ${id} is ${s}: unpause or resume it`);
      await this.start(rec);
    });
  }

  async powerOff(id: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    await this.withRecord(id, async (rec) => {
      await this.stop(rec, opts.timeoutMs ?? this.o.stopTimeoutMs ?? 10_000);
      rec.desired = 'shutdown';
      rec.suspended = false;
      this.store.put(rec);
    });
  }

  async reboot(id: string, type: RebootType): Promise<void> {
    await this.withRecord(id, async (rec) => {
      const s = await this.powerState(rec);
      if (type === 'SOFT' && (s === 'paused' || s === 'suspended')) throw new ComputeDriverError('invalid-state', `a soft reboot needs a running instance; ${id} is ${s}`);
      this.consoleNote(id, `=== ${type.toLowerCase()} reboot requested ===`);
      await this.stop(rec, type === 'HARD' ? 0 : (this.o.stopTimeoutMs ?? 10_000));
      await this.start(rec);
    });
  }

  async pause(id: string): Promise<void> {
    await this.withRecord(id, async (rec) => {
      const s = await this.powerState(rec);
      if (s === 'paused') return;
      if (s !== 'running') throw new ComputeDriverError('invalid-state', `pause needs a running instance; ${id} is ${s}`);
      await this.runtime().run(['pause', this.cid(id)]);
    });
  }

  async unpause(id: string): Promise<void> {
    await this.withRecord(id, async (rec) => {
      const s = await this.powerState(rec);
      if (s === 'running') return;
      if (s !== 'paused') throw new ComputeDriverError('invalid-state', `unpause needs a paused instance; ${id} is ${s}`);
      await this.runtime().run(['resume', this.cid(id)]);
    });
  }

  async suspend(id: string): Promise<void> {
    await this.withRecord(id, async (rec) => {
      const s = await this.powerState(rec);
      if (s === 'suspended') return;
      if (s !== 'running' && s !== 'paused') throw new ComputeDriverError('invalid-state', `suspend needs a running or paused instance; ${id} is ${s}`);
      if (s === 'running') await this.runtime().run(['pause', this.cid(id)]);
      rec.suspended = true;
      this.store.put(rec);
    });
  }

  async resume(id: string): Promise<void> {
    await this.withRecord(id, async (rec) => {
      const s = await this.powerState(rec);
      if (s === 'running') return;
      if (s !== 'suspended') throw new ComputeDriverError('invalid-state', `resume needs a suspended instance; ${id} is ${s}`);
      await this.runtime().run(['resume', this.cid(id)]);
      rec.suspended = false;
      this.store.put(rec);
    });
  }

  async resize(id: string, flavor: FlavorSpec): Promise<void> {
    await this.withRecord(id, async (rec) => {
      rec.flavor = flavor;
      this.store.put(rec);
      await growDisk(this.runtime(), this.disk(id), flavor.diskGiB);
      const st = await this.runtime().state(this.cid(id));
      if (st && (st.status === 'running' || st.status === 'paused')) {
        const l = limits(flavor);
        await this.runtime().run(['update', `--memory=${l.memory}`, `--cpu-period=${CPU_PERIOD}`, `--cpu-quota=${l.quota}`, `--pids-limit=${l.pids}`, this.cid(id)]);
      }
    });
  }

  // ---- volumes ----------------------------------------------------------------------------

  async attachVolume(id: string, volume: VolumeConnection): Promise<void> {
    await this.withRecord(id, async (rec) => {
      if (rec.volumes.some((v) => v.volumeId === volume.volumeId)) return;
      await this.addVolume(rec, volume, true);
    });
  }

  async detachVolume(id: string, volumeId: string): Promise<void> {
    await this.withRecord(id, async (rec) => {
      const v = rec.volumes.find((x) => x.volumeId === volumeId);
      if (!v) return;
      const st = await this.runtime().state(this.cid(id));
      if (st?.pid && v.loop) await unplugDevice(st.pid, v);
      if (v.loop) await unloopVolume(v);
      if (v.loop) this.o.inventory?.forget('loop', v.loop);
      rec.volumes = rec.volumes.filter((x) => x.volumeId !== volumeId);
      this.store.put(rec);
      this.consoleNote(id, `=== volume ${volumeId} detached from ${v.device} ===`);
    });
  }

  /** Loops the volume's file and, when `live` and the instance runs, shows it in the guest. */
  private async addVolume(rec: InstanceRecord, volume: VolumeConnection, live: boolean): Promise<void> {
    if (!volume.path) {
      // NOTE: a block backend without local files (the fake) gives no path: the attachment is
      // recorded, the guest sees nothing, and the console says so.
      rec.volumes.push({ volumeId: volume.volumeId, device: volume.device, path: '', loop: '', major: 0, minor: 0 });
      this.store.put(rec);
      this.consoleNote(rec.id, `=== volume ${volume.volumeId} has no local file: not visible in the guest ===`);
      return;
    }
    const v = await loopVolume(volume.volumeId, volume.device, volume.path).catch((e: Error) => {
      throw new ComputeDriverError('failed', `cannot attach volume ${volume.volumeId}: ${e.message}`);
    });
    this.o.inventory?.record({ kind: 'loop', key: v.loop, note: `volume ${volume.volumeId} of instance ${rec.id}`, owner: 'compute' });
    rec.volumes.push(v);
    this.store.put(rec);
    if (!live) return;
    const st = await this.runtime().state(this.cid(rec.id));
    if (st?.pid && (st.status === 'running' || st.status === 'paused')) await plugDevice(st.pid, v);
    this.consoleNote(rec.id, `=== volume ${volume.volumeId} attached as ${v.device} ===`);
  }

  // ---- console, snapshot, info ------------------------------------------------------------

  async consoleOutput(id: string, maxLines?: number): Promise<string> {
    this.record(id);
    if (maxLines === 0) return '';
    const text = tail(this.store.path(id, FILES.console), 1 << 20);
    if (maxLines === undefined) return text;
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-maxLines).join('\n') + (lines.length ? '\n' : '');
  }

  async snapshot(id: string): Promise<SnapshotData> {
    return this.withRecord(id, async (rec) => {
      const rt = this.runtime();
      const p = this.disk(id);
      const lower = rec.image ? await this.mountImage(rec) : null;
      await ensureRootfs(rt, p, lower, rec.flavor.diskGiB, rec.bootVolumePath);
      const dir = join(this.o.stateDir, 'snapshots');
      mkdirSync(dir, { recursive: true });
      const out = join(dir, `${id}-${Date.now()}.raw`);
      const st = await rt.state(this.cid(id));
      const freeze = st?.status === 'running';
      if (freeze) await rt.run(['pause', this.cid(id)]);
      try {
        const min = rec.image ? sizeOf(rec.image.path) : 0;
        const label = rec.image ? await this.images!.label(rec.image) : 'rootfs';
        await snapshotRootfs(rt, p.rootfs, out, min, label);
      } catch (e) {
        rmSync(out, { force: true });
        throw asDriverError(e);
      } finally {
        if (freeze) await rt.run(['resume', this.cid(id)], true);
      }
      const stream = createReadStream(out, { highWaterMark: 1 << 20 });
      stream.on('close', () => rmSync(out, { force: true }));
      return { stream, diskFormat: 'raw', containerFormat: 'bare' };
    });
  }

  async getInfo(id: string): Promise<InstanceInfo | undefined> {
    const rec = this.store.get(checkId(id));
    if (!rec) return undefined;
    const st = await this.runtime().state(this.cid(id));
    return {
      id,
      powerState: await this.powerState(rec, st),
      vcpus: rec.flavor.vcpus,
      memoryMiB: rec.flavor.ramMiB,
      cpuTimeNs: st?.pid ? cpuTime(st.pid) : 0,
      volumes: rec.volumes.map((v) => v.volumeId),
    };
  }

  async listInstances(): Promise<string[]> {
    return this.store.ids();
  }

  /**
   * Removes every instance and everything the driver made on the host (images' mounts, the
   * runtime's mount namespace, cgroup directories, its state directory): `stratus down`.
   */
  async purge(): Promise<void> {
    await this.init();
    for (const id of this.store.ids()) await this.destroy(id).catch((e: Error) => this.log(`destroy ${id}: ${e.message}`));
    for (const img of await this.images!.ids()) await this.images!.release(img).catch(() => undefined);
    if (this.rt?.mntns) await dropV1Namespace(dirname(this.rt.mntns));
    this.removeCgroupParents();
    rmSync(this.o.stateDir, { recursive: true, force: true });
    if (this.rt?.mntns) {
      this.o.inventory?.forget('mount', this.rt.mntns);
      this.o.inventory?.forget('mount', dirname(this.rt.mntns));
    }
    this.rt = null;
  }

  // ---- internals --------------------------------------------------------------------------

  private async withRecord<T>(id: string, fn: (rec: InstanceRecord) => Promise<T>): Promise<T> {
    checkId(id);
    return this.lock(id).run(async () => {
      try {
        return await fn(this.record(id));
      } catch (e) {
        throw asDriverError(e);
      }
    });
  }

  private async mountImage(rec: InstanceRecord): Promise<string> {
    return this.imageLock.run(() => this.images!.mount(rec.image!));
  }

  private writeConfigDrive(id: string, files: Record<string, string>): void {
    const root = this.store.path(id, FILES.config);
    for (const [name, content] of Object.entries(files)) {
      const rel = name.replace(/^\/+/, '');
      if (rel.split('/').includes('..')) throw new ComputeDriverError('failed', `config drive file name ${JSON.stringify(name)} leaves the drive`);
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), content, 'latin1');
    }
  }

  /** Power state from the runtime, the record and the shim's last exit code. */
  private async powerState(rec: InstanceRecord, known?: Awaited<ReturnType<Runtime['state']>>): Promise<PowerState> {
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

  /** Builds what is missing (namespace, ports, root filesystem, volume loops) and starts the container. */
  private async start(rec: InstanceRecord): Promise<void> {
    const rt = this.runtime();
    const id = rec.id;
    const ns = this.netns(id);
    const t0 = performance.now();
    const steps: string[] = [];
    const step = (what: string) => steps.push(`${what} ${(performance.now() - t0).toFixed(0)}`);
    const nsPath = await ensureNetns(ns);
    this.o.inventory?.record({ kind: 'netns', key: ns, note: `instance ${id}`, owner: 'compute' });
    step('netns');
    // The ports (which may wait for the network driver to plug them) and the root filesystem
    // are independent: made at the same time, so a boot waits for the slower of the two.
    const ports = attachPorts(ns, rec.ports, this.underlay(), this.o.portWaitMs ?? 60_000).then((notes) => {
      step('ports');
      return notes;
    });
    const disk = (async () => {
      const lower = rec.image ? await this.mountImage(rec) : null;
      await ensureRootfs(rt, this.disk(id), lower, rec.flavor.diskGiB, rec.bootVolumePath);
      for (const [i, v] of rec.volumes.entries()) if (v.path) rec.volumes[i] = await loopVolume(v.volumeId, v.device, v.path, v.loop);
      step('rootfs');
    })();
    // Both settle before a failure is thrown, so the teardown that follows never races either.
    const [pr, dr] = await Promise.allSettled([ports, disk]);
    if (pr.status === 'rejected') throw pr.reason;
    if (dr.status === 'rejected') throw dr.reason;
    for (const n of pr.value) this.consoleNote(id, `=== ${n} ===`);
    const bundle = this.store.path(id, FILES.bundle);
    mkdirSync(bundle, { recursive: true });
    const config = ociConfig({
      rootfs: this.disk(id).rootfs,
      hostname: rec.hostname,
      netnsPath: nsPath,
      cgroupsPath: this.cgroupsPath(id),
      flavor: rec.flavor,
      devices: rec.volumes.filter((v) => v.loop).map((v) => ({ path: v.device, major: v.major, minor: v.minor })),
      ...(rec.hasConfigDrive ? { configDir: this.store.path(id, FILES.config) } : {}),
    });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 1));
    rmSync(this.store.path(id, FILES.noRestart), { force: true });
    rmSync(this.store.path(id, FILES.exit), { force: true });
    const cid = this.cid(id);
    rec.shim = startShim({
      runArgv: rt.argv(['run', '--bundle', bundle, cid]),
      deleteArgv: rt.argv(['delete', '-f', cid]),
      console: this.store.path(id, FILES.console),
      exitFile: this.store.path(id, FILES.exit),
      noRestartFile: this.store.path(id, FILES.noRestart),
    });
    rec.desired = 'running';
    rec.suspended = false;
    this.store.put(rec);
    this.o.inventory?.record({ kind: 'pid', key: String(rec.shim.pid), startTime: rec.shim.startTime, note: `shim of instance ${id}`, owner: 'compute' });
    const shim = rec.shim;
    let exited = false;
    step('shim');
    const up = await until(async () => {
      const st = await rt.state(cid);
      if (st?.status === 'running') return true;
      exited = !shimAlive(shim);
      return exited;
    }, 15_000);
    step('running');
    this.o.debug?.(`instance ${id} start (ms since start): ${steps.join(', ')}`);
    if (!up || exited) {
      const why = tail(this.store.path(id, FILES.console), 2000).trim().split('\n').slice(-3).join(' | ');
      throw new ComputeDriverError('failed', `instance ${id} did not start: ${why || 'no output from the runtime'}`, !exited);
    }
  }

  /** Stops the container: the poweroff signal, up to `timeoutMs`, then SIGKILL; waits for the shim. */
  private async stop(rec: InstanceRecord, timeoutMs: number): Promise<void> {
    const rt = this.runtime();
    const cid = this.cid(rec.id);
    writeFileSync(this.store.path(rec.id, FILES.noRestart), '');
    let st = await rt.state(cid);
    if (st?.status === 'paused') await rt.run(['resume', cid], true);
    if (st && st.status !== 'stopped' && timeoutMs > 0) {
      await rt.run(['kill', cid, this.o.stopSignal ?? 'USR2'], true);
      await until(async () => !(await rt.state(cid)), timeoutMs, 25);
      st = await rt.state(cid);
    }
    if (st) {
      await rt.run(['kill', '--all', cid, 'KILL'], true);
      await until(async () => !(await rt.state(cid)), 5_000, 10);
    }
    const shim = rec.shim;
    if (shim) {
      await until(() => !shimAlive(shim), 3_000, 10);
      this.o.inventory?.forget('pid', String(shim.pid));
    }
    await rt.run(['delete', '-f', cid], true);
    rec.shim = null;
    this.store.put(rec);
  }

  /** Everything of one instance, gone: container, volumes' loops, ports given back, namespace, mounts, files. */
  private async teardown(rec: InstanceRecord): Promise<void> {
    const id = rec.id;
    await this.stop(rec, 0);
    for (const v of rec.volumes) {
      if (!v.loop) continue;
      await unloopVolume(v);
      this.o.inventory?.forget('loop', v.loop);
    }
    const ns = this.netns(id);
    await returnPorts(ns, rec.ports, this.underlay());
    await deleteNetns(ns);
    this.o.inventory?.forget('netns', ns);
    await releaseRootfs(this.runtime(), this.disk(id));
    rmSync(this.store.path(id), { recursive: true, force: true });
    for (const c of [...V1_CONTROLLERS, 'systemd']) rmdirQuiet(`/sys/fs/cgroup/${c}/${this.o.namePrefix}/${id}`);
    if (rec.image && !this.store.ids().some((o) => this.store.get(o)?.image?.id === rec.image!.id)) {
      await this.imageLock.run(() => this.images!.release(rec.image!.id)).catch((e: Error) => this.log(`release of image ${rec.image!.id}: ${e.message}`));
    }
    if (this.store.ids().length === 0) this.removeCgroupParents();
    this.locks.delete(id);
  }

  private removeCgroupParents(): void {
    for (const c of [...V1_CONTROLLERS, 'systemd', 'unified']) rmdirQuiet(`/sys/fs/cgroup/${c}/${this.o.namePrefix}`);
  }
}

/** The repair period from `STRATUS_RESYNC_MS` (milliseconds; 0 = off), else 10 s. */
function resyncFromEnv(): number {
  const v = process.env.STRATUS_RESYNC_MS;
  const n = v === undefined || v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 10_000;
}

function shimAlive(s: { pid: number; startTime: string }): boolean {
  return pidAlive(s.pid) && startTime(s.pid) === s.startTime && !isZombie(s.pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

function rmdirQuiet(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // absent or still in use
  }
}

function sizeOf(path: string): number {
  try {
    const fd = openSync(path, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

/** The last `max` bytes of a file, from a line start; '' when absent. */
function tail(path: string, max: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - max);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    closeSync(fd);
  }
}

/** CPU time of the container's cgroup (cpuacct v1, or cpu.stat on v2), nanoseconds. */
function cpuTime(pid: number): number {
  try {
    for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
      const [hier, ctrls, path] = line.split(':');
      if (ctrls?.split(',').includes('cpuacct')) return Number(readFileSync(`/sys/fs/cgroup/cpuacct${path}/cpuacct.usage`, 'utf8').trim());
      if (hier === '0' && ctrls === '' && existsSync(`/sys/fs/cgroup${path}/cpu.stat`)) {
        const m = /usage_usec (\d+)/.exec(readFileSync(`/sys/fs/cgroup${path}/cpu.stat`, 'utf8'));
        if (m) return Number(m[1]) * 1000;
      }
    }
  } catch {
    // gone
  }
  return 0;
}

function asDriverError(e: unknown): ComputeDriverError {
  if (e instanceof ComputeDriverError) return e;
  const err = e as Error & { retryable?: boolean };
  return new ComputeDriverError('failed', err.message ?? String(e), err.retryable === true);
}

