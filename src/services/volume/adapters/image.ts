import { badRequest, StratusError } from '../../../core/errors.js';
import type { ImageLogic } from '../../image/logic/index.js';
import type { ImageSink, ImageSource, OpenedImage } from '../logic/index.js';
import type { Caller } from '../logic/models.js';

/**
 * Block storage reads images through the image service's logic, with the caller's project and
 * admin flag, so visibility and deactivation rules are Glance's own.
 */
export function glanceImageSource(images: ImageLogic): ImageSource {
  return {
    async open(imageId: string, caller: Caller): Promise<OpenedImage> {
      let img;
      try {
        img = await images.data.readable({ projectId: caller.projectId, admin: caller.admin }, imageId);
      } catch (e) {
        if (e instanceof StratusError && e.kind === 'NotFound') throw badRequest(`Invalid image identifier or unable to access requested image: ${imageId}.`);
        // A deactivated image (Glance: 403 on its data) cannot be a volume source: a 400, as in Cinder.
        if (e instanceof StratusError && e.kind === 'Forbidden') throw badRequest(`Image ${imageId} is not active (deactivated); an admin must reactivate it first.`);
        throw e;
      }
      if (img.status !== 'active') throw badRequest(`Image ${imageId} is not active (status ${img.status}); upload its data first.`);
      const out: OpenedImage = { stream: await images.data.open(img), size: img.size ?? 0, diskFormat: img.diskFormat ?? 'raw' };
      if (img.name) out.name = img.name;
      if (img.minDisk) out.minDisk = img.minDisk;
      if (img.containerFormat) out.containerFormat = img.containerFormat;
      if (img.checksum) out.checksum = img.checksum;
      return out;
    },
    sink: glanceImageSink(images),
  };
}

/** Volume uploads become Glance images owned by the caller's project, under Glance's quotas. */
export function glanceImageSink(images: ImageLogic): ImageSink {
  const who = (c: Caller) => ({ projectId: c.projectId, admin: c.admin });
  return {
    async create(caller, meta) {
      const img = await images.images.create(who(caller), {
        name: meta.name,
        visibility: meta.visibility,
        protected: meta.protected,
        osHidden: false,
        diskFormat: meta.diskFormat,
        containerFormat: meta.containerFormat,
        minDisk: meta.minDisk,
        minRam: 0,
        tags: [],
        properties: {},
      });
      return { id: img.id };
    },
    async upload(caller, imageId, data, size) {
      const img = await images.images.find(who(caller), imageId);
      if (img.status === 'active') return;
      await images.data.upload(who(caller), imageId, data, size);
    },
    async discard(caller, imageId) {
      try {
        await images.images.delete(who(caller), imageId);
      } catch (e) {
        if (!(e instanceof StratusError && e.kind === 'NotFound')) throw e;
      }
    },
  };
}
