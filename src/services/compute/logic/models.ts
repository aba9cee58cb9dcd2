/**
 * The compute domain: what Stratus stores for Nova's resources. Field names are camelCase;
 * the wire names live in views/ and schemas/. Timestamps are epoch milliseconds.
 */

export const KIND = {
  flavor: 'compute.flavor',
  flavorAccess: 'compute.flavor_access',
  keypair: 'compute.keypair',
  server: 'compute.server',
  provider: 'compute.resource_provider',
  allocation: 'compute.allocation',
  group: 'compute.server_group',
  action: 'compute.instance_action',
  quota: 'compute.quota',
  usage: 'compute.usage',
  service: 'compute.service',
  meta: 'compute.meta',
  aggregate: 'compute.aggregate',
} as const;

/** Who acts, as far as compute rules care (policy.ts builds it from the token). */
export interface Caller {
  userId: string;
  projectId: string;
  admin: boolean;
  /** The request id, recorded on instance actions. */
  requestId: string;
}

export interface Flavor {
  id: string;
  name: string;
  /** MiB. */
  ram: number;
  vcpus: number;
  /** GiB. */
  disk: number;
  /** MiB; 0 shows as "". */
  swap: number;
  ephemeral: number;
  rxtxFactor: number;
  isPublic: boolean;
  disabled: boolean;
  description: string | null;
  extraSpecs: Record<string, string>;
  createdAt: number;
}

/** The flavor as a server keeps it, so a deleted flavor leaves its servers intact. */
export type FlavorSnapshot = Pick<Flavor, 'id' | 'name' | 'ram' | 'vcpus' | 'disk' | 'swap' | 'ephemeral' | 'extraSpecs'>;

export interface FlavorAccess {
  /** `<flavorId>:<projectId>`. */
  id: string;
  flavorId: string;
  projectId: string;
}

export interface Keypair {
  /** `<userId>/<name>`. */
  id: string;
  /** Nova's integer id (only shown by GET at 2.1). */
  seq: number;
  userId: string;
  name: string;
  type: 'ssh' | 'x509';
  publicKey: string;
  fingerprint: string;
  createdAt: number;
}

export type VmState =
  | 'building'
  | 'active'
  | 'stopped'
  | 'paused'
  | 'suspended'
  | 'resized'
  | 'rescued'
  | 'shelved'
  | 'shelved_offloaded'
  | 'soft-delete'
  | 'error'
  | 'deleted';

/** Nova's power states on the wire: 0 NOSTATE, 1 RUNNING, 3 PAUSED, 4 SHUTDOWN, 6 CRASHED, 7 SUSPENDED. */
export type PowerCode = 0 | 1 | 3 | 4 | 6 | 7;

/** One network request of a server create (`networks` entries). */
export interface NetworkRequest {
  networkId?: string;
  portId?: string;
  fixedIp?: string;
}

/** `networks`: explicit requests, 'auto' (one usable network, else none), or 'none'. */
export type RequestedNetworks = NetworkRequest[] | 'auto' | 'none';

/** An IP address as a server shows it. */
export interface ServerAddress {
  ip: string;
  version: 4 | 6;
  subnetId: string;
}

/** A port the server uses; `owned` ports were made for it and are deleted with it. */
export interface ServerPort {
  portId: string;
  networkId: string;
  networkName: string;
  macAddress: string;
  fixedIps: ServerAddress[];
  owned: boolean;
}

/** A block device: the boot disk from a volume, or a volume attached later. */
export interface BlockDevice {
  /** Null until a volume was made for an image or blank source. */
  volumeId: string | null;
  sourceType: 'volume' | 'image' | 'blank' | 'snapshot';
  /** GiB, for volumes Stratus makes. */
  size: number | null;
  imageId: string | null;
  bootIndex: number | null;
  deleteOnTermination: boolean;
  device: string;
  /** Local path of the volume's file, as block storage reported it at attach. */
  path?: string;
  /** attaching → attached; detaching → removed. */
  state: 'pending' | 'attaching' | 'attached' | 'detaching';
}

export interface Fault {
  code: number;
  message: string;
  details: string;
  createdAt: number;
}

export type TaskOp =
  | 'build'
  | 'delete'
  | 'start'
  | 'stop'
  | 'reboot'
  | 'pause'
  | 'unpause'
  | 'suspend'
  | 'resume'
  | 'rebuild'
  | 'resize'
  | 'confirmResize'
  | 'revertResize'
  | 'snapshot';

/**
 * Work the reconciler owes a server. The API writes it with the task state in one
 * transaction; the reconciler clears it when it records the outcome. `id` tells a task from
 * a later one that replaced it (a delete during a build).
 */
export interface ServerTask {
  id: string;
  op: TaskOp;
  requestId: string;
  rebootType?: 'SOFT' | 'HARD';
  imageId?: string;
  /** snapshot: the image record to fill. */
  snapshotImageId?: string;
  /** createBackup: keep this many backups of `backupType` after the new one is uploaded. */
  backup?: { type: string; rotation: number };
  /** The caller the task acts for (image and volume calls need a project). */
  caller?: Caller;
}

export interface Server {
  id: string;
  /** Sequence number behind the instance name (`instance-0000002a`). */
  seq: number;
  name: string;
  hostname: string;
  projectId: string;
  userId: string;
  imageId: string | null;
  flavor: FlavorSnapshot;
  /** The flavor before a resize, until it is confirmed or reverted. */
  oldFlavor: FlavorSnapshot | null;
  vmState: VmState;
  taskState: string | null;
  powerState: PowerCode;
  metadata: Record<string, string>;
  keyName: string | null;
  publicKey: string | null;
  userData: string | null;
  accessIPv4: string;
  accessIPv6: string;
  configDrive: boolean;
  diskConfig: 'MANUAL' | 'AUTO';
  availabilityZone: string;
  /** The zone the user asked for; the scheduler keeps the server in it. */
  requestedZone?: string | null;
  securityGroups: { id: string | null; name: string }[];
  requestedNetworks: RequestedNetworks;
  ports: ServerPort[];
  blockDevices: BlockDevice[];
  host: string | null;
  node: string | null;
  groupId: string | null;
  locked: boolean;
  lockedBy: 'owner' | 'admin' | null;
  reservationId: string;
  launchIndex: number;
  launchedAt: number | null;
  fault: Fault | null;
  task: ServerTask | null;
  createdAt: number;
  updatedAt: number;
}

/** A compute host as a placement resource provider. */
export interface ResourceProvider {
  id: string;
  /** Hypervisor hostname. */
  name: string;
  /** Integer id shown by os-hypervisors. */
  seq: number;
  hostIp: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  cpuRatio: number;
  ramRatio: number;
  diskRatio: number;
  reservedMemoryMb: number;
  cpuInfo: string;
  updatedAt: number;
}

/**
 * What one consumer holds on a provider. The consumer is a server (id = server id) or, while a
 * resize waits for confirmation, the old flavor's hold (id = `<server id>:migration`).
 */
export interface Allocation {
  id: string;
  serverId: string;
  providerId: string;
  projectId: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

export type GroupPolicy = 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';

export interface ServerGroup {
  id: string;
  name: string;
  projectId: string;
  userId: string;
  policy: GroupPolicy;
  members: string[];
  createdAt: number;
}

export interface InstanceEvent {
  event: string;
  startTime: number;
  finishTime: number | null;
  result: 'Success' | 'Error' | null;
  traceback: string | null;
}

export interface InstanceAction {
  /** `<serverId>/<requestId>`. */
  id: string;
  serverId: string;
  action: string;
  requestId: string;
  userId: string;
  projectId: string;
  startTime: number;
  message: string | null;
  events: InstanceEvent[];
}

export interface QuotaRecord {
  /** The project id (or `defaults` for the class defaults). */
  id: string;
  limits: Partial<Record<QuotaResource, number>>;
}

export const QUOTA_RESOURCES = [
  'instances',
  'cores',
  'ram',
  'floating_ips',
  'fixed_ips',
  'metadata_items',
  'key_pairs',
  'security_groups',
  'security_group_rules',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'server_groups',
  'server_group_members',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** Nova's default quotas (-1 is unlimited). */
export const DEFAULT_QUOTAS: Record<QuotaResource, number> = {
  instances: 10,
  cores: 20,
  ram: 51200,
  floating_ips: 10,
  fixed_ips: -1,
  metadata_items: 128,
  key_pairs: 100,
  security_groups: 10,
  security_group_rules: 20,
  injected_files: 5,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
  server_groups: 10,
  server_group_members: 10,
};

/** A server's life for os-simple-tenant-usage; kept after the server is deleted. */
export interface UsageRecord {
  id: string;
  projectId: string;
  name: string;
  flavorName: string;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  startedAt: number;
  endedAt: number | null;
  state: VmState;
}

/** The nova-compute / nova-scheduler / nova-conductor services of os-services. */
export interface ComputeService {
  id: string;
  seq: number;
  binary: string;
  host: string;
  zone: string;
  disabled: boolean;
  disabledReason: string | null;
  forcedDown: boolean;
  updatedAt: number;
}

/** os-aggregates: a group of hosts, optionally an availability zone. */
export interface Aggregate {
  id: string;
  /** Nova's integer id. */
  seq: number;
  name: string;
  availabilityZone: string | null;
  hosts: string[];
  metadata: Record<string, string>;
  createdAt: number;
  updatedAt: number | null;
}

export const AVAILABILITY_ZONE = 'nova';
export const INTERNAL_ZONE = 'internal';
