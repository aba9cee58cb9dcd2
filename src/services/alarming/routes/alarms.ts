import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AlarmingLogic } from '../logic/index.js';
import { callerOf } from '../policy.js';
import { alarmBody, stateBody } from '../schemas/alarm.js';
import { ALARM_SORT_KEYS, CHANGE_SORT_KEYS, pageOf, simpleFilters } from '../schemas/list.js';
import { alarmView, changeView } from '../views/alarm.js';

type IdParams = { Params: { id: string } };

/** A bare JSON string (the state endpoints answer `"ok"`, not an object). */
function jsonString(reply: FastifyReply, s: string) {
  return reply.type('application/json').send(JSON.stringify(s));
}

/** `/v2/alarms` and `/v2/alarms/{id}[/state|/history]`. */
export function alarmRoutes(app: FastifyInstance, logic: AlarmingLogic, root: () => string): void {
  const view = (a: Parameters<typeof alarmView>[0]) => alarmView(a, logic.evaluator.evaluatedAt.get(a.id));

  app.get('/alarms', async (req) => {
    const c = callerOf(req.auth, 'read');
    const items = await logic.alarms.list(c, simpleFilters(req.query), pageOf(req.query, ALARM_SORT_KEYS));
    return items.map(view);
  });

  app.post('/alarms', async (req, reply) => {
    const c = callerOf(req.auth, 'write');
    const a = await logic.alarms.create(c, alarmBody(req.body));
    reply.code(201).header('location', `${root()}/v2/alarms/${a.id}`);
    return view(a);
  });

  app.get<IdParams>('/alarms/:id', async (req) => view(await logic.alarms.visible(callerOf(req.auth, 'read'), req.params.id)));

  app.put<IdParams>('/alarms/:id', async (req) => {
    const c = callerOf(req.auth, 'write');
    await logic.alarms.visible(c, req.params.id); // 404 before validating, as Aodh
    return view(await logic.alarms.update(c, req.params.id, alarmBody(req.body)));
  });

  app.delete<IdParams>('/alarms/:id', async (req, reply) => {
    await logic.alarms.delete(callerOf(req.auth, 'write'), req.params.id);
    reply.code(204).send();
  });

  app.get<IdParams>('/alarms/:id/state', async (req, reply) => {
    const a = await logic.alarms.visible(callerOf(req.auth, 'read'), req.params.id);
    return jsonString(reply, a.state);
  });

  app.put<IdParams>('/alarms/:id/state', async (req, reply) => {
    const c = callerOf(req.auth, 'write');
    await logic.alarms.visible(c, req.params.id);
    return jsonString(reply, await logic.alarms.setState(c, req.params.id, stateBody(req.body)));
  });

  app.get<IdParams>('/alarms/:id/history', async (req) => {
    const c = callerOf(req.auth, 'read');
    await logic.alarms.visible(c, req.params.id);
    const items = await logic.history.forAlarm(c, req.params.id, simpleFilters(req.query), pageOf(req.query, CHANGE_SORT_KEYS));
    return items.map(changeView);
  });

  app.post('/query/alarms', async (req) => (await logic.alarms.query(callerOf(req.auth, 'read'), req.body)).map(view));

  app.post('/query/alarms/history', async (req) => (await logic.history.search(callerOf(req.auth, 'read'), req.body)).map(changeView));
}
