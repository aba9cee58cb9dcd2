import { createReadStream } from 'node:fs';
import type { ImageLogic } from './index.js';

export interface BuiltinImage {
  /** Glance name, e.g. `cirros`. */
  name: string;
  /** Local file with the bytes to upload. */
  path: string;
  diskFormat: string;
  containerFormat: string;
  /** MD5 of the bytes, as Glance's `checksum`: a rebuilt image with other bytes is uploaded again. */
  checksum: string;
  minDisk?: number;
  minRam?: number;
  properties?: Record<string, string>;
}

const BUILTIN = 'stratus_builtin';

/**
 * Makes a public image built by Stratus itself (the CirrOS-like default) available in Glance,
 * owned by the admin project and marked with the `stratus_builtin` property. Idempotent: an
 * active image with the same name and checksum is kept; one with other bytes (a newer build)
 * is replaced by a fresh upload, and the old one deleted when nothing protects it.
 */
export async function ensureBuiltinImage(logic: ImageLogic, adminProjectId: string, img: BuiltinImage): Promise<{ id: string; created: boolean }> {
  const caller = { projectId: adminProjectId, admin: true };
  const page = await logic.images.list(caller, {
    memberStatus: 'all',
    osHidden: true,
    fields: [],
    numbers: [],
    times: [],
    tags: [],
    properties: { [BUILTIN]: img.name },
    sort: [{ key: 'createdAt', dir: 'desc' }],
    limit: 100,
  });
  const same = page.images.find((i) => i.status === 'active' && i.checksum === img.checksum);
  if (same) return { id: same.id, created: false };
  const created = await logic.images.create(caller, {
    name: img.name,
    visibility: 'public',
    protected: false,
    osHidden: false,
    owner: adminProjectId,
    diskFormat: img.diskFormat,
    containerFormat: img.containerFormat,
    minDisk: img.minDisk ?? 0,
    minRam: img.minRam ?? 0,
    tags: [],
    properties: { ...(img.properties ?? {}), [BUILTIN]: img.name },
  });
  await logic.data.upload(caller, created.id, createReadStream(img.path, { highWaterMark: 1 << 20 }));
  for (const old of page.images) {
    if (!old.protected) await logic.images.delete(caller, old.id).catch(() => undefined);
  }
  return { id: created.id, created: true };
}
