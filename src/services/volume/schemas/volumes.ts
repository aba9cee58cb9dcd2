import { badRequest } from '../../../core/errors.js';
import { isObject, q, str, wrapped, type Json } from '../../../core/validate.js';
import type { VolumeSource } from '../logic/models.js';
import type { CreateVolumeInput, VolumeFilter, VolumePatch } from '../logic/volumes.js';
import { boolOf, metadataFilter, metadataOf, queryBool, sizeOf, text } from './common.js';

/** Keys `sort` accepts for volumes (wire names), and their aliases. */
export const VOLUME_SORT_KEYS = ['id', 'name', 'status', 'size', 'availability_zone', 'created_at', 'updated_at', 'bootable', 'user_id', 'project_id', 'volume_type'];
export const VOLUME_SORT_ALIASES: Record<string, string> = { display_name: 'name' };

function ref(o: Json, names: string[]): string | undefined {
  for (const n of names) {
    const v = str(o, n, { nullable: true, max: 255 });
    if (v) return v;
  }
  return undefined;
}

function sourceOf(b: Json): VolumeSource {
  if (b.backup_id !== undefined && b.backup_id !== null) throw badRequest('Invalid input received: creating a volume from a backup is not supported (no backup service).');
  const image = ref(b, ['imageRef', 'image_id']);
  const snapshot = ref(b, ['snapshot_id']);
  const volume = ref(b, ['source_volid']);
  const given = [image, snapshot, volume].filter((x) => x !== undefined);
  if (given.length > 1) throw badRequest('Invalid input received: only one of imageRef, snapshot_id and source_volid may be given.');
  if (image) return { kind: 'image', imageId: image };
  if (snapshot) return { kind: 'snapshot', snapshotId: snapshot };
  if (volume) return { kind: 'volume', volumeId: volume };
  return { kind: 'blank' };
}

/** POST /volumes: `{"volume": {...}}` as cinderclient, the SDK and tempest send it (nulls allowed). */
export function createVolumeBody(body: unknown): CreateVolumeInput {
  const b = wrapped(body, 'volume');
  const source = sourceOf(b);
  const input: CreateVolumeInput = {
    name: text(b, ['name', 'display_name']) ?? null,
    description: text(b, ['description', 'display_description']) ?? null,
    availabilityZone: str(b, 'availability_zone', { nullable: true, max: 255 }) ?? null,
    volumeType: str(b, 'volume_type', { nullable: true, max: 255 }) ?? null,
    metadata: metadataOf(b.metadata),
    source,
  };
  if (b.size !== undefined && (b.size !== null || source.kind === 'blank')) input.size = sizeOf(b.size, 'Volume size');
  if (b.multiattach === true) throw badRequest('Invalid input received: multiattach volumes are not supported.');
  return input;
}

/** PUT /volumes/{id}. */
export function updateVolumeBody(body: unknown): VolumePatch {
  const b = wrapped(body, 'volume');
  const patch: VolumePatch = {};
  const name = text(b, ['name', 'display_name']);
  const description = text(b, ['description', 'display_description']);
  if (name !== undefined) patch.name = name;
  if (description !== undefined) patch.description = description;
  if (b.metadata !== undefined) patch.metadata = metadataOf(b.metadata);
  return patch;
}

/** The list filters of GET /volumes[/detail]. */
export function volumeFilterOf(query: unknown): VolumeFilter {
  const f: VolumeFilter = {};
  const allTenants = queryBool(query, 'all_tenants');
  if (allTenants) f.allTenants = true;
  const pairs: [keyof VolumeFilter, string][] = [
    ['projectId', 'project_id'],
    ['name', 'name'],
    ['status', 'status'],
    ['availabilityZone', 'availability_zone'],
  ];
  for (const [k, param] of pairs) {
    const v = q(query, param) ?? (param === 'name' ? q(query, 'display_name') : undefined);
    if (v !== undefined) (f as Record<string, unknown>)[k] = v;
  }
  const bootable = q(query, 'bootable');
  if (bootable !== undefined) f.bootable = boolOf(bootable, 'bootable');
  const md = q(query, 'metadata');
  if (md !== undefined) f.metadata = metadataFilter(md);
  return f;
}

/** A metadata body `{"metadata": {...}}` (POST/PUT …/metadata). */
export function metadataBody(body: unknown): Record<string, string> {
  if (!isObject(body) || !('metadata' in body)) throw badRequest("Malformed request body: 'metadata' is required.");
  return metadataOf(body.metadata);
}

/** PUT …/metadata/{key}: `{"meta": {"<key>": "<value>"}}` with the key of the URL. */
export function metaItemBody(body: unknown, key: string): string {
  if (!isObject(body) || !isObject(body.meta)) throw badRequest("Malformed request body: 'meta' is required.");
  const items = metadataOf(body.meta, 'meta');
  const keys = Object.keys(items);
  if (keys.length > 1) throw badRequest('Request body contains too many items.');
  if (keys[0] !== key) throw badRequest('Request body and URI mismatch.');
  return items[key]!;
}
