import { GiB } from '../../../drivers/block/driver.js';
import type { StoreOps } from '../../../store/index.js';
import { invalid, itemNotFound } from './context.js';
import type { OpenedImage } from './images.js';
import type { Caller } from './models.js';
import type { CreateVolumeInput, Records } from './volumes.js';

export interface PreparedSource {
  size: number;
  bootable: boolean;
  imageMetadata: Record<string, string> | null;
  /** The source's type, which a new volume inherits unless it names one. */
  volumeTypeId?: string;
}

type ImageFacts = Omit<OpenedImage, 'stream'>;

/**
 * Checks a create request against its source (inside the creating transaction, so the source
 * cannot change state in between) and works out size, bootable flag and image metadata.
 */
export async function prepareSource(tx: StoreOps, records: Records, caller: Caller, input: CreateVolumeInput, image?: ImageFacts): Promise<PreparedSource> {
  const src = input.source;
  switch (src.kind) {
    case 'blank':
      if (input.size === undefined) throw invalid('input', "Volume size '' must be an integer and greater than 0");
      return { size: input.size, bootable: false, imageMetadata: null };
    case 'image':
      return fromImage(input.size, src.imageId, image!);
    case 'snapshot': {
      const s = await records.snapshots.get(src.snapshotId, tx);
      if (!s || (!caller.admin && s.projectId !== caller.projectId)) throw itemNotFound('Snapshot', src.snapshotId);
      if (s.status !== 'available') throw invalid('snapshot', "Originating snapshot status must be one of 'available' values");
      const size = input.size ?? s.size;
      if (size < s.size) {
        throw invalid('input', `Volume size ${size}GB cannot be smaller than the snapshot size ${s.size}GB. They must be >= original snapshot size.`);
      }
      const origin = await records.volumes.get(s.volumeId, tx);
      return { size, bootable: origin?.bootable ?? false, imageMetadata: origin?.imageMetadata ?? null, ...(origin ? { volumeTypeId: origin.volumeTypeId } : {}) };
    }
    case 'volume': {
      const v = await records.volumes.get(src.volumeId, tx);
      if (!v || (!caller.admin && v.projectId !== caller.projectId)) throw itemNotFound('Volume', src.volumeId);
      if (v.status !== 'available' && v.status !== 'in-use') throw invalid('volume', `Unable to clone volumes that are in ${v.status} state.`);
      const size = input.size ?? v.size;
      if (size < v.size) {
        throw invalid('input', `Volume size ${size}GB cannot be smaller than original volume size ${v.size}GB. They must be >= original volume size.`);
      }
      return { size, bootable: v.bootable, imageMetadata: v.imageMetadata, volumeTypeId: v.volumeTypeId };
    }
  }
}

function fromImage(requested: number | undefined, imageId: string, img: ImageFacts): PreparedSource {
  const needed = Math.max(1, Math.ceil(img.size / GiB), img.minDisk ?? 0);
  const size = requested ?? needed;
  if (img.minDisk !== undefined && img.minDisk > size) throw invalid('input', `Image minDisk size ${img.minDisk} is larger than the volume size ${size}.`);
  if (img.size > size * GiB) {
    throw invalid('input', `Size of specified image ${Math.ceil(img.size / GiB)}GB is larger than volume size ${size}GB.`);
  }
  const md: Record<string, string> = { image_id: imageId, disk_format: img.diskFormat, size: String(img.size) };
  if (img.name !== undefined) md.image_name = img.name;
  if (img.containerFormat !== undefined) md.container_format = img.containerFormat;
  if (img.checksum !== undefined) md.checksum = img.checksum;
  if (img.minDisk !== undefined) md.min_disk = String(img.minDisk);
  return { size, bootable: true, imageMetadata: md };
}
