import type { Transfer } from '../logic/models.js';
import { cinderTime, resourceLinks } from './common.js';

export function transferSummary(t: Transfer, base: string) {
  return { id: t.id, name: t.name, volume_id: t.volumeId, links: resourceLinks(base, t.projectId, 'os-volume-transfer', t.id) };
}

export function transferDetail(t: Transfer, base: string) {
  return { ...transferSummary(t, base), created_at: cinderTime(t.createdAt) };
}
