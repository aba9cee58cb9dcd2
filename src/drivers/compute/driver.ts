import type { Readable } from 'node:stream';

/**
 * The compute driver: what the Nova control plane asks of a hypervisor (nova `virt/driver.py`).
 * The compute service keeps every record (servers, flavors, ports, attachments) in the Store
 * and calls this interface from its reconciler with the complete desired state of one
 * instance. A driver never reads the store and never calls back into a service.
 *
 * Contract (checked by contract.ts against every implementation):
 * - **Ids.** Instances are named by the server's UUID. Every other id (volumes, ports) is
 *   opaque to the driver.
 * - **Idempotent.** Every call may be repeated after a crash or a timeout:
 *   - `spawn` of an instance that exists resolves without touching it (the result of an
 *     earlier run); otherwise it creates the instance and leaves it running.
 *   - `destroy` of an absent instance resolves `false`; otherwise it powers the instance off,
 *     removes it with everything local to it, and resolves `true`.
 *   - Power calls that find the instance already in the requested state resolve at once:
 *     `powerOn` of a running instance, `powerOff` of a shut-down one, `pause` of a paused one,
 *     `unpause` of a running one, `suspend` of a suspended one, `resume` of a running one.
 *   - `attachVolume` of a volume already attached and `detachVolume` of one not attached
 *     resolve without change.
 * - **States.** `powerOff` works from running, paused, suspended or crashed and ends shut
 *   down. `powerOn` ends running from shut down or crashed. `reboot` ends running: HARD from
 *   any state; SOFT from running, shut down or crashed. `pause` needs running; `unpause`
 *   needs paused; `suspend` needs running or paused; `resume` needs suspended. A call from
 *   any other state rejects with `ComputeDriverError` code `invalid-state` and changes
 *   nothing.
 * - **Missing.** Every call but `spawn`, `destroy`, `getInfo` and `listInstances` rejects with
 *   code `not-found` when the instance does not exist.
 * - **Capabilities.** A call whose capability flag is false rejects with code `unsupported`.
 * - **Failure.** A rejected call leaves the instance as it was or in a state a repeat of the
 *   same call repairs; transient trouble rejects with `retryable: true`. The reconciler records
 *   a failed spawn as the server's fault and puts it in ERROR.
 * - **Restart.** After a restart the service calls `init()`, compares `listInstances()` with
 *   its records, destroys instances it no longer wants and re-drives the rest.
 */
export interface ComputeDriver {
  readonly name: string;
  readonly capabilities: ComputeCapabilities;
  /** Prepares the hypervisor; idempotent. */
  init(): Promise<void>;
  /** Releases handles; instances keep running for the next start where the driver can. */
  close(): Promise<void>;

  spawn(spec: InstanceSpec): Promise<void>;
  destroy(id: string): Promise<boolean>;
  powerOn(id: string): Promise<void>;
  /** A clean shutdown, forced after `timeoutMs` (0: at once). */
  powerOff(id: string, opts?: { timeoutMs?: number }): Promise<void>;
  reboot(id: string, type: RebootType): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  suspend(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Gives the instance a new flavor, keeping its disks; the power state is kept. */
  resize(id: string, flavor: FlavorSpec): Promise<void>;

  attachVolume(id: string, volume: VolumeConnection): Promise<void>;
  detachVolume(id: string, volumeId: string): Promise<void>;

  /** The console log, at most `maxLines` of its last lines. */
  consoleOutput(id: string, maxLines?: number): Promise<string>;
  /** A point-in-time copy of the root disk; the caller reads the stream once. */
  snapshot(id: string): Promise<SnapshotData>;

  /** What the hypervisor knows of an instance; undefined when it has none. */
  getInfo(id: string): Promise<InstanceInfo | undefined>;
  /**
   * Usage counters of an instance for telemetry (optional: a driver without it reports none).
   * Contract: resolves undefined for an unknown instance (never rejects for that); every
   * counter is cumulative since the instance started (it may drop to 0 after a reboot, which
   * readers treat as a reset) except `memoryUsageBytes`, a gauge; `disks` is keyed by guest
   * device name (`vda`, `vdb`), `ports` by Neutron port id. Cheap: called every collection
   * cycle for every instance.
   */
  getStats?(id: string): Promise<InstanceStats | undefined>;
  listInstances(): Promise<string[]>;
}

/** Capability flags (nova's `capabilities` dict): data, so the API can refuse early. */
export interface ComputeCapabilities {
  pause: boolean;
  suspend: boolean;
  snapshot: boolean;
  consoleOutput: boolean;
  volumeAttach: boolean;
  resize: boolean;
  /** The instance reads a config drive (`InstanceSpec.configDrive`). */
  configDrive: boolean;
}

export type RebootType = 'SOFT' | 'HARD';

/** Nova's power states, by name; the service maps them to numbers on the wire. */
export type PowerState = 'nostate' | 'running' | 'paused' | 'shutdown' | 'crashed' | 'suspended';

export interface FlavorSpec {
  vcpus: number;
  ramMiB: number;
  diskGiB: number;
  swapMiB: number;
  ephemeralGiB: number;
  extraSpecs: Record<string, string>;
}

export interface ImageFile {
  id: string;
  /** A local file holding the image's bytes; the driver copies or overlays it, never writes it. */
  path: string;
  diskFormat: string;
}

export interface VolumeConnection {
  volumeId: string;
  /** Guest device, e.g. `/dev/vdb`. */
  device: string;
  /** Local path of the volume's backing file, when the block backend has one. */
  path?: string;
  /** The instance boots from it. */
  boot?: boolean;
}

export interface PortBinding {
  portId: string;
  networkId: string;
  macAddress: string;
  fixedIps: string[];
  mtu?: number;
}

export interface InstanceSpec {
  id: string;
  /** Hypervisor-side name, e.g. `instance-0000002a`. */
  name: string;
  hostname: string;
  flavor: FlavorSpec;
  /** The root image; null when the instance boots from a volume. */
  image: ImageFile | null;
  volumes: VolumeConnection[];
  ports: PortBinding[];
  /** Files of a config drive (path → content) labelled `config-2`; null when not requested. */
  configDrive: Record<string, string> | null;
}

export interface InstanceInfo {
  id: string;
  powerState: PowerState;
  vcpus: number;
  memoryMiB: number;
  /** CPU time used, nanoseconds. */
  cpuTimeNs: number;
  volumes: string[];
}

export interface InstanceStats {
  /** CPU time used, nanoseconds, cumulative. */
  cpuTimeNs: number;
  /** Memory in use now, bytes (a gauge). */
  memoryUsageBytes: number;
  /** Per guest disk device (`vda`), bytes read and written, cumulative. */
  disks: Record<string, { readBytes: number; writeBytes: number }>;
  /** Per port id, as the guest sees its interface: received (incoming) and sent (outgoing). */
  ports: Record<string, { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number }>;
}

export interface SnapshotData {
  stream: Readable | AsyncIterable<Uint8Array>;
  diskFormat: 'raw' | 'qcow2';
  containerFormat: 'bare';
}

export type ComputeErrorCode = 'not-found' | 'invalid-state' | 'unsupported' | 'failed';

export class ComputeDriverError extends Error {
  constructor(
    readonly code: ComputeErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

const ID_RE = /^[A-Za-z0-9-]{1,64}$/;

export function checkId(id: string): string {
  if (!ID_RE.test(id)) throw new ComputeDriverError('failed', `invalid instance id ${JSON.stringify(id)}`);
  return id;
}
