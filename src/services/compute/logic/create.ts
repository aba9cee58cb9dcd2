import { randomBytes } from 'node:crypto';
import { StratusError } from '../../../core/errors.js';
import { uuid } from '../../../core/ids.js';
import type { StoreOps } from '../../../store/index.js';
import type { ComputeContext } from './context.js';
import { bootsFromVolume, checkImage, hostnameOf, resolveBlockDevices, resolveNetworks, type BdmInput } from './create-checks.js';
import { E } from './errors.js';
import type { Flavors } from './flavors.js';
import { snapshotOf } from './flavors.js';
import type { Groups } from './groups.js';
import type { InstanceActions } from './instance-actions.js';
import type { Keypairs } from './keypairs.js';
import { AVAILABILITY_ZONE, KIND, type BlockDevice, type Caller, type Flavor, type RequestedNetworks, type Server, type UsageRecord } from './models.js';
import type { Quotas } from './quotas.js';
import type { ServerRecords } from './servers.js';
import { TASK } from './states.js';

/** A validated `POST /servers` body (schemas/server-create.ts builds it). */
export interface ServerCreateInput {
  name: string;
  /** '' when booting from a volume. */
  imageRef: string;
  flavorRef: string;
  adminPass?: string;
  metadata: Record<string, string>;
  networks?: RequestedNetworks;
  securityGroups: string[];
  keyName?: string;
  userData?: string;
  accessIPv4?: string;
  accessIPv6?: string;
  diskConfig: 'MANUAL' | 'AUTO';
  configDrive: boolean;
  availabilityZone?: string;
  minCount: number;
  maxCount: number;
  blockDevices: BdmInput[];
  groupId?: string;
}

export interface CreateResult {
  servers: Server[];
  adminPass: string;
  reservationId: string;
}

/** Everything a create checks before it writes anything. */
interface Prepared {
  flavor: Flavor;
  imageId: string | null;
  publicKey: string | null;
  networks: RequestedNetworks;
  securityGroups: { id: string | null; name: string }[];
  devices: BlockDevice[];
}

export interface CreateDeps {
  ctx: ComputeContext;
  servers: ServerRecords;
  flavors: Flavors;
  keypairs: Keypairs;
  quotas: Quotas;
  groups: Groups;
  actions: InstanceActions;
  kick: (id: string) => void;
  /** Availability zones that have a compute host. */
  zones: () => Promise<string[]>;
}

function randomPassword(): string {
  return randomBytes(9).toString('base64').replace(/[+/]/g, 'x');
}

async function prepare(d: CreateDeps, caller: Caller, input: ServerCreateInput): Promise<Prepared> {
  const flavor = await d.flavors.get(caller, input.flavorRef).catch((e: unknown) => {
    throw e instanceof StratusError && e.kind === 'NotFound' ? E.bad(`Flavor ${input.flavorRef} could not be found.`, 'FlavorNotFound') : e;
  });
  if (flavor.disabled) throw E.bad(`Flavor ${flavor.id} is disabled.`);
  const ports = d.ctx.ports;
  const devices = await resolveBlockDevices(ports, caller, input.blockDevices, input.maxCount);
  const bfv = bootsFromVolume(devices);
  if (!input.imageRef && !bfv) throw E.bad('Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.');
  const imageId = input.imageRef && !bfv ? (await checkImage(ports, caller, input.imageRef, flavor, false)).id : null;
  let publicKey: string | null = null;
  if (input.keyName !== undefined) {
    const k = await d.keypairs.find(caller.userId, input.keyName);
    if (!k) throw E.bad('Invalid key_name provided.', 'KeypairNotFound');
    publicKey = k.publicKey;
  }
  const az = input.availabilityZone?.split(':')[0];
  if (az !== undefined && !(await d.zones()).includes(az)) throw E.bad('The requested availability zone is not available', 'InvalidRequest');
  const networks = await resolveNetworks(ports, caller, input.networks, input.maxCount);
  const securityGroups = (await ports.network.securityGroups(caller, input.securityGroups)).map((g) => ({ id: g.id || null, name: g.name }));
  if (input.groupId) await d.groups.get(caller, input.groupId);
  const limits = await d.quotas.limits(caller.projectId);
  const items = Object.keys(input.metadata).length;
  if (limits.metadata_items >= 0 && items > limits.metadata_items) throw E.quota('metadata_items', items, 0, limits.metadata_items);
  return { flavor, imageId, publicKey, networks, securityGroups, devices };
}

function buildServer(caller: Caller, input: ServerCreateInput, p: Prepared, seq: number, index: number, count: number, reservationId: string, now: number): Server {
  const name = count > 1 ? `${input.name}-${index + 1}` : input.name;
  return {
    id: uuid(),
    seq,
    name,
    hostname: hostnameOf(input.name, index, count),
    projectId: caller.projectId,
    userId: caller.userId,
    imageId: p.imageId,
    flavor: snapshotOf(p.flavor),
    oldFlavor: null,
    vmState: 'building',
    taskState: TASK.scheduling,
    powerState: 0,
    metadata: { ...input.metadata },
    keyName: input.keyName ?? null,
    publicKey: p.publicKey,
    userData: input.userData ?? null,
    accessIPv4: input.accessIPv4 ?? '',
    accessIPv6: input.accessIPv6 ?? '',
    configDrive: input.configDrive,
    diskConfig: input.diskConfig,
    availabilityZone: input.availabilityZone?.split(':')[0] ?? AVAILABILITY_ZONE,
    requestedZone: input.availabilityZone?.split(':')[0] ?? null,
    securityGroups: p.securityGroups,
    requestedNetworks: p.networks,
    ports: [],
    blockDevices: p.devices.map((b) => ({ ...b })),
    host: null,
    node: null,
    groupId: input.groupId ?? null,
    locked: false,
    lockedBy: null,
    reservationId,
    launchIndex: index,
    launchedAt: null,
    fault: null,
    task: { id: uuid(), op: 'build', requestId: caller.requestId, caller },
    createdAt: now,
    updatedAt: now,
  };
}

/** Writes the servers, their usage records and group memberships in one transaction. */
async function persist(d: CreateDeps, caller: Caller, input: ServerCreateInput, p: Prepared, reservationId: string, tx: StoreOps): Promise<Server[]> {
  const per = { cores: p.flavor.vcpus, ram: p.flavor.ram };
  const count = await d.quotas.fit(caller.projectId, per, input.minCount, input.maxCount, tx);
  if (input.groupId) await d.groups.addMembers(input.groupId, count, tx);
  const now = d.ctx.now();
  const out: Server[] = [];
  for (let i = 0; i < count; i++) {
    const s = buildServer(caller, input, p, await d.ctx.nextSeq('instance', tx), i, count, reservationId, now);
    await d.servers.repo.create(s, tx);
    if (input.groupId) await d.groups.join(input.groupId, s.id, tx);
    const usage: UsageRecord = { id: s.id, projectId: s.projectId, name: s.name, flavorName: p.flavor.name, vcpus: p.flavor.vcpus, memoryMb: p.flavor.ram, localGb: p.flavor.disk, startedAt: now, endedAt: null, state: 'building' };
    await tx.create(KIND.usage, s.id, usage);
    await d.actions.record(s.id, 'create', caller, tx);
    out.push(s);
  }
  return out;
}

/**
 * `POST /servers`: checks every reference (flavor, image, key, networks, ports, security
 * groups, volumes, group), writes the servers in BUILD/scheduling within the quota, and
 * hands them to the reconciler (which reserves volumes and makes ports). Resolves before any
 * driver work.
 */
export async function createServers(d: CreateDeps, caller: Caller, input: ServerCreateInput): Promise<CreateResult> {
  const p = await prepare(d, caller, input);
  const reservationId = `r-${randomBytes(4).toString('hex')}`;
  const servers = await d.ctx.store.tx((tx) => persist(d, caller, input, p, reservationId, tx));
  for (const s of servers) {
    d.ctx.changed(KIND.server, 'created', s.id, s.projectId);
    d.kick(s.id);
  }
  return { servers, adminPass: input.adminPass ?? randomPassword(), reservationId };
}
