import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  checkId,
  ComputeDriverError,
  type ComputeCapabilities,
  type ComputeDriver,
  type FlavorSpec,
  type InstanceInfo,
  type InstanceStats,
  type InstanceSpec,
  type RebootType,
  type SnapshotData,
  type VolumeConnection,
} from '../driver.js';
import { resyncFromEnv } from '../../../core/resync.js';
import { DriverContext, type ContainerComputeOptions } from './context.js';
import { addVolume, removeCgroupParents, startInstance, stopInstance, teardownInstance, writeConfigDrive } from './lifecycle.js';
import { CPU_PERIOD, limits } from './oci.js';
import { PortRepair } from './repair.js';
import { ensureRootfs, growDisk, Images, snapshotRootfs } from './rootfs.js';
import { dropV1Namespace, Runtime, V1_CONTROLLERS } from './runtime.js';
import { FILES, type InstanceRecord } from './state.js';
import { asDriverError, cpuTime, sizeOf, tail } from './util.js';
import { readStats } from './stats.js';
import { unloopVolume, unplugDevice } from './volumes.js';

export type { ContainerComputeOptions } from './context.js';

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

  /** Shared state and names of the driver's modules (context.ts). */
  private readonly ctx: DriverContext;
  /** The port repair loop (repair.ts). */
  private readonly repair: PortRepair;

  constructor(private readonly o: ContainerComputeOptions) {
    this.ctx = new DriverContext(o);
    this.repair = new PortRepair(this.ctx, o.resyncMs ?? resyncFromEnv());
  }

  private get rt(): Runtime | null {
    return this.ctx.rt;
  }
  private cid(id: string): string {
    return this.ctx.cid(id);
  }
  private netns(id: string): string {
    return this.ctx.netns(id);
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
    this.ctx.rt = rt;
    this.ctx.images = new Images(this.o.stateDir, rt);
    this.ctx.log(`container runtime: ${this.runtimeName}`);
    this.repair.schedule();
  }

  async close(): Promise<void> {
    // Instances keep running under their shims; the next init adopts them.
    await this.repair.stop();
  }

  /**
   * Gives instances back the interfaces they lost (port repair, see `PortRepair.run` in
   * repair.ts). Resolves what it re-linked, as `<instance>/<ethN>`.
   */
  async repairPorts(): Promise<string[]> {
    return this.repair.run();
  }

  // ---- lifecycle --------------------------------------------------------------------------

  async spawn(spec: InstanceSpec): Promise<void> {
    checkId(spec.id);
    await this.ctx.lock(spec.id).run(async () => {
      if (this.ctx.store.get(spec.id)) return;
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
      this.ctx.store.put(rec);
      try {
        if (spec.configDrive) await writeConfigDrive(this.ctx, spec.id, spec.configDrive);
        for (const v of spec.volumes.filter((x) => !x.boot)) await addVolume(this.ctx, rec, v, false);
        await startInstance(this.ctx, rec);
      } catch (e) {
        await teardownInstance(this.ctx, rec).catch(() => undefined);
        throw asDriverError(e);
      }
    });
  }

  async destroy(id: string): Promise<boolean> {
    checkId(id);
    return this.ctx.lock(id).run(async () => {
      const rec = this.ctx.store.get(id);
      if (!rec) return false;
      await teardownInstance(this.ctx, rec);
      return true;
    });
  }

  async powerOn(id: string): Promise<void> {
    await this.ctx.withRecord(id, async (rec) => {
      const s = await this.ctx.powerState(rec);
      if (s === 'running') return;
      if (s === 'paused' || s === 'suspended') throw new ComputeDriverError('invalid-state', `instance ${id} is ${s}: unpause or resume it`);
      await startInstance(this.ctx, rec);
    });
  }

  async powerOff(id: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    await this.ctx.withRecord(id, async (rec) => {
      await stopInstance(this.ctx, rec, opts.timeoutMs ?? this.o.stopTimeoutMs ?? 10_000);
      rec.desired = 'shutdown';
      rec.suspended = false;
      this.ctx.store.put(rec);
    });
  }

  async reboot(id: string, type: RebootType): Promise<void> {
    await this.ctx.withRecord(id, async (rec) => {
      const s = await this.ctx.powerState(rec);
      if (type === 'SOFT' && (s === 'paused' || s === 'suspended')) throw new ComputeDriverError('invalid-state', `a soft reboot needs a running instance; ${id} is ${s}`);
      this.ctx.consoleNote(id, `=== ${type.toLowerCase()} reboot requested ===`);
      await stopInstance(this.ctx, rec, type === 'HARD' ? 0 : (this.o.stopTimeoutMs ?? 10_000));
      await startInstance(this.ctx, rec);
    });
  }

  async pause(id: string): Promise<void> {
    await this.ctx.withRecord(id, async (rec) => {
      const s = await this.ctx.powerState(rec);
      if (s === 'paused') return;
      if (s !== 'running') throw new ComputeDriverError('invalid-state', `pause needs a running instance; ${id} is ${s}`);
      await this.ctx.runtime().run(['pause', this.ctx.cid(id)]);
    });
  }

  async unpause(id: string): Promise<void> {
    await this.ctx.withRecord(id, async (rec) => {
      const s = await this.ctx.powerState(rec);
      if (s === 'running') return;
      if (s !== 'paused') throw new ComputeDriverError('invalid-state', `unpause needs a paused instance; ${id} is ${s}`);
      await this.ctx.runtime().run(['resume', this.ctx.cid(id)]);
    });
  }

  async suspend(id: string): Promise<void> {
    await this.ctx.withRecord(id, async (rec) => {
      const s = await this.ctx.powerState(rec);
      if (s === 'suspended') return;
      if (s !== 'running' && s !== 'paused') throw new ComputeDriverError('invalid-state', `suspend needs a running or paused instance; ${id} is ${s}`);
      if (s === 'running') await this.ctx.runtime().run(['pause', this.ctx.cid(id)]);
      rec.suspended = true;
      this.ctx.store.put(rec);
    });
  }

  async resume(id: string): Promise<void> {
    await this.ctx.withRecord(id, async (rec) => {
      const s = await this.ctx.powerState(rec);
      if (s === 'running') return;
      if (s !== 'suspended') throw new ComputeDriverError('invalid-state', `resume needs a suspended instance; ${id} is ${s}`);
      await this.ctx.runtime().run(['resume', this.ctx.cid(id)]);
      rec.suspended = false;
      this.ctx.store.put(rec);
    });
  }

  async resize(id: string, flavor: FlavorSpec): Promise<void> {
    await this.ctx.withRecord(id, async (rec) => {
      rec.flavor = flavor;
      this.ctx.store.put(rec);
      await growDisk(this.ctx.runtime(), this.ctx.disk(id), flavor.diskGiB);
      const st = await this.ctx.runtime().state(this.ctx.cid(id));
      if (st && (st.status === 'running' || st.status === 'paused')) {
        const l = limits(flavor);
        await this.ctx.runtime().run(['update', `--memory=${l.memory}`, `--cpu-period=${CPU_PERIOD}`, `--cpu-quota=${l.quota}`, `--pids-limit=${l.pids}`, this.ctx.cid(id)]);
      }
    });
  }

  // ---- volumes ----------------------------------------------------------------------------

  async attachVolume(id: string, volume: VolumeConnection): Promise<void> {
    await this.ctx.withRecord(id, async (rec) => {
      if (rec.volumes.some((v) => v.volumeId === volume.volumeId)) return;
      await addVolume(this.ctx, rec, volume, true);
    });
  }

  async detachVolume(id: string, volumeId: string): Promise<void> {
    await this.ctx.withRecord(id, async (rec) => {
      const v = rec.volumes.find((x) => x.volumeId === volumeId);
      if (!v) return;
      const st = await this.ctx.runtime().state(this.ctx.cid(id));
      if (st?.pid && v.loop) await unplugDevice(st.pid, v);
      if (v.loop) await unloopVolume(v);
      if (v.loop) this.o.inventory?.forget('loop', v.loop);
      rec.volumes = rec.volumes.filter((x) => x.volumeId !== volumeId);
      this.ctx.store.put(rec);
      this.ctx.consoleNote(id, `=== volume ${volumeId} detached from ${v.device} ===`);
    });
  }

  // ---- console, snapshot, info ------------------------------------------------------------

  async consoleOutput(id: string, maxLines?: number): Promise<string> {
    this.ctx.record(id);
    if (maxLines === 0) return '';
    const text = tail(this.ctx.store.path(id, FILES.console), 1 << 20);
    if (maxLines === undefined) return text;
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-maxLines).join('\n') + (lines.length ? '\n' : '');
  }

  async snapshot(id: string): Promise<SnapshotData> {
    return this.ctx.withRecord(id, async (rec) => {
      const rt = this.ctx.runtime();
      const p = this.ctx.disk(id);
      const lower = rec.image ? await this.ctx.mountImage(rec) : null;
      await ensureRootfs(rt, p, lower, rec.flavor.diskGiB, rec.bootVolumePath);
      const dir = join(this.o.stateDir, 'snapshots');
      mkdirSync(dir, { recursive: true });
      const out = join(dir, `${id}-${Date.now()}.raw`);
      const st = await rt.state(this.ctx.cid(id));
      const freeze = st?.status === 'running';
      if (freeze) await rt.run(['pause', this.ctx.cid(id)]);
      try {
        const min = rec.image ? sizeOf(rec.image.path) : 0;
        const label = rec.image ? await this.ctx.images!.label(rec.image) : 'rootfs';
        await snapshotRootfs(rt, p.rootfs, out, min, label);
      } catch (e) {
        rmSync(out, { force: true });
        throw asDriverError(e);
      } finally {
        if (freeze) await rt.run(['resume', this.ctx.cid(id)], true);
      }
      const stream = createReadStream(out, { highWaterMark: 1 << 20 });
      stream.on('close', () => rmSync(out, { force: true }));
      return { stream, diskFormat: 'raw', containerFormat: 'bare' };
    });
  }

  async getInfo(id: string): Promise<InstanceInfo | undefined> {
    const rec = this.ctx.store.get(checkId(id));
    if (!rec) return undefined;
    const st = await this.ctx.runtime().state(this.ctx.cid(id));
    return {
      id,
      powerState: await this.ctx.powerState(rec, st),
      vcpus: rec.flavor.vcpus,
      memoryMiB: rec.flavor.ramMiB,
      cpuTimeNs: st?.pid ? cpuTime(st.pid) : 0,
      volumes: rec.volumes.map((v) => v.volumeId),
    };
  }

  /** Kernel counters of the instance's init (stats.ts); undefined when it is not running. */
  async getStats(id: string): Promise<InstanceStats | undefined> {
    const rec = this.ctx.store.get(checkId(id));
    if (!rec) return undefined;
    const st = await this.ctx.runtime().state(this.ctx.cid(id));
    return st?.pid ? readStats(rec, st.pid) : undefined;
  }

  async listInstances(): Promise<string[]> {
    return this.ctx.store.ids();
  }

  /**
   * Removes every instance and everything the driver made on the host (images' mounts, the
   * runtime's mount namespace, cgroup directories, its state directory): `stratus down`.
   */
  async purge(): Promise<void> {
    await this.init();
    for (const id of this.ctx.store.ids()) await this.destroy(id).catch((e: Error) => this.ctx.log(`destroy ${id}: ${e.message}`));
    for (const img of await this.ctx.images!.ids()) await this.ctx.images!.release(img).catch(() => undefined);
    if (this.ctx.rt?.mntns) await dropV1Namespace(dirname(this.ctx.rt.mntns));
    removeCgroupParents(this.ctx);
    rmSync(this.o.stateDir, { recursive: true, force: true });
    if (this.ctx.rt?.mntns) {
      this.o.inventory?.forget('mount', this.ctx.rt.mntns);
      this.o.inventory?.forget('mount', dirname(this.ctx.rt.mntns));
    }
    this.ctx.rt = null;
  }

}
