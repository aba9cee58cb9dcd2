import { unauthorized } from '../../core/errors.js';
import type { AuthContext } from '../../http/auth.js';
import { E } from './errors.js';
import type { Actor } from './logic/models.js';

/**
 * Neutron's default policy, as devstack runs it (legacy rules, admin role = cloud admin):
 * - everyone with a token reads what `logic/access.ts` lets them see;
 * - members (and admins) write their own project's resources; readers write nothing;
 * - only admins act for another project, create external, shared or provider networks, set
 *   bindings, pick floating addresses, or touch agents, quotas of others and metering.
 * A resource the caller cannot see is a 404, not a 403 (see access.ts).
 */
export function actorOf(auth: AuthContext | null): Actor {
  if (!auth) throw unauthorized();
  return { projectId: auth.projectId ?? null, admin: auth.roles.includes('admin') };
}

export function isAdmin(auth: AuthContext | null): boolean {
  return !!auth && auth.roles.includes('admin');
}

/** Writes need the member (or admin) role. */
export function requireWriter(auth: AuthContext | null, action: string): Actor {
  const a = actorOf(auth);
  if (!a.admin && !auth!.roles.includes('member')) throw E.policy(action);
  return a;
}

export function requireAdmin(auth: AuthContext | null, action: string): Actor {
  const a = actorOf(auth);
  if (!a.admin) throw E.policy(action);
  return a;
}

/** The project a create acts for: the body's (admins only, if foreign) or the token's. */
export function targetProject(auth: AuthContext | null, action: string, named: string | undefined): string {
  const a = requireWriter(auth, action);
  if (named !== undefined && named !== a.projectId) {
    if (!a.admin) throw E.policy(action);
    return named;
  }
  if (a.projectId === null) throw E.attr(`'project_id' must be given when the token is not scoped to a project`);
  return a.projectId;
}

/** Changing a resource the caller can see but does not own is forbidden. */
export function requireOwner(actor: Actor, projectId: string, action: string): void {
  if (!actor.admin && actor.projectId !== projectId) throw E.policy(action);
}

/**
 * Attributes only admins may set (create_network:shared, create_router:...:enable_snat, ...).
 * As in Neutron, giving an attribute its default value on create is not "setting" it.
 */
export function adminOnly(actor: Actor, body: Record<string, unknown>, attrs: string[], action: string, defaults: Record<string, unknown> = {}): void {
  if (actor.admin) return;
  for (const k of attrs) {
    if (body[k] === undefined) continue;
    if (action.startsWith('create_') && k in defaults && body[k] === defaults[k]) continue;
    throw E.policy(`${action}:${k}`);
  }
}
