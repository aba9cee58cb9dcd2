import { forbidden, unauthorized } from '../../core/errors.js';
import type { AuthContext } from '../../http/auth.js';
import type { Caller } from './logic/context.js';

/**
 * Role checks for the image API, from the token's effective roles (admin ⊃ member ⊃ reader):
 * - `image:read` (list, show, download, schemas): reader, member or admin;
 * - `image:write` (create, change, upload, share, delete): member or admin, in a project
 *   (an admin may also act without one).
 * Which images a caller sees or may change is decided per image by logic/access.ts, as Glance
 * decides it in its domain layer; admin there means the cloud admin role in any scope, as in
 * Glance's legacy policy that devstack runs.
 */
export type ImageAction = 'image:read' | 'image:write';

const has = (a: AuthContext, ...roles: string[]) => roles.some((r) => a.roles.includes(r));

export function authorize(auth: AuthContext | null, action: ImageAction, what: string = action): Caller {
  if (!auth) throw unauthorized();
  const admin = has(auth, 'admin');
  const allowed =
    action === 'image:read' ? has(auth, 'reader', 'member', 'admin') : admin || (has(auth, 'member') && auth.projectId !== undefined);
  if (!allowed) throw forbidden(`You are not authorized to complete ${what} action.`);
  return { projectId: auth.projectId ?? null, admin };
}
