import { forbidden, unauthorized } from '../../core/errors.js';
import type { AuthContext } from '../../http/auth.js';
import type { Caller } from './logic/models.js';

/**
 * What a call needs: `read` any role on the project (readers included), `write` member or
 * admin, `admin` the admin role. Project scoping (who sees which volume) is the logic's job:
 * a non-admin sees its own project only; an admin any volume by id, and every project in lists
 * with all_tenants=1.
 */
export type Access = 'read' | 'write' | 'admin';

export function callerOf(auth: AuthContext | null, need: Access, action: string): Caller {
  if (!auth) throw unauthorized();
  if (!auth.projectId) throw forbidden('Block storage needs a project-scoped token.');
  const admin = auth.roles.includes('admin');
  const member = admin || auth.roles.includes('member');
  const allowed = need === 'read' ? true : need === 'write' ? member : admin;
  if (!allowed) throw forbidden(`Policy doesn't allow ${action} to be performed.`);
  return { userId: auth.userId, projectId: auth.projectId, roles: auth.roles, admin };
}
