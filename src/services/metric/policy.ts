import { forbidden, unauthorized } from '../../core/errors.js';
import type { AuthContext } from '../../http/auth.js';
import { denied } from './logic/errors.js';
import type { Caller } from './logic/models.js';

/**
 * The caller from the token. Gnocchi needs a project-scoped token (its creator is
 * `<user>:<project>`); `admin` calls (archive policies, resource types, status) need the
 * admin role. Per-record rules (creator, owner) are the logic's (logic/access.ts).
 */
export function callerOf(auth: AuthContext | null, admin = false): Caller {
  if (!auth) throw unauthorized();
  if (!auth.projectId) throw forbidden('The metric service needs a project-scoped token.');
  const isAdmin = auth.roles.includes('admin');
  if (admin && !isAdmin) throw denied();
  return { userId: auth.userId, projectId: auth.projectId, admin: isAdmin };
}
