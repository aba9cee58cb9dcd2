import type { Readable } from 'node:stream';
import { StratusError } from '../../../core/errors.js';
import type { Caller, ServerAddress } from './models.js';
import type { NetworkProxy, VolumeProxy } from './proxy-ports.js';

/**
 * What compute needs from the other services, as narrow interfaces. The composition root
 * wires adapters (../adapters/) from these to the image, network and volume logic; compute
 * never reads their records. When a service is missing, its adapter is one of the
 * `unavailable*` objects below, which refuse with a clear 400 instead of failing with a 500.
 *
 * Errors: every method rejects with a StratusError whose kind is what Nova would answer
 * (BadRequest for a bad reference in a request, Conflict for a resource in the wrong state).
 */

/** An image as compute sees it. */
export interface ImageInfo {
  id: string;
  name: string;
  status: string;
  size: number | null;
  diskFormat: string | null;
  containerFormat: string | null;
  /** GiB. */
  minDisk: number;
  /** MiB. */
  minRam: number;
  checksum: string | null;
  properties: Record<string, string>;
  createdAt?: number;
  updatedAt?: number;
}

export interface NewSnapshotImage {
  name: string;
  serverId: string;
  properties: Record<string, string>;
  minDisk: number;
  minRam: number;
}

/** Glance, as seen from compute. */
export interface ImageCatalog {
  readonly available: boolean;
  /** The image if the caller's project may use it; NotFound otherwise (also for non-UUIDs). */
  get(caller: Caller, imageId: string): Promise<ImageInfo>;
  /** The image's bytes (status active); the caller reads the stream once or destroys it. */
  open(caller: Caller, imageId: string): Promise<Readable>;
  /** A queued image record for a server snapshot (createImage). */
  createSnapshot(caller: Caller, input: NewSnapshotImage): Promise<ImageInfo>;
  /** Uploads bytes into a queued image, which becomes active. */
  upload(caller: Caller, imageId: string, data: Readable | AsyncIterable<Uint8Array>, diskFormat: string): Promise<void>;
  /** Removes an image (best effort, after a failed snapshot). */
  delete(caller: Caller, imageId: string): Promise<void>;
  /** Active images whose extra properties include `properties`, oldest first (backup rotation). */
  find(caller: Caller, properties: Record<string, string>): Promise<ImageInfo[]>;
  /** Every image the caller may see, in any status, newest first (the compute images proxy). */
  list(caller: Caller): Promise<ImageInfo[]>;
  /** Sets extra properties (`replace`: all of them), and removes those in `remove`. */
  setProperties(caller: Caller, imageId: string, props: Record<string, string>, replace: boolean, remove?: string[]): Promise<ImageInfo>;
}

/** A network as compute sees it. */
export interface NetworkInfo {
  id: string;
  name: string;
  projectId: string;
  shared: boolean;
  external: boolean;
}

/** A port as compute sees it. */
export interface PortInfo {
  id: string;
  networkId: string;
  networkName: string;
  macAddress: string;
  fixedIps: ServerAddress[];
  deviceId: string;
  deviceOwner: string;
  securityGroupIds: string[];
  mtu: number;
}

export interface SecurityGroupRef {
  id: string;
  name: string;
}

/** One address of a server, grouped under its network name in `addresses`. */
export interface AddressEntry {
  addr: string;
  version: 4 | 6;
  type: 'fixed' | 'floating';
  mac: string;
}

/** Facts about a subnet for network_data.json. */
export interface SubnetInfo {
  id: string;
  cidr: string;
  gatewayIp: string | null;
  dnsNameservers: string[];
  ipVersion: 4 | 6;
  enableDhcp: boolean;
}

/** Neutron, as seen from compute. */
export interface NetworkPorts {
  readonly available: boolean;
  /** Nova 2.1's network proxy APIs; absent without Neutron (see proxy-ports.ts). */
  readonly proxy?: NetworkProxy;
  /** The network if the caller may attach to it; BadRequest "Network X could not be found." otherwise. */
  network(caller: Caller, networkId: string): Promise<NetworkInfo>;
  /**
   * The networks a server gets when the request names none: the project's own networks plus
   * shared ones, external ones excluded. Nova refuses more than one with a 409.
   */
  usableNetworks(caller: Caller): Promise<NetworkInfo[]>;
  /** A port the caller may give a server: it must exist and be unbound (409 PortInUse). */
  port(caller: Caller, portId: string): Promise<PortInfo>;
  /** Each entry is a name or an id; BadRequest for one that matches nothing. */
  securityGroups(caller: Caller, namesOrIds: string[]): Promise<SecurityGroupRef[]>;
  /** A new port on a network for a server, bound to it (device owner `compute:<zone>`). */
  createPort(caller: Caller, spec: { networkId: string; serverId: string; fixedIp?: string; securityGroupIds: string[]; host: string; zone: string }): Promise<PortInfo>;
  /** Binds an existing port to a server; idempotent. */
  bindPort(portId: string, serverId: string, host: string, zone: string): Promise<PortInfo>;
  /** Ports bound to a server (to adopt after a crash between creating and recording one). */
  portsOf(serverId: string): Promise<PortInfo[]>;
  /** Replaces the security groups of a port (add/removeSecurityGroup). */
  setSecurityGroups(portId: string, groupIds: string[]): Promise<void>;
  /** Clears the binding of a port the user brought; absent ports are ignored. */
  unbindPort(portId: string): Promise<void>;
  /** Deletes a port compute made; absent ports are ignored. */
  deletePort(portId: string): Promise<void>;
  /** The addresses of many servers at once (fixed and floating), by network name. */
  addresses(serverIds: string[]): Promise<Map<string, Record<string, AddressEntry[]>>>;
  /** Subnets of the given ids, for the metadata service. */
  subnets(subnetIds: string[]): Promise<SubnetInfo[]>;
}

/** A volume as compute sees it. */
export interface VolumeInfo {
  id: string;
  status: string;
  size: number;
  bootable: boolean;
  availabilityZone: string;
  /** Servers it is attached to (or reserved for). */
  serverIds: string[];
}

/** Cinder, as seen from compute. */
export interface VolumeAttachments {
  readonly available: boolean;
  /** Nova 2.1's volume proxy APIs; absent without Cinder (see proxy-ports.ts). */
  readonly proxy?: VolumeProxy;
  /** The volume if the caller may use it; NotFound otherwise. */
  get(caller: Caller, volumeId: string): Promise<VolumeInfo>;
  /** available → attaching (reserved for the server); 400 when the volume is not available. */
  reserve(caller: Caller, volumeId: string, serverId: string): Promise<void>;
  /** attaching → in-use with an attachment at `device`; idempotent. Returns the local path if any. */
  attach(volumeId: string, serverId: string, device: string, host: string): Promise<{ path?: string }>;
  /** Undoes a reservation that will not be completed; idempotent. */
  unreserve(volumeId: string, serverId: string): Promise<void>;
  /** in-use → detaching; 400 when the volume is not attached to the server. */
  beginDetach(caller: Caller, volumeId: string, serverId: string): Promise<void>;
  /** Removes the server's attachment (→ available when it was the last); idempotent. */
  detach(volumeId: string, serverId: string): Promise<void>;
  /** A new volume (blank, or from an image); resolves once it is available. */
  create(caller: Caller, spec: { size: number; name: string; imageId?: string; snapshotId?: string }): Promise<VolumeInfo>;
  /** Deletes a volume (after detach, for delete_on_termination); absent volumes are ignored. */
  delete(caller: Caller, volumeId: string): Promise<void>;
}

function unavailable(what: string): never {
  throw new StratusError('BadRequest', `${what} service unavailable: this cloud runs without it.`, 'ServiceUnavailable');
}

/** The image port when no image service is wired in. */
export const noImages: ImageCatalog = {
  available: false,
  get: async () => unavailable('image'),
  open: async () => unavailable('image'),
  createSnapshot: async () => unavailable('image'),
  upload: async () => unavailable('image'),
  delete: async () => undefined,
  find: async () => [],
  list: async () => unavailable('image'),
  setProperties: async () => unavailable('image'),
};

/** The network port when no network service is wired in: servers get no addresses. */
export const noNetwork: NetworkPorts = {
  available: false,
  network: async () => unavailable('network'),
  usableNetworks: async () => [],
  port: async () => unavailable('network'),
  securityGroups: async (_c, names) => {
    if (names.every((n) => n === 'default')) return names.map((n) => ({ id: '', name: n }));
    return unavailable('network');
  },
  createPort: async () => unavailable('network'),
  bindPort: async () => unavailable('network'),
  portsOf: async () => [],
  setSecurityGroups: async () => unavailable('network'),
  unbindPort: async () => undefined,
  deletePort: async () => undefined,
  addresses: async (ids) => new Map(ids.map((id) => [id, {}])),
  subnets: async () => [],
};

/** The volume port when no block storage service is wired in. */
export const noVolumes: VolumeAttachments = {
  available: false,
  get: async () => unavailable('volume'),
  reserve: async () => unavailable('volume'),
  attach: async () => unavailable('volume'),
  unreserve: async () => undefined,
  beginDetach: async () => unavailable('volume'),
  detach: async () => undefined,
  create: async () => unavailable('volume'),
  delete: async () => undefined,
};
