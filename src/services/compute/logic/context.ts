import type { Clock } from '../../../core/clock.js';
import { conflict, StratusError } from '../../../core/errors.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import type { ComputeDriver } from '../../../drivers/compute/driver.js';
import { RecordRepo, type Store, type StoreOps} from '../../../store/index.js';
import { KIND } from './models.js';
import { shield } from './shield.js';
import type { ImageCatalog, NetworkPorts, VolumeAttachments } from './ports.js';

/** Settings of the compute service (nova.conf's, as far as Stratus has them). */
export interface ComputeConfig {
  /** This compute host's name (defaults to the machine's hostname). */
  host: string;
  /** Allocation ratios: placement's cpu/ram/disk_allocation_ratio. */
  cpuRatio: number;
  ramRatio: number;
  diskRatio: number;
  /** RAM kept for the host itself, MiB (nova's reserved_host_memory_mb). */
  reservedMemoryMb: number;
  /** Overrides the probed capacity (tests use it to force "no valid host"). */
  capacity?: { vcpus?: number; memoryMb?: number; diskGb?: number };
  /** Directory for cached image files the driver boots from. */
  imageCacheDir: string;
  /** Remove the image cache at close (in-memory clouds). */
  imageCacheEphemeral?: boolean;
  /** Algorithm of generated keypairs. */
  keyAlgorithm: 'rsa' | 'ed25519';
}

export interface ComputePorts {
  images: ImageCatalog;
  network: NetworkPorts;
  volumes: VolumeAttachments;
}

export interface ComputeDeps {
  store: Store;
  events: EventBus;
  clock: Clock;
  log: Logger;
  driver: ComputeDriver;
  ports: ComputePorts;
  config: ComputeConfig;
  /** The data directory, used to measure free disk (statfs). */
  dataDir?: string;
}

/** What every part of the compute logic shares. */
export class ComputeContext {
  readonly store: Store;
  readonly events: EventBus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly driver: ComputeDriver;
  readonly ports: ComputePorts;
  readonly config: ComputeConfig;

  constructor(deps: ComputeDeps) {
    this.store = deps.store;
    this.events = deps.events;
    this.clock = deps.clock;
    this.log = deps.log;
    this.driver = deps.driver;
    this.ports = {
      images: shield(deps.ports.images, 'image', deps.log),
      network: shield(deps.ports.network, 'network', deps.log),
      volumes: shield(deps.ports.volumes, 'volume', deps.log),
    };
    this.config = deps.config;
  }

  now(): number {
    return this.clock.now();
  }

  changed(kind: string, action: 'created' | 'updated' | 'deleted', id: string, projectId?: string | null): void {
    this.events.publish({ service: 'compute', kind, action, id, projectId: projectId ?? null });
  }

  /** Next value of a named counter (instance names, keypair ids), inside a transaction. */
  async nextSeq(name: string, tx: StoreOps): Promise<number> {
    const cur = await tx.get<{ id: string; value: number }>(KIND.meta, `seq:${name}`);
    const value = (cur?.data.value ?? 0) + 1;
    if (cur) await tx.update(KIND.meta, `seq:${name}`, { id: `seq:${name}`, value });
    else await tx.create(KIND.meta, `seq:${name}`, { id: `seq:${name}`, value });
    return value;
  }
}

/** Typed access to one kind of compute record. */
export class Repo<T extends { id: string }> extends RecordRepo<T> {
  constructor(
    ctx: ComputeContext,
    kind: string,
    /** Builds the not-found error for an id. */
    missing: (id: string) => StratusError,
    uniqOf?: (t: T) => string | null,
    describeConflict?: (t: T) => string,
  ) {
    super(ctx.store, kind, {
      missing,
      ...(uniqOf ? { uniqOf } : {}),
      conflict: (t) => conflict(describeConflict?.(t) ?? `${kind} ${t.id} already exists.`),
    });
  }
}
