import type { Snapshot } from '../logic/models.js';
import { cinderTime, cinderTimeOrNull } from './common.js';

export function snapshotBase(s: Snapshot) {
  return {
    id: s.id,
    volume_id: s.volumeId,
    status: s.status,
    size: s.size,
    name: s.name,
    description: s.description,
    metadata: s.metadata,
    created_at: cinderTime(s.createdAt),
    updated_at: cinderTimeOrNull(s.updatedAt),
  };
}

export function snapshotDetail(s: Snapshot) {
  return {
    ...snapshotBase(s),
    'os-extended-snapshot-attributes:progress': s.progress ?? (s.status === 'available' ? '100%' : '0%'),
    'os-extended-snapshot-attributes:project_id': s.projectId,
  };
}
