import { badRequest } from '../../../core/errors.js';
import { UUID_RE } from '../../../core/ids.js';
import { isObject, type Json } from '../../../core/validate.js';
import type { BdmInput } from '../logic/create-checks.js';
import type { ServerCreateInput } from '../logic/create.js';
import type { NetworkRequest, RequestedNetworks } from '../logic/models.js';
import { body, boolLike, canonicalIpv6, intLike, invalid, ipAny, ipv4, ipv6, metadata, name, onlyKeys, optString, refId, uuidField } from './common.js';

const SERVER_KEYS = [
  'name', 'imageRef', 'flavorRef', 'adminPass', 'metadata', 'networks', 'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6',
  'personality', 'availability_zone', 'block_device_mapping', 'block_device_mapping_v2', 'config_drive', 'key_name',
  'min_count', 'max_count', 'return_reservation_id', 'security_groups', 'user_data',
] as const;

const BDM_KEYS = [
  'source_type', 'destination_type', 'uuid', 'boot_index', 'volume_size', 'delete_on_termination', 'device_name',
  'guest_format', 'disk_bus', 'device_type', 'no_device', 'connection_info', 'snapshot_id', 'volume_id', 'image_id',
];

function networks(v: unknown): RequestedNetworks {
  if (v === 'auto' || v === 'none') return v;
  if (!Array.isArray(v)) throw invalid('networks', `${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'array'`);
  return v.map((n, i): NetworkRequest => {
    if (!isObject(n)) throw invalid(`networks/${i}`, `${JSON.stringify(n)} is not of type 'object'`);
    onlyKeys(n, ['uuid', 'port', 'fixed_ip'], `networks/${i}`);
    const out: NetworkRequest = {};
    if (n.port !== undefined && n.port !== null) out.portId = uuidField(n.port, `networks/${i}/port`);
    if (n.uuid !== undefined) {
      if (typeof n.uuid !== 'string' || !UUID_RE.test(n.uuid)) throw badRequest(`Bad networks format: network uuid is not in proper format (${String(n.uuid)})`);
      out.networkId = n.uuid;
    }
    if (n.fixed_ip !== undefined) out.fixedIp = ipAny(n.fixed_ip, `networks/${i}/fixed_ip`);
    if (!out.portId && !out.networkId) throw badRequest('Bad network format: missing uuid or port.');
    return out;
  });
}

function securityGroups(v: unknown): string[] {
  if (!Array.isArray(v)) throw invalid('security_groups', `${JSON.stringify(v)} is not of type 'array'`);
  return v.map((g, i) => {
    if (!isObject(g) || typeof g.name !== 'string' || g.name.trim() === '') throw invalid(`security_groups/${i}`, `${JSON.stringify(g)}. 'name' is a required property`);
    return g.name.trim();
  });
}

function bdm(b: unknown, i: number): BdmInput {
  const f = `block_device_mapping_v2/${i}`;
  if (!isObject(b)) throw invalid(f, `${JSON.stringify(b)} is not of type 'object'`);
  onlyKeys(b, BDM_KEYS, f);
  const source = b.source_type ?? 'volume';
  if (!['volume', 'image', 'blank', 'snapshot'].includes(source as string)) throw invalid(`${f}/source_type`, `${JSON.stringify(source)} is not one of ['volume', 'image', 'snapshot', 'blank']`);
  const dest = b.destination_type ?? (source === 'image' || source === 'blank' ? 'local' : 'volume');
  if (dest !== 'volume' && dest !== 'local') throw invalid(`${f}/destination_type`, `${JSON.stringify(dest)} is not one of ['local', 'volume']`);
  const uuid = b.uuid ?? b.volume_id ?? b.image_id ?? b.snapshot_id;
  const out: BdmInput = {
    sourceType: source as BdmInput['sourceType'],
    destinationType: dest,
    bootIndex: b.boot_index === undefined || b.boot_index === null || b.boot_index === 'none' ? null : intLike(b.boot_index, `${f}/boot_index`, -1),
    deleteOnTermination: b.delete_on_termination === undefined ? false : boolLike(b.delete_on_termination, `${f}/delete_on_termination`),
  };
  if (out.bootIndex === -1) out.bootIndex = null;
  if (source !== 'blank') out.uuid = uuidField(uuid, `${f}/uuid`);
  if (b.volume_size !== undefined && b.volume_size !== null) out.volumeSize = intLike(b.volume_size, `${f}/volume_size`, 1, 1024 * 1024);
  if (b.device_name !== undefined && b.device_name !== null) {
    const d = optString(b, 'device_name')!;
    out.deviceName = d.startsWith('/dev/') ? d : `/dev/${d}`;
  }
  if (dest === 'volume' && (source === 'blank' || source === 'image') && out.volumeSize === undefined) throw badRequest('Block Device Mapping is Invalid: volume_size is required to make a volume.');
  return out;
}

/** The legacy `block_device_mapping` (volume ids only), converted to v2 entries. */
function legacyBdm(v: unknown): BdmInput[] {
  if (!Array.isArray(v)) throw invalid('block_device_mapping', `${JSON.stringify(v)} is not of type 'array'`);
  return v.map((b, i) => {
    if (!isObject(b) || typeof b.volume_id !== 'string') throw invalid(`block_device_mapping/${i}`, 'volume_id is required');
    const dev = typeof b.device_name === 'string' ? b.device_name : undefined;
    const root = dev === 'vda' || dev === '/dev/vda';
    return { sourceType: 'volume', destinationType: 'volume', uuid: uuidField(b.volume_id, `block_device_mapping/${i}/volume_id`), bootIndex: root ? 0 : null, deleteOnTermination: b.delete_on_termination === undefined ? false : boolLike(b.delete_on_termination, 'delete_on_termination'), ...(dev ? { deviceName: dev.startsWith('/dev/') ? dev : `/dev/${dev}` } : {}) };
  });
}

function userData(v: unknown): string {
  if (typeof v !== 'string') throw invalid('user_data', `${JSON.stringify(v)} is not of type 'string'`);
  const clean = v.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw badRequest('User data needs to be valid base 64.');
  if (clean.length > 65535) throw invalid('user_data', 'too long (at most 65535 characters)');
  return clean;
}

function counts(s: Json): { minCount: number; maxCount: number } {
  const min = s.min_count === undefined ? 1 : intLike(s.min_count, 'min_count', 1);
  const max = s.max_count === undefined ? min : intLike(s.max_count, 'max_count', 1);
  if (min > max) throw badRequest("min_count must be <= max_count");
  return { minCount: min, maxCount: max };
}

function schedulerGroup(b: Json): string | undefined {
  const hints = b['os:scheduler_hints'] ?? b['OS-SCH-HNT:scheduler_hints'];
  if (hints === undefined) return undefined;
  if (!isObject(hints)) throw invalid('os:scheduler_hints', `${JSON.stringify(hints)} is not of type 'object'`);
  if (hints.group === undefined) return undefined;
  return uuidField(Array.isArray(hints.group) ? hints.group[0] : hints.group, 'os:scheduler_hints/group');
}

/** Parses `POST /servers` as Nova 2.1 validates it; anything malformed is a 400. */
export function parseServerCreate(raw: unknown): ServerCreateInput & { returnReservationId: boolean } {
  const s = body(raw, 'server');
  onlyKeys(raw as Json, ['server', 'os:scheduler_hints', 'OS-SCH-HNT:scheduler_hints'], 'body');
  onlyKeys(s, SERVER_KEYS, 'server');
  const imageRef = s.imageRef === undefined || s.imageRef === null ? '' : optString(s, 'imageRef', 2048)!;
  const flavor = s.flavorRef;
  if (flavor === undefined) throw invalid('flavorRef', "None. 'flavorRef' is a required property");
  if ((typeof flavor !== 'string' && typeof flavor !== 'number') || String(flavor).trim() === '') throw invalid('flavorRef', `${JSON.stringify(flavor)} is not valid`);
  if (s.name === undefined) throw invalid('name', "None. 'name' is a required property");
  const v2 = s.block_device_mapping_v2 ?? [];
  if (!Array.isArray(v2)) throw invalid('block_device_mapping_v2', `${JSON.stringify(v2)} is not of type 'array'`);
  const out: ServerCreateInput & { returnReservationId: boolean } = {
    name: name(s.name),
    imageRef: refId(imageRef),
    flavorRef: refId(String(flavor)),
    metadata: s.metadata === undefined ? {} : metadata(s.metadata),
    securityGroups: s.security_groups === undefined ? ['default'] : securityGroups(s.security_groups),
    diskConfig: 'MANUAL',
    configDrive: s.config_drive === undefined || s.config_drive === null ? false : boolLike(s.config_drive, 'config_drive'),
    blockDevices: [...v2.map(bdm), ...(s.block_device_mapping === undefined ? [] : legacyBdm(s.block_device_mapping))],
    returnReservationId: s.return_reservation_id === undefined ? false : boolLike(s.return_reservation_id, 'return_reservation_id'),
    ...counts(s),
  };
  optional(s, out);
  // An image booted to a local disk through the mapping is the same as imageRef.
  const localBoot = out.blockDevices.find((b) => b.sourceType === 'image' && b.destinationType === 'local' && b.bootIndex === 0);
  if (!out.imageRef && localBoot?.uuid) out.imageRef = localBoot.uuid;
  const group = schedulerGroup(raw as Json);
  if (group) out.groupId = group;
  return out;
}

function optional(s: Json, out: ServerCreateInput): void {
  const dc = s['OS-DCF:diskConfig'];
  if (dc !== undefined) {
    if (dc !== 'AUTO' && dc !== 'MANUAL') throw invalid('OS-DCF:diskConfig', `${JSON.stringify(dc)} is not one of ['AUTO', 'MANUAL']`);
    out.diskConfig = dc;
  }
  if (s.adminPass !== undefined) out.adminPass = optString(s, 'adminPass', 255)!;
  if (s.networks !== undefined) out.networks = networks(s.networks);
  if (s.key_name !== undefined && s.key_name !== null) out.keyName = optString(s, 'key_name')!;
  if (s.user_data !== undefined && s.user_data !== null) out.userData = userData(s.user_data);
  if (s.accessIPv4 !== undefined && s.accessIPv4 !== null && s.accessIPv4 !== '') out.accessIPv4 = ipv4(s.accessIPv4, 'accessIPv4');
  if (s.accessIPv6 !== undefined && s.accessIPv6 !== null && s.accessIPv6 !== '') out.accessIPv6 = canonicalIpv6(ipv6(s.accessIPv6, 'accessIPv6'));
  if (s.availability_zone !== undefined && s.availability_zone !== null) out.availabilityZone = optString(s, 'availability_zone')!;
  if (s.personality !== undefined && !Array.isArray(s.personality)) throw invalid('personality', 'is not of type array');
}
