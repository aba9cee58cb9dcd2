import { StratusError } from '../../../core/errors.js';
import type { ImageContext, Repo } from './context.js';
import type { Image } from './models.js';

export interface QuotaUsage {
  images: { limit: number; usage: number };
  bytes: { limit: number; usage: number };
}

const overQuota = (msg: string) => new StratusError('PayloadTooLarge', msg, 'ImageQuotaExceeded');

/**
 * Per-project image quotas, like Glance's unified limits `image_count_total` and
 * `image_size_total`: both count every image the project owns, and the byte count includes data
 * staged for import. Images without an owner are not counted.
 */
// NOTE: two uploads running at once may together pass the byte limit by up to one upload;
// Glance has the same window (it checks before the upload, not during).
export class Quotas {
  constructor(
    private readonly ctx: ImageContext,
    private readonly images: Repo<Image>,
  ) {}

  async usage(owner: string): Promise<QuotaUsage> {
    const owned = await this.images.list({ owner });
    const bytes = owned.reduce((sum, i) => sum + (i.size ?? 0) + (i.staged?.size ?? 0), 0);
    return {
      images: { limit: this.ctx.quotas.images, usage: owned.length },
      bytes: { limit: this.ctx.quotas.bytes, usage: bytes },
    };
  }

  /** Throws 413 when the owner may not create another image. */
  async checkCount(owner: string | null): Promise<void> {
    if (owner === null) return;
    const n = await this.images.count({ owner });
    if (n >= this.ctx.quotas.images)
      throw overQuota(`Image count quota exceeded: project ${owner} owns ${n} images and its limit is ${this.ctx.quotas.images} (image_count_total).`);
  }

  /**
   * How many more bytes the owner may store; throws 413 when `declared` (the request's
   * Content-Length) is already more than that.
   */
  async remainingBytes(owner: string | null, declared?: number): Promise<number> {
    if (owner === null) return Number.MAX_SAFE_INTEGER;
    const { bytes } = await this.usage(owner);
    const left = Math.max(0, bytes.limit - bytes.usage);
    if (declared !== undefined && declared > left) throw this.bytesExceeded(owner, bytes.usage, declared);
    return left;
  }

  bytesExceeded(owner: string, used?: number, incoming?: number): StratusError {
    const stores = used === undefined ? '' : `; it stores ${used} bytes`;
    const tail = incoming === undefined ? ' and this upload would pass it.' : ` and the upload declares ${incoming} more.`;
    return overQuota(`Image size quota exceeded for project ${owner}: its limit is ${this.ctx.quotas.bytes} bytes of image data (image_size_total)${stores}${tail}`);
  }
}
