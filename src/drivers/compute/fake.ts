import { Readable } from 'node:stream';
import {
  checkId,
  ComputeDriverError,
  type ComputeCapabilities,
  type ComputeDriver,
  type FlavorSpec,
  type InstanceInfo,
  type InstanceSpec,
  type InstanceStats,
  type PowerState,
  type RebootType,
  type SnapshotData,
  type VolumeConnection,
} from './driver.js';

/** The operations a test can slow down or make fail. */
export type FakeOp =
  | 'spawn'
  | 'destroy'
  | 'powerOn'
  | 'powerOff'
  | 'reboot'
  | 'pause'
  | 'unpause'
  | 'suspend'
  | 'resume'
  | 'resize'
  | 'attachVolume'
  | 'detachVolume'
  | 'consoleOutput'
  | 'snapshot';

interface FakeInstance {
  spec: InstanceSpec;
  power: PowerState;
  flavor: FlavorSpec;
  volumes: Map<string, VolumeConnection>;
  console: string[];
  bootedAt: number;
  boots: number;
}

export interface FakeCall {
  op: FakeOp;
  id: string;
}

/**
 * A real in-memory hypervisor (nova `virt/fake.py`): it tracks instances, power states and
 * attached volumes, writes a plausible console log, and can be told to fail or to be slow.
 * Every behaviour of driver.ts's contract holds, so it runs the shared contract suite.
 */
export class FakeComputeDriver implements ComputeDriver {
  readonly name = 'fake';
  readonly capabilities: ComputeCapabilities = {
    pause: true,
    suspend: true,
    snapshot: true,
    consoleOutput: true,
    volumeAttach: true,
    resize: true,
    configDrive: true,
  };
  private readonly instances = new Map<string, FakeInstance>();
  private readonly failures = new Map<FakeOp, { message: string; times: number; retryable: boolean }>();
  private readonly delays = new Map<FakeOp, number>();
  /** Every call made, in order (tests assert on it). */
  readonly calls: FakeCall[] = [];
  /** Usage counters tests set (`setStats`); unset counters read 0. */
  private readonly counters = new Map<string, Partial<InstanceStats>>();

  constructor(opts: { delays?: Partial<Record<FakeOp, number>> } = {}) {
    for (const [op, ms] of Object.entries(opts.delays ?? {})) this.delays.set(op as FakeOp, ms);
  }

  /**
   * A fake configured from `STRATUS_FAKE_COMPUTE_DELAYS` (e.g. `spawn=2000,powerOff=500`), so
   * probe tests can make a whole `stratus up` slow and kill it in the middle of a task.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): FakeComputeDriver {
    const delays: Partial<Record<FakeOp, number>> = {};
    for (const part of (env.STRATUS_FAKE_COMPUTE_DELAYS ?? '').split(',')) {
      const [op, ms] = part.split('=');
      if (op && ms && Number.isFinite(Number(ms))) delays[op.trim() as FakeOp] = Number(ms);
    }
    return new FakeComputeDriver({ delays });
  }

  /** The next `times` calls of `op` reject (Infinity: until `clearFailures`). */
  failNext(op: FakeOp, message = `injected ${op} failure`, times = 1, retryable = false): void {
    this.failures.set(op, { message, times, retryable });
  }

  clearFailures(): void {
    this.failures.clear();
  }

  /** Makes `op` take `ms` milliseconds (0 removes the delay). */
  setDelay(op: FakeOp, ms: number): void {
    if (ms > 0) this.delays.set(op, ms);
    else this.delays.delete(op);
  }

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  async spawn(spec: InstanceSpec): Promise<void> {
    await this.enter('spawn', checkId(spec.id));
    if (this.instances.has(spec.id)) return;
    const inst: FakeInstance = {
      spec,
      power: 'running',
      flavor: spec.flavor,
      volumes: new Map(spec.volumes.map((v) => [v.volumeId, v])),
      console: [],
      bootedAt: Date.now(),
      boots: 0,
    };
    this.instances.set(spec.id, inst);
    this.boot(inst);
  }

  async destroy(id: string): Promise<boolean> {
    await this.enter('destroy', checkId(id));
    this.counters.delete(id);
    return this.instances.delete(id);
  }

  async powerOn(id: string): Promise<void> {
    const inst = await this.use('powerOn', id);
    if (inst.power === 'running') return;
    this.from(inst, 'powerOn', ['shutdown', 'crashed']);
    this.boot(inst);
  }

  async powerOff(id: string): Promise<void> {
    const inst = await this.use('powerOff', id);
    if (inst.power === 'shutdown') return;
    this.from(inst, 'powerOff', ['running', 'paused', 'suspended', 'crashed']);
    inst.console.push('[  OK  ] Reached target Power-Off.', 'reboot: Power down');
    inst.power = 'shutdown';
  }

  async reboot(id: string, type: RebootType): Promise<void> {
    const inst = await this.use('reboot', id);
    if (type === 'SOFT') this.from(inst, 'reboot', ['running', 'shutdown', 'crashed']);
    if (inst.power === 'running') inst.console.push('reboot: Restarting system');
    this.boot(inst);
  }

  async pause(id: string): Promise<void> {
    const inst = await this.use('pause', id);
    if (inst.power === 'paused') return;
    this.from(inst, 'pause', ['running']);
    inst.power = 'paused';
  }

  async unpause(id: string): Promise<void> {
    const inst = await this.use('unpause', id);
    if (inst.power === 'running') return;
    this.from(inst, 'unpause', ['paused']);
    inst.power = 'running';
  }

  async suspend(id: string): Promise<void> {
    const inst = await this.use('suspend', id);
    if (inst.power === 'suspended') return;
    this.from(inst, 'suspend', ['running', 'paused']);
    inst.power = 'suspended';
  }

  async resume(id: string): Promise<void> {
    const inst = await this.use('resume', id);
    if (inst.power === 'running') return;
    this.from(inst, 'resume', ['suspended']);
    inst.power = 'running';
  }

  async resize(id: string, flavor: FlavorSpec): Promise<void> {
    const inst = await this.use('resize', id);
    inst.flavor = flavor;
  }

  async attachVolume(id: string, volume: VolumeConnection): Promise<void> {
    const inst = await this.use('attachVolume', id);
    if (inst.volumes.has(volume.volumeId)) return;
    inst.volumes.set(volume.volumeId, volume);
    inst.console.push(`[${this.uptime(inst)}] virtio_blk virtio4: [${volume.device.replace('/dev/', '')}] attached`);
  }

  async detachVolume(id: string, volumeId: string): Promise<void> {
    const inst = await this.use('detachVolume', id);
    inst.volumes.delete(volumeId);
  }

  async consoleOutput(id: string, maxLines?: number): Promise<string> {
    const inst = await this.use('consoleOutput', id);
    const lines = maxLines === undefined ? inst.console : maxLines <= 0 ? [] : inst.console.slice(-maxLines);
    return lines.join('\n');
  }

  async snapshot(id: string): Promise<SnapshotData> {
    const inst = await this.use('snapshot', id);
    const header = Buffer.from(`stratus fake disk of ${inst.spec.id} (image ${inst.spec.image?.id ?? 'none'})\n`);
    return { stream: Readable.from([header]), diskFormat: 'raw', containerFormat: 'bare' };
  }

  async getInfo(id: string): Promise<InstanceInfo | undefined> {
    const inst = this.instances.get(id);
    if (!inst) return undefined;
    const running = inst.power === 'running' ? Date.now() - inst.bootedAt : 0;
    return {
      id,
      powerState: inst.power,
      vcpus: inst.flavor.vcpus,
      memoryMiB: inst.flavor.ramMiB,
      cpuTimeNs: running * 1_000_000 * 0.01,
      volumes: [...inst.volumes.keys()],
    };
  }

  /**
   * Sets an instance's usage counters (merged per field; `disks` and `ports` per key), which
   * `getStats` reports from then on: the fake's counters move only when a test moves them.
   */
  setStats(id: string, stats: Partial<InstanceStats>): void {
    const cur = this.counters.get(id) ?? {};
    this.counters.set(id, {
      ...cur,
      ...stats,
      disks: { ...cur.disks, ...stats.disks },
      ports: { ...cur.ports, ...stats.ports },
    });
  }

  async getStats(id: string): Promise<InstanceStats | undefined> {
    const inst = this.instances.get(id);
    if (!inst) return undefined;
    const set = this.counters.get(id) ?? {};
    const disks: InstanceStats['disks'] = {};
    if (inst.spec.image) disks.vda = { readBytes: 0, writeBytes: 0 };
    for (const v of inst.volumes.values()) disks[v.device.replace('/dev/', '')] = { readBytes: 0, writeBytes: 0 };
    const ports: InstanceStats['ports'] = {};
    for (const p of inst.spec.ports) ports[p.portId] = { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
    return {
      cpuTimeNs: set.cpuTimeNs ?? 0,
      memoryUsageBytes: set.memoryUsageBytes ?? 0,
      disks: { ...disks, ...set.disks },
      ports: { ...ports, ...set.ports },
    };
  }

  async listInstances(): Promise<string[]> {
    return [...this.instances.keys()];
  }

  // --- helpers --------------------------------------------------------------------------------

  private async enter(op: FakeOp, id: string): Promise<void> {
    this.calls.push({ op, id });
    if (this.calls.length > 10_000) this.calls.splice(0, 5_000);
    const delay = this.delays.get(op);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const f = this.failures.get(op);
    if (f) {
      if (--f.times <= 0) this.failures.delete(op);
      throw new ComputeDriverError('failed', f.message, f.retryable);
    }
  }

  private async use(op: FakeOp, id: string): Promise<FakeInstance> {
    await this.enter(op, checkId(id));
    const inst = this.instances.get(id);
    if (!inst) throw new ComputeDriverError('not-found', `instance ${id} not found on the fake hypervisor`);
    return inst;
  }

  private from(inst: FakeInstance, op: FakeOp, allowed: PowerState[]): void {
    if (!allowed.includes(inst.power))
      throw new ComputeDriverError('invalid-state', `cannot ${op} instance ${inst.spec.id} while it is ${inst.power}`);
  }

  private uptime(inst: FakeInstance): string {
    return ((Date.now() - inst.bootedAt) / 1000).toFixed(6).padStart(12, ' ');
  }

  /** Power on with a boot log, as a small CirrOS-like guest would print it. */
  private boot(inst: FakeInstance): void {
    inst.power = 'running';
    inst.bootedAt = Date.now();
    inst.boots++;
    const s = inst.spec;
    const ips = s.ports.flatMap((p) => p.fixedIps);
    inst.console.push(
      `[    0.000000] Linux version 6.1.0-stratus-fake (boot ${inst.boots})`,
      `[    0.000000] Command line: root=LABEL=cirros-rootfs ro console=ttyS0`,
      `[    0.010000] Memory: ${inst.flavor.ramMiB * 1024}K available, ${inst.flavor.vcpus} CPU(s)`,
      ...[...inst.volumes.values()].map((v) => `[    0.200000] virtio_blk: [${v.device.replace('/dev/', '')}] attached`),
      `Starting network: udhcpc: lease of ${ips[0] ?? '(none)'} obtained`,
      `checking http://169.254.169.254/2009-04-04/instance-id`,
      `successful after 1/20 tries: up 1.00. iid=${s.id}`,
      `=== cirros: current=0.6.3 uptime=1.20 ===`,
      `login as 'cirros' user. default password: 'gocubsgo'. use 'sudo' for root.`,
      `${s.hostname} login: `,
    );
    if (inst.console.length > 2000) inst.console.splice(0, inst.console.length - 2000);
  }
}
