import type { Readable } from 'node:stream';
import type { Image, ImageLogic } from '../../image/logic/index.js';
import type { Caller } from '../logic/models.js';
import type { ImageCatalog, ImageInfo, NewSnapshotImage } from '../logic/ports.js';

function info(img: Image): ImageInfo {
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(img.properties)) if (v !== null) properties[k] = v;
  return {
    id: img.id,
    name: img.name ?? '',
    status: img.status,
    size: img.size,
    diskFormat: img.diskFormat,
    containerFormat: img.containerFormat,
    minDisk: img.minDisk,
    minRam: img.minRam,
    checksum: img.checksum,
    properties,
    createdAt: img.createdAt,
    updatedAt: img.updatedAt,
  };
}

const glanceCaller = (c: Caller) => ({ projectId: c.projectId, admin: c.admin });

/**
 * Compute's image port over the image service's logic (Glance v2): visibility, data and
 * snapshots follow Glance's own rules, since every call goes through ImageLogic.
 */
export class GlanceImages implements ImageCatalog {
  readonly available = true;

  constructor(private readonly glance: ImageLogic) {}

  async get(caller: Caller, imageId: string): Promise<ImageInfo> {
    return info(await this.glance.images.find(glanceCaller(caller), imageId));
  }

  async open(caller: Caller, imageId: string): Promise<Readable> {
    const img = await this.glance.data.readable(glanceCaller(caller), imageId);
    return this.glance.data.open(img);
  }

  async createSnapshot(caller: Caller, input: NewSnapshotImage): Promise<ImageInfo> {
    const img = await this.glance.images.create(glanceCaller(caller), {
      name: input.name,
      visibility: 'private',
      protected: false,
      osHidden: false,
      diskFormat: 'raw',
      containerFormat: 'bare',
      minDisk: input.minDisk,
      minRam: input.minRam,
      tags: [],
      properties: input.properties,
    });
    return info(img);
  }

  async upload(caller: Caller, imageId: string, data: Readable | AsyncIterable<Uint8Array>, diskFormat: string): Promise<void> {
    const c = glanceCaller(caller);
    await this.glance.images.mutate(c, imageId, (img) => (img.diskFormat === diskFormat ? undefined : { ...img, diskFormat }));
    await this.glance.data.upload(c, imageId, data);
  }

  private async query(caller: Caller, properties: Record<string, string>, activeOnly: boolean, dir: 'asc' | 'desc'): Promise<ImageInfo[]> {
    const q: Parameters<ImageLogic['images']['list']>[1] = {
      memberStatus: 'accepted',
      osHidden: false,
      fields: activeOnly ? [{ field: 'status', values: ['active'] }] : [],
      numbers: [],
      times: [],
      tags: [],
      properties,
      sort: [{ key: 'createdAt', dir }],
      limit: 1000,
    };
    return (await this.glance.images.list(glanceCaller(caller), q)).images.map(info);
  }

  find(caller: Caller, properties: Record<string, string>): Promise<ImageInfo[]> {
    return this.query(caller, properties, true, 'asc');
  }

  list(caller: Caller): Promise<ImageInfo[]> {
    return this.query(caller, {}, false, 'desc');
  }

  async setProperties(caller: Caller, imageId: string, props: Record<string, string>, replace: boolean, remove: string[] = []): Promise<ImageInfo> {
    const img = await this.glance.images.mutate(glanceCaller(caller), imageId, (cur) => {
      const properties: Record<string, string | null> = replace ? { ...props } : { ...cur.properties, ...props };
      for (const k of remove) delete properties[k];
      return { ...cur, properties };
    });
    return info(img);
  }

  async delete(caller: Caller, imageId: string): Promise<void> {
    await this.glance.images.delete(glanceCaller(caller), imageId);
  }
}
