import type { Caller } from './context.js';
import type { Image, Member, MemberStatus } from './models.js';

/**
 * Who sees and who changes an image (glance `db/utils.is_image_visible`, `is_image_mutable`):
 * - an admin sees and changes everything;
 * - everyone sees public and community images, and images without an owner;
 * - a project sees what it owns, and a shared image it is a member of, whatever the
 *   membership status (listing is stricter, see `listable`);
 * - only the owner (or an admin) changes an image.
 */
export function visible(caller: Caller, image: Image, membership: Member | undefined): boolean {
  if (caller.admin || image.owner === null) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  if (caller.projectId === null) return false;
  if (image.owner === caller.projectId) return true;
  return image.visibility === 'shared' && membership !== undefined;
}

export function mutable(caller: Caller, image: Image): boolean {
  return caller.admin || (image.owner !== null && image.owner === caller.projectId);
}

export interface ListScope {
  /** `visibility=` filter, or undefined for the default listing. */
  visibility?: string;
  /** `member_status=` (default accepted), or 'all'. */
  memberStatus: MemberStatus | 'all';
  /** The caller's memberships, by image id. */
  memberships: Map<string, MemberStatus>;
}

/**
 * Whether an image belongs in the caller's listing (glance `_select_images_query` and the
 * visibility filter of `_image_get_all`): a regular project lists public and community images,
 * its own, and shared images whose membership has the requested status. Without a
 * `visibility=` filter, community images appear only to their owner.
 */
export function listable(caller: Caller, image: Image, scope: ListScope): boolean {
  if (!caller.admin && !inUserUniverse(caller, image, scope)) return false;
  if (scope.visibility !== undefined) return scope.visibility === 'all' || image.visibility === scope.visibility;
  return image.visibility !== 'community' || (caller.projectId !== null && image.owner === caller.projectId);
}

function inUserUniverse(caller: Caller, image: Image, scope: ListScope): boolean {
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  if (caller.projectId !== null && image.owner === caller.projectId) return true;
  if (image.visibility !== 'shared') return false;
  const status = scope.memberships.get(image.id);
  return status !== undefined && (scope.memberStatus === 'all' || status === scope.memberStatus);
}
