import { q, str, wrapped } from '../../../core/validate.js';
import type { CreateSnapshotInput, SnapshotFilter } from '../logic/snapshots.js';
import { boolOf, metadataOf, queryBool, text } from './common.js';

export const SNAPSHOT_SORT_KEYS = ['id', 'name', 'status', 'size', 'volume_id', 'created_at', 'updated_at'];
export const SNAPSHOT_SORT_ALIASES: Record<string, string> = { display_name: 'name' };

export function createSnapshotBody(body: unknown): CreateSnapshotInput {
  const b = wrapped(body, 'snapshot');
  return {
    // NOTE: a null volume_id is an unknown volume (404), as in Cinder; a missing one a 400.
    volumeId: b.volume_id === null ? 'None' : str(b, 'volume_id', { required: true, max: 255 }),
    name: text(b, ['name', 'display_name']) ?? null,
    description: text(b, ['description', 'display_description']) ?? null,
    metadata: metadataOf(b.metadata),
    force: b.force === undefined || b.force === null ? false : boolOf(b.force, 'force'),
  };
}

export function updateSnapshotBody(body: unknown): { name?: string | null; description?: string | null } {
  const b = wrapped(body, 'snapshot');
  const out: { name?: string | null; description?: string | null } = {};
  const name = text(b, ['name', 'display_name']);
  const description = text(b, ['description', 'display_description']);
  if (name !== undefined) out.name = name;
  if (description !== undefined) out.description = description;
  return out;
}

export function snapshotFilterOf(query: unknown): SnapshotFilter {
  const f: SnapshotFilter = {};
  if (queryBool(query, 'all_tenants')) f.allTenants = true;
  const set = (k: keyof SnapshotFilter, v: string | undefined) => {
    if (v !== undefined) (f as Record<string, unknown>)[k] = v;
  };
  set('projectId', q(query, 'project_id'));
  set('name', q(query, 'name') ?? q(query, 'display_name'));
  set('status', q(query, 'status'));
  set('volumeId', q(query, 'volume_id'));
  return f;
}
