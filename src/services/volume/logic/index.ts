import { Attachments, type AttachInput, type ConnectionInfo } from './attachments.js';
import { Repo, VolumeContext, type VolumeDeps } from './context.js';
import { noImageSource, type ImageSource } from './images.js';
import type { Attachment, Caller, Snapshot, Volume } from './models.js';
import { Quotas } from './quotas.js';
import { Reconciler } from './reconciler.js';
import { TypeEncryptions } from './encryption.js';
import { QosSpecsStore } from './qos.js';
import { VolumeUploads } from './upload.js';
import { VolumeServices } from './services.js';
import { Snapshots } from './snapshots.js';
import { Transfers } from './transfers.js';
import { Worker } from './tasks.js';
import { VolumeTypes } from './types.js';
import { Volumes, type CreateVolumeInput, type Records } from './volumes.js';

export type { Attachment, Caller, Snapshot, Volume, VolumeType } from './models.js';
export type { ImageSink, ImageSource, OpenedImage, VolumeImageMeta } from './images.js';
export type { AttachInput, ConnectionInfo } from './attachments.js';
export type { CreateVolumeInput } from './volumes.js';
export { noImageSource } from './images.js';

export interface BlockStorageDeps extends Omit<VolumeDeps, 'images'> {
  /** Where create-from-image reads bytes; until wired, image requests are a clear 400. */
  images?: ImageSource;
  /** Parallel driver operations. */
  concurrency?: number;
}

/**
 * The block storage logic (Cinder). Routes call the parts (`volumes`, `snapshots`, …); other
 * services — compute above all — use the methods on this class, which take a `Caller` (or
 * null for the trusted service itself) and never expose the records' storage.
 *
 * @example compute attaching a volume to a server it is building
 *   await blockStorage.reserve(volumeId, serverId);
 *   const { devicePath } = await blockStorage.backingFile(volumeId);
 *   // … hand devicePath to the compute driver …
 *   await blockStorage.attach(volumeId, serverId, '/dev/vdb');
 */
export class BlockStorage {
  readonly ctx: VolumeContext;
  readonly types: VolumeTypes;
  readonly quotas: Quotas;
  readonly volumes: Volumes;
  readonly snapshots: Snapshots;
  readonly attachments: Attachments;
  readonly transfers: Transfers;
  readonly services: VolumeServices;
  readonly qos: QosSpecsStore;
  readonly encryption: TypeEncryptions;
  readonly uploads: VolumeUploads;
  private readonly worker: Worker;
  private readonly reconciler: Reconciler;
  private started = false;

  constructor(deps: BlockStorageDeps) {
    const images = deps.images ?? noImageSource;
    this.ctx = new VolumeContext({ ...deps, images });
    const records: Records = {
      volumes: new Repo<Volume>(this.ctx, 'volume.volume', 'Volume'),
      snapshots: new Repo<Snapshot>(this.ctx, 'volume.snapshot', 'Snapshot'),
    };
    this.types = new VolumeTypes(this.ctx);
    this.quotas = new Quotas(this.ctx);
    this.services = new VolumeServices(this.ctx);
    this.qos = new QosSpecsStore(this.ctx, this.types);
    this.encryption = new TypeEncryptions(this.ctx, this.types);
    this.volumes = new Volumes(this.ctx, records, this.types, this.quotas, images, this.services);
    this.snapshots = new Snapshots(this.ctx, records, this.volumes, this.quotas, this.services);
    this.attachments = new Attachments(this.ctx, this.volumes);
    this.uploads = new VolumeUploads(this.ctx, this.volumes, images);
    this.transfers = new Transfers(this.ctx, records, this.volumes, this.quotas);
    this.worker = new Worker(this.ctx, records, images);
    this.reconciler = new Reconciler(this.worker.run, deps.log.child('reconciler'), deps.concurrency ?? 4);
  }

  /** Creates the default volume type (first start only). */
  async init(): Promise<void> {
    await this.types.init();
  }

  /**
   * Starts the reconciler and resumes what a previous run left unfinished. Until then, API
   * writes are recorded but not carried out.
   */
  async start(): Promise<{ resumed: number; settled: number; orphans: number }> {
    if (this.started) return { resumed: 0, settled: 0, orphans: 0 };
    this.started = true;
    const leftovers = await this.ctx.driver.recover();
    if (leftovers) this.ctx.log.info(`removed ${leftovers} partial volume files`);
    this.ctx.kick = (ref) => this.reconciler.kick(ref);
    const r = await this.worker.recover(this.ctx.kick);
    if (r.resumed || r.settled || r.orphans) this.ctx.log.info(`recovery: ${r.resumed} resumed, ${r.settled} settled, ${r.orphans} orphan files removed`);
    return r;
  }

  /** Stops taking work and waits for the driver calls in flight. */
  async stop(): Promise<void> {
    this.ctx.kick = () => {};
    await this.reconciler.stop();
  }

  /** Resolves once no work is queued or running. */
  idle(): Promise<void> {
    return this.reconciler.idle();
  }

  // --- the interface for other services (compute) ----------------------------------------

  /** A volume as its owner (or the trusted caller) sees it; 404 otherwise. */
  get(volumeId: string, caller: Caller | null = null): Promise<Volume> {
    return this.volumes.visible(caller, volumeId);
  }

  /** Creates a volume (e.g. boot from volume); poll `get` until `available` or `error`. */
  create(caller: Caller, input: CreateVolumeInput): Promise<Volume> {
    return this.volumes.create(caller, input);
  }

  /** Starts deleting (delete_on_termination); the volume must be detached. */
  delete(volumeId: string, caller: Caller): Promise<void> {
    return this.volumes.delete(caller, volumeId);
  }

  /** available → attaching, reserved for `serverId`; again for the same server is a no-op. */
  reserve(volumeId: string, serverId: string, caller: Caller | null = null): Promise<Volume> {
    return this.attachments.reserve(caller, volumeId, serverId);
  }

  /** Drops the reservation for `serverId` (attach did not happen). */
  unreserve(volumeId: string, serverId: string, caller: Caller | null = null): Promise<Volume> {
    return this.attachments.unreserve(caller, volumeId, serverId);
  }

  /** → in-use, attached to `serverId` at `mountpoint`; idempotent per server. */
  attach(volumeId: string, serverId: string, mountpoint: string | null, opts: Omit<AttachInput, 'serverId' | 'device'> & { caller?: Caller | null } = {}): Promise<Attachment> {
    return this.attachments.attach(opts.caller ?? null, volumeId, { serverId, device: mountpoint, hostName: opts.hostName ?? null, mode: opts.mode ?? 'rw' });
  }

  /** → available (or still in-use by others); no-op when not attached to `serverId`. */
  detach(volumeId: string, serverId: string, caller: Caller | null = null): Promise<Volume> {
    return this.attachments.detach(caller, volumeId, serverId);
  }

  /** The local file behind a volume, for a compute driver to expose as a block device. */
  backingFile(volumeId: string, caller: Caller | null = null): Promise<ConnectionInfo> {
    return this.attachments.connection(caller, volumeId);
  }

  /** Volumes attached to (or reserved for) a server, as compute shows os-volume_attachments. */
  attachmentsForServer(serverId: string): Promise<{ volume: Volume; attachment: Attachment }[]> {
    return this.attachments.forServer(serverId);
  }
}
