import { conflict, forbidden, notFound, StratusError } from '../../../core/errors.js';
import { mutable } from './access.js';
import type { Caller, ImageContext, Repo } from './context.js';
import type { Images } from './images.js';
import { KIND, LIMITS, memberKey, type Image, type Member, type MemberStatus } from './models.js';

const memberNotFound = (imageId: string, memberId: string) =>
  notFound('member', `${memberId} in the member list of the image ${imageId}`, 'MemberNotFound');

/**
 * Image members (glance `image_members.py`): the owner of a `shared` image adds projects as
 * members; each member accepts or rejects (only accepted shares appear in its default image
 * list). The owner sees every membership, a member only its own. Other visibilities have no
 * members (403).
 */
export class Members {
  constructor(
    private readonly ctx: ImageContext,
    private readonly images: Images,
  ) {}

  private get repo(): Repo<Member> {
    return this.images.memberRepo;
  }

  private async sharedImage(caller: Caller, imageId: string): Promise<Image> {
    const img = await this.images.find(caller, imageId);
    if (img.visibility !== 'shared') throw forbidden('Only shared images have members.');
    return img;
  }

  async list(caller: Caller, imageId: string): Promise<Member[]> {
    const img = await this.sharedImage(caller, imageId);
    const all = await this.repo.list({ imageId: img.id });
    return mutable(caller, img) ? all : all.filter((m) => m.memberId === caller.projectId);
  }

  async get(caller: Caller, imageId: string, memberId: string): Promise<Member> {
    // Glance answers 404 rather than 403 here: a non-member learns nothing.
    const img = await this.sharedImage(caller, imageId).catch((e: unknown) => {
      if (e instanceof StratusError && e.kind === 'Forbidden') throw memberNotFound(imageId, memberId);
      throw e;
    });
    const m = await this.repo.get(memberKey(img.id, memberId));
    if (!m || (!mutable(caller, img) && memberId !== caller.projectId)) throw memberNotFound(imageId, memberId);
    return m;
  }

  async add(caller: Caller, imageId: string, memberId: string): Promise<Member> {
    const img = await this.sharedImage(caller, imageId);
    if (!mutable(caller, img)) throw forbidden(`Not allowed to create members for image ${imageId}.`);
    const m = await this.ctx.store.tx(async (tx) => {
      if (await this.repo.get(memberKey(img.id, memberId), tx)) throw conflict(`Member ${memberId} is duplicated for image ${imageId}.`);
      if ((await this.repo.count({ imageId: img.id }, tx)) >= LIMITS.members)
        throw new StratusError('PayloadTooLarge', `Image member limit exceeded for image ${imageId}: at most ${LIMITS.members} members are allowed.`, 'ImageMemberLimitExceeded');
      const now = this.ctx.clock.now();
      const member: Member = { id: memberKey(img.id, memberId), imageId: img.id, memberId, status: 'pending', createdAt: now, updatedAt: now };
      return this.repo.create(member, tx);
    });
    this.ctx.changed(KIND.member, 'created', m.id, img.owner);
    return m;
  }

  /** Only the member itself (or an admin) sets its status; the owner may not. */
  async setStatus(caller: Caller, imageId: string, memberId: string, status: MemberStatus): Promise<Member> {
    const img = await this.sharedImage(caller, imageId);
    if (!caller.admin && img.owner === caller.projectId) throw forbidden("You are not permitted to modify 'status' on this image member.");
    const cur = await this.repo.get(memberKey(img.id, memberId));
    if (!cur || (!caller.admin && memberId !== caller.projectId)) throw memberNotFound(imageId, memberId);
    const next = await this.repo.update({ ...cur, status, updatedAt: this.ctx.clock.now() });
    this.ctx.changed(KIND.member, 'updated', next.id, img.owner);
    return next;
  }

  async remove(caller: Caller, imageId: string, memberId: string): Promise<void> {
    const img = await this.sharedImage(caller, imageId);
    if (!mutable(caller, img)) throw forbidden(`Not allowed to delete members for image ${imageId}.`);
    if (!(await this.repo.delete(memberKey(img.id, memberId)))) throw memberNotFound(imageId, memberId);
    this.ctx.changed(KIND.member, 'deleted', memberKey(img.id, memberId), img.owner);
  }
}
