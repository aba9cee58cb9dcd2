import { StratusError } from '../../../core/errors.js';
import { E } from './errors.js';
import type { BlockDevice, Caller, Flavor, NetworkRequest, RequestedNetworks } from './models.js';
import type { ComputePorts } from './context.js';
import type { ImageInfo } from './ports.js';

/** One `block_device_mapping_v2` entry, validated for shape by the schema. */
export interface BdmInput {
  sourceType: 'volume' | 'image' | 'blank' | 'snapshot';
  destinationType: 'volume' | 'local';
  uuid?: string;
  bootIndex: number | null;
  volumeSize?: number;
  deleteOnTermination: boolean;
  deviceName?: string;
}

const GiB = 1024 ** 3;

/** Rewrites a NotFound from another service as Nova's 400 for a bad reference in a create. */
async function asBadRequest<T>(p: Promise<T>, message: string): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof StratusError && e.kind === 'NotFound') throw E.bad(message);
    throw e;
  }
}

/** The image a server boots from, checked against the flavor (Nova's 400s). */
export async function checkImage(ports: ComputePorts, caller: Caller, ref: string, flavor: Flavor, bootFromVolume: boolean): Promise<ImageInfo> {
  const img = await asBadRequest(ports.images.get(caller, ref), `Image ${ref} could not be found.`);
  if (img.status !== 'active') throw E.bad(`Image ${img.id} is not active.`, 'ImageNotActive');
  if (img.minRam > flavor.ram) throw E.bad("Flavor's memory is too small for requested image.", 'FlavorMemoryTooSmall');
  if (!bootFromVolume && flavor.disk > 0) {
    if (img.minDisk > flavor.disk) throw E.bad("Flavor's disk is too small for requested image. Flavor disk is " +
      `${flavor.disk * GiB} bytes, minimum disk is ${img.minDisk * GiB} bytes.`, 'FlavorDiskSmallerThanMinDisk');
    if ((img.size ?? 0) > flavor.disk * GiB) throw E.bad(`Flavor's disk is too small for requested image. Flavor disk is ${flavor.disk * GiB} bytes, image is ${img.size} bytes.`, 'FlavorDiskSmallerThanImage');
  }
  return img;
}

/**
 * Resolves `networks`: explicit requests are checked (the network exists and is usable, the
 * port is free); nothing or 'auto' means the project's one usable network (409 when there
 * are several, none when there are none); 'none' means no network.
 */
export async function resolveNetworks(ports: ComputePorts, caller: Caller, req: RequestedNetworks | undefined, count: number): Promise<RequestedNetworks> {
  const net = ports.network;
  if (req === 'none') return 'none';
  if (req === undefined || req === 'auto') {
    if (!net.available) return 'none';
    const usable = await net.usableNetworks(caller);
    if (usable.length > 1) throw E.conflict('Multiple possible networks found, use a Network ID to be more specific.', 'NetworkAmbiguous');
    return usable.length ? [{ networkId: usable[0]!.id }] : 'none';
  }
  const out: NetworkRequest[] = [];
  for (const r of req) {
    if (r.portId) {
      if (count > 1) throw E.bad('Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.');
      const p = await asBadRequest(net.port(caller, r.portId), `Port ${r.portId} could not be found.`);
      out.push({ portId: p.id, networkId: p.networkId });
      continue;
    }
    if (r.fixedIp && count > 1) throw E.bad('Unable to launch multiple instances with a single configured fixed IP.');
    const n = await asBadRequest(net.network(caller, r.networkId!), `Network ${r.networkId} could not be found.`);
    if (n.external && !n.shared && !caller.admin) throw E.forbidden(`It is not allowed to create an interface on external network ${n.id}`, 'ExternalNetworkAttachForbidden');
    out.push(r.fixedIp ? { networkId: n.id, fixedIp: r.fixedIp } : { networkId: n.id });
  }
  return out;
}

function deviceName(i: number): string {
  return `/dev/vd${String.fromCharCode(97 + i)}`;
}

/**
 * Checks `block_device_mapping_v2` against block storage and returns the server's block
 * devices: the boot device first (`/dev/vda`), then the rest in order. Local ephemeral and
 * swap entries are accepted and ignored (the flavor gives them).
 */
export async function resolveBlockDevices(ports: ComputePorts, caller: Caller, bdms: BdmInput[], count: number): Promise<BlockDevice[]> {
  const volumes = bdms.filter((b) => b.destinationType === 'volume');
  if (volumes.length && !ports.volumes.available) throw E.bad('Block Device Mapping is Invalid: volume service unavailable: this cloud runs without it.');
  const sorted = [...volumes].sort((a, b) => (a.bootIndex === 0 ? -1 : b.bootIndex === 0 ? 1 : 0));
  const out: BlockDevice[] = [];
  for (const b of sorted) {
    if (b.sourceType === 'volume') {
      if (count > 1) throw E.bad('Block Device Mapping is Invalid: the same volume cannot boot several servers.');
      const v = await asBadRequest(ports.volumes.get(caller, b.uuid!), `Block Device Mapping is Invalid: failed to get volume ${b.uuid}.`);
      if (v.status !== 'available') throw E.bad(`Block Device Mapping is Invalid: Volume ${v.id} status must be available, but it is ${v.status}.`);
      if (b.bootIndex === 0 && !v.bootable) throw E.bad(`Block Device ${v.id} is not bootable.`, 'InvalidBDMVolumeNotBootable');
    }
    if (b.sourceType === 'image') await asBadRequest(ports.images.get(caller, b.uuid!), `Block Device Mapping is Invalid: failed to get image ${b.uuid}.`);
    if ((b.sourceType === 'blank' || b.sourceType === 'image') && !b.volumeSize) throw E.bad('Block Device Mapping is Invalid: volume_size is required to make a volume.');
    out.push({
      volumeId: b.sourceType === 'volume' ? b.uuid! : null,
      sourceType: b.sourceType,
      size: b.volumeSize ?? null,
      imageId: b.sourceType === 'image' ? b.uuid! : null,
      bootIndex: b.bootIndex,
      deleteOnTermination: b.deleteOnTermination,
      device: b.deviceName ?? deviceName(out.length),
      state: 'pending',
    });
  }
  return out;
}

/** The image a boot-from-volume server reports: none, but its root volume's image name is kept in `imageId`. */
export function bootsFromVolume(devices: BlockDevice[]): boolean {
  return devices.some((d) => d.bootIndex === 0);
}

/** A host name from a display name (nova's sanitize_hostname, simplified). */
export function hostnameOf(name: string, index: number, count: number): string {
  let h = name.toLowerCase().replace(/[ _.]/g, '-').replace(/[^a-z0-9-]/g, '');
  h = h.replace(/^-+|-+$/g, '').slice(0, 63) || 'server';
  return count > 1 ? `${h.slice(0, 58)}-${index + 1}` : h;
}
