import { forbidden, notFound, StratusError } from '../../../core/errors.js';
import { UUID_RE, uuid } from '../../../core/ids.js';
import { mutable, visible } from './access.js';
import type { Caller, ImageContext, Repo } from './context.js';
import { listImages, type ListPage, type ListQuery } from './list.js';
import { KIND, LIMITS, memberKey, type Image, type Member, type Visibility } from './models.js';
import { applyChanges, checkVisibilityChange, type Change } from './patch.js';
import type { Quotas } from './quotas.js';

/** A validated create request (schemas/create.ts builds it). */
export interface NewImage {
  id?: string;
  name: string | null;
  visibility?: Visibility;
  protected: boolean;
  osHidden: boolean;
  owner?: string | null;
  diskFormat: string | null;
  containerFormat: string | null;
  minDisk: number;
  minRam: number;
  tags: string[];
  properties: Record<string, string | null>;
}

export const imageNotFound = (id: string) => notFound('image', id, 'ImageNotFound');

/**
 * Image records: create, read with Glance's visibility rules, JSON-patch updates, tags,
 * deactivation and delete. Data (upload, download, import) is in data.ts.
 */
export class Images {
  constructor(
    private readonly ctx: ImageContext,
    readonly repo: Repo<Image>,
    readonly memberRepo: Repo<Member>,
    private readonly quotas: Quotas,
    /** Called after an image record is deleted, to drop its bytes. */
    private readonly dropData: (image: Image) => Promise<void>,
  ) {}

  /** The image if the caller may see it; 404 otherwise (also for ids that are not UUIDs). */
  async find(caller: Caller, id: string): Promise<Image> {
    const image = UUID_RE.test(id) ? await this.repo.get(id) : undefined;
    if (!image) throw imageNotFound(id);
    if (!visible(caller, image, await this.membership(caller, image.id))) throw imageNotFound(id);
    return image;
  }

  /** The image if the caller may change it: 404 when unseen, 403 when seen but not owned. */
  async findMutable(caller: Caller, id: string, action = 'modify'): Promise<Image> {
    const image = await this.find(caller, id);
    if (!mutable(caller, image)) throw forbidden(`You are not permitted to ${action} image ${id}.`);
    return image;
  }

  membership(caller: Caller, imageId: string): Promise<Member | undefined> {
    return caller.projectId === null ? Promise.resolve(undefined) : this.memberRepo.get(memberKey(imageId, caller.projectId));
  }

  async list(caller: Caller, q: ListQuery): Promise<ListPage> {
    const all = await this.repo.list();
    const mine = caller.projectId === null ? [] : await this.memberRepo.list({ memberId: caller.projectId });
    const markerMember = q.marker !== undefined ? mine.find((m) => m.imageId === q.marker) : undefined;
    return listImages(all, mine, caller, q, markerMember);
  }

  async create(caller: Caller, input: NewImage): Promise<Image> {
    const owner = input.owner === undefined ? caller.projectId : input.owner;
    if (owner !== caller.projectId && !caller.admin) throw forbidden(`You are not permitted to create images owned by '${owner}'.`);
    const visibility = input.visibility ?? 'shared';
    checkVisibilityChange({ visibility: 'shared' }, visibility, caller);
    if (Object.keys(input.properties).length > LIMITS.properties)
      throw new StratusError('PayloadTooLarge', `Maximum number of image properties exceeded: at most ${LIMITS.properties} are allowed.`, 'ImagePropertyLimitExceeded');
    if (input.tags.length > LIMITS.tags)
      throw new StratusError('PayloadTooLarge', `Maximum number of image tags exceeded: at most ${LIMITS.tags} are allowed.`, 'ImageTagLimitExceeded');
    await this.quotas.checkCount(owner);
    const now = this.ctx.clock.now();
    const image: Image = {
      id: input.id ?? uuid(),
      name: input.name,
      status: 'queued',
      visibility,
      protected: input.protected,
      osHidden: input.osHidden,
      owner,
      diskFormat: input.diskFormat,
      containerFormat: input.containerFormat,
      minDisk: input.minDisk,
      minRam: input.minRam,
      size: null,
      virtualSize: null,
      checksum: null,
      osHashAlgo: null,
      osHashValue: null,
      tags: [...new Set(input.tags)],
      properties: input.properties,
      createdAt: now,
      updatedAt: now,
      blobKey: null,
      staged: null,
    };
    await this.repo.create(image);
    this.ctx.changed(KIND.image, 'created', image.id, owner);
    return image;
  }

  async update(caller: Caller, id: string, changes: Change[]): Promise<Image> {
    return this.mutate(caller, id, (img) => (changes.length ? applyChanges(img, changes, caller) : img));
  }

  /**
   * Read-modify-write of one image inside a transaction, so concurrent changes (an upload
   * finishing, a tag added) are not lost.
   */
  async mutate(caller: Caller, id: string, fn: (img: Image) => Image | undefined, action?: string): Promise<Image> {
    await this.findMutable(caller, id, action);
    let changed = false;
    const out = await this.ctx.store.tx(async (tx) => {
      const cur = await this.repo.get(id, tx);
      if (!cur) throw imageNotFound(id);
      const next = fn(cur);
      if (!next || next === cur) return cur;
      next.updatedAt = this.ctx.clock.now();
      changed = true;
      return this.repo.update(next, tx);
    });
    if (changed) this.ctx.changed(KIND.image, 'updated', id, out.owner);
    return out;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const image = await this.findMutable(caller, id, 'delete');
    if (image.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`);
    const gone = await this.ctx.store.tx(async (tx) => {
      const cur = await this.repo.get(id, tx);
      if (!cur) throw imageNotFound(id);
      if (cur.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`);
      await this.memberRepo.deleteWhere({ imageId: id }, tx);
      await this.repo.delete(id, tx);
      return cur;
    });
    this.ctx.changed(KIND.image, 'deleted', id, gone.owner);
    await this.dropData(gone);
  }

  async addTag(caller: Caller, id: string, tag: string): Promise<void> {
    await this.mutate(caller, id, (img) => {
      if (img.tags.includes(tag)) return undefined;
      if (img.tags.length >= LIMITS.tags)
        throw new StratusError('PayloadTooLarge', `Maximum number of image tags exceeded: at most ${LIMITS.tags} are allowed.`, 'ImageTagLimitExceeded');
      return { ...img, tags: [...img.tags, tag] };
    });
  }

  async removeTag(caller: Caller, id: string, tag: string): Promise<void> {
    await this.mutate(caller, id, (img) => {
      if (!img.tags.includes(tag)) throw notFound('tag', tag, 'TagNotFound');
      return { ...img, tags: img.tags.filter((t) => t !== tag) };
    });
  }

  /** active → deactivated (a no-op when already deactivated); other statuses are refused. */
  async deactivate(caller: Caller, id: string): Promise<void> {
    await this.mutate(caller, id, (img) => {
      if (img.status === 'deactivated') return undefined;
      if (img.status !== 'active') throw forbidden(`Not allowed to deactivate image in status '${img.status}'.`);
      return { ...img, status: 'deactivated' };
    }, 'deactivate');
  }

  async reactivate(caller: Caller, id: string): Promise<void> {
    await this.mutate(caller, id, (img) => {
      if (img.status === 'active') return undefined;
      if (img.status !== 'deactivated') throw forbidden(`Not allowed to reactivate image in status '${img.status}'.`);
      return { ...img, status: 'active' };
    }, 'reactivate');
  }
}
