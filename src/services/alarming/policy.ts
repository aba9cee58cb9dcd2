import { forbidden, unauthorized } from '../../core/errors.js';
import type { AuthContext } from '../../http/auth.js';
import type { Caller } from './logic/models.js';

/**
 * Aodh's default policy: reads (`get_alarm(s)`, `query_alarm`, `alarm_history`, `get_alarm_state`)
 * need the reader role on the project or admin; writes (`create_alarm`, `change_alarm`,
 * `delete_alarm`, `change_alarm_state`) the member role or admin; `get_alarms:all_projects` and
 * quota updates admin. Which alarms a caller sees (its project, or any for admin) is the logic's.
 */
export type Access = 'read' | 'write' | 'admin';

export function callerOf(auth: AuthContext | null, need: Access): Caller {
  if (!auth) throw unauthorized();
  if (!auth.projectId) throw forbidden('RBAC Authorization Failed: the alarming API needs a project-scoped token.');
  const admin = auth.roles.includes('admin');
  const allowed = admin || (need === 'read' ? auth.roles.includes('reader') || auth.roles.includes('member') : need === 'write' ? auth.roles.includes('member') : false);
  if (!allowed) throw forbidden('RBAC Authorization Failed');
  return { userId: auth.userId, projectId: auth.projectId, admin };
}
