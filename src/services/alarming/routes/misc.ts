import type { FastifyInstance } from 'fastify';
import { forbidden } from '../../../core/errors.js';
import { invalidInput } from '../errors.js';
import type { AlarmingLogic } from '../logic/index.js';
import { alarmQuota, setAlarmQuota } from '../logic/quotas.js';
import { callerOf } from '../policy.js';
import { integer, noUnknown, object, oneOf, text } from '../schemas/fields.js';

const CAPABILITIES = {
  api: { 'alarms:history:query:complex': true, 'alarms:history:query:simple': true, 'alarms:query:complex': true, 'alarms:query:simple': true },
  alarm_storage: { 'storage:production_ready': true },
};

const quotaView = (projectId: string, limit: number) => ({ project_id: projectId, quotas: [{ resource: 'alarms', limit }] });

/** `/v2/capabilities` and `/v2/quotas`. */
export function miscRoutes(app: FastifyInstance, logic: AlarmingLogic): void {
  app.get('/capabilities', async (req) => {
    callerOf(req.auth, 'read');
    return CAPABILITIES;
  });

  app.get('/quotas', async (req) => {
    const c = callerOf(req.auth, 'read');
    const projectId = text(req.query as Record<string, unknown>, 'project_id') || c.projectId;
    if (!c.admin && projectId !== c.projectId) throw forbidden('RBAC Authorization Failed');
    return quotaView(projectId, await alarmQuota(logic.ctx, projectId));
  });

  app.post('/quotas', async (req, reply) => {
    callerOf(req.auth, 'admin');
    const o = object(req.body, 'body');
    noUnknown(o, ['project_id', 'quotas'], 'body');
    const projectId = text(o, 'project_id', true)!;
    const list = o.quotas ?? [];
    if (!Array.isArray(list)) throw invalidInput('quotas', list, "Wrong type. Expected '[Quota]'");
    let limit = await alarmQuota(logic.ctx, projectId);
    for (const q of list) {
      const qo = object(q, 'quotas');
      noUnknown(qo, ['resource', 'limit'], 'quotas');
      oneOf(qo, 'resource', ['alarms'] as const);
      if (qo.resource === undefined) throw invalidInput('resource', 'None', 'Mandatory field missing.');
      limit = integer(qo, 'limit', { min: -1, required: true })!;
    }
    await setAlarmQuota(logic.ctx, projectId, limit);
    reply.code(201);
    return quotaView(projectId, limit);
  });

  app.delete('/quotas', async (req, reply) => {
    callerOf(req.auth, 'admin');
    const projectId = text(req.query as Record<string, unknown>, 'project_id', true)!;
    await logic.ctx.quotas.delete(projectId);
    reply.code(204).send();
  });
}
