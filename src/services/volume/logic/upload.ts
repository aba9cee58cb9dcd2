import { badRequest } from '../../../core/errors.js';
import { invalid, type VolumeContext } from './context.js';
import type { ImageSource, VolumeImageMeta } from './images.js';
import type { Caller, Volume } from './models.js';
import { touch, type Volumes } from './volumes.js';

export interface UploadInput {
  imageName: string;
  diskFormat?: string;
  containerFormat?: string;
  visibility?: VolumeImageMeta['visibility'];
  protected?: boolean;
  /** Allow an in-use volume. */
  force?: boolean;
}

/**
 * os-volume_upload_image: the volume's bytes become a new image. The image record is made
 * first (its id is in the response), the volume is `uploading` while the reconciler copies the
 * bytes, then it is as before; a failed copy removes the image. The image's disk format is the
 * one the volume is stored in (raw, or qcow2 when kept as such): this backend does not convert.
 */
export class VolumeUploads {
  constructor(
    private readonly ctx: VolumeContext,
    private readonly volumes: Volumes,
    private readonly images: ImageSource,
  ) {}

  async upload(caller: Caller, id: string, input: UploadInput): Promise<{ volume: Volume; imageId: string; meta: VolumeImageMeta }> {
    const sink = this.images.sink;
    if (!sink) throw badRequest('Uploading a volume to an image is not available: no image service is connected to block storage.');
    const cur = await this.volumes.visible(caller, id);
    this.checkStatus(cur, input.force === true);
    const info = await this.ctx.driver.info(id);
    if (!info) throw invalid('volume', `Volume ${id} has no backing storage.`);
    const diskFormat = input.diskFormat ?? info.format;
    if (diskFormat !== info.format) {
      throw invalid('input', `Volume ${id} is stored as ${info.format} and this backend does not convert: use disk_format ${info.format}.`);
    }
    const meta: VolumeImageMeta = {
      name: input.imageName,
      diskFormat,
      containerFormat: input.containerFormat ?? 'bare',
      visibility: input.visibility ?? 'private',
      protected: input.protected ?? false,
      minDisk: cur.size,
    };
    const image = await sink.create(caller, meta);
    try {
      const volume = await this.volumes.mutate(caller, id, (v) => {
        this.checkStatus(v, input.force === true);
        const restore = v.status === 'in-use' ? 'in-use' : 'available';
        return touch(this.ctx, { ...v, status: 'uploading', task: { id: this.ctx.newId(), op: 'upload', imageId: image.id, caller, restore } });
      });
      return { volume, imageId: image.id, meta };
    } catch (e) {
      await sink.discard(caller, image.id).catch(() => {});
      throw e;
    }
  }

  private checkStatus(v: Volume, force: boolean): void {
    if (v.status === 'available' || (v.status === 'in-use' && force)) return;
    throw invalid('volume', `Volume ${v.id} status must be available${v.status === 'in-use' ? ' (or in-use with force)' : ''} to upload to an image, but it is ${v.status}.`);
  }
}
