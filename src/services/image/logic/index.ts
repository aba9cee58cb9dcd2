import { ImageContext, Repo, type ImageDeps } from './context.js';
import { ImageData } from './data.js';
import { Images } from './images.js';
import { Members } from './members.js';
import { KIND, type Image, type Member } from './models.js';
import { Quotas } from './quotas.js';
import { recoverImages, type RecoveryReport } from './recover.js';

export type { Caller, ImageDeps, ImageQuotas } from './context.js';
export type { Image, Member } from './models.js';
export type { RecoveryReport } from './recover.js';

/**
 * The image logic (Glance v2): routes call it, and other services (compute booting from an
 * image) use it too, through this class only.
 */
export class ImageLogic {
  readonly ctx: ImageContext;
  readonly quotas: Quotas;
  readonly images: Images;
  readonly data: ImageData;
  readonly members: Members;

  constructor(deps: ImageDeps) {
    this.ctx = new ImageContext(deps);
    const imageRepo = new Repo<Image>(this.ctx, KIND.image, 'image');
    const memberRepo = new Repo<Member>(this.ctx, KIND.member, 'image member');
    this.quotas = new Quotas(this.ctx, imageRepo);
    this.images = new Images(this.ctx, imageRepo, memberRepo, this.quotas, (img) => this.data.drop(img));
    this.data = new ImageData(this.ctx, this.images, this.quotas);
    this.members = new Members(this.ctx, this.images);
  }

  /** Reconciles records with blobs; call once at start-up, before serving. */
  recover(): Promise<RecoveryReport> {
    return recoverImages(this.ctx, this.images.repo, (id) => this.data.finishImport(id));
  }
}
