import type { FastifyInstance } from 'fastify';
import { StratusError } from '../../../core/errors.js';
import { q } from '../../../core/validate.js';
import { AVAILABILITY_ZONE } from '../logic/models.js';
import { VOLUME_HOST } from '../logic/services.js';
import { callerOf } from '../policy.js';
import { boolOf } from '../schemas/common.js';
import { quotaSetView } from '../views/misc.js';
import type { VolumeRouteDeps } from './deps.js';
import { quotaPatch, quotaTypes } from './misc.js';
import { BACKEND } from './services.js';

/** The pool of this cloud's one volume backend. */
const POOL = `${VOLUME_HOST}#file`;

/** Admin views of the backend: hosts, pools and quota classes. */
export function adminRoutes(app: FastifyInstance, { bs }: VolumeRouteDeps): void {
  app.get('/os-hosts', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:hosts');
    const host = (service: string, name: string) => ({ service, host_name: name, zone: AVAILABILITY_ZONE, 'service-status': 'available', 'service-state': 'enabled', 'last-update': null });
    return { hosts: [host('cinder-scheduler', 'stratus'), host('cinder-volume', VOLUME_HOST)] };
  });

  app.get<{ Params: { host: string } }>('/os-hosts/:host', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:hosts');
    if (req.params.host !== VOLUME_HOST) throw new StratusError('NotFound', `Host ${req.params.host} could not be found.`, 'HostNotFound');
    const [volumes, snapshots] = await Promise.all([bs.volumes.repo.list(), bs.snapshots.repo.list()]);
    const projects = [...new Set([...volumes, ...snapshots].map((r) => r.projectId))];
    const resource = (project: string, vs: typeof volumes, ss: typeof snapshots) => ({
      resource: {
        project,
        host: VOLUME_HOST,
        volume_count: String(vs.length),
        total_volume_gb: String(vs.reduce((n, v) => n + v.size, 0)),
        snapshot_count: String(ss.length),
        total_snapshot_gb: String(ss.reduce((n, s) => n + s.size, 0)),
      },
    });
    return {
      host: [
        resource('(total)', volumes, snapshots),
        ...projects.map((p) => resource(p, volumes.filter((v) => v.projectId === p), snapshots.filter((s) => s.projectId === p))),
      ],
    };
  });

  app.get('/scheduler-stats/get_pools', async (req) => {
    callerOf(req.auth, 'admin', 'scheduler_extension:scheduler_stats:get_pools');
    const detail = q(req.query, 'detail');
    if (detail === undefined || !boolOf(detail, 'detail')) return { pools: [{ name: POOL }] };
    const capabilities = {
      ...BACKEND,
      total_capacity_gb: 'unknown',
      free_capacity_gb: 'unknown',
      reserved_percentage: 0,
      QoS_support: false,
      timestamp: null,
    };
    return { pools: [{ name: POOL, capabilities }] };
  });

  app.get<{ Params: { name: string } }>('/os-quota-class-sets/:name', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:quota_classes');
    const [limits, typeLimits, types] = await Promise.all([bs.quotas.defaults(req.params.name), bs.quotas.typeDefaults(req.params.name), quotaTypes(bs)]);
    return { quota_class_set: quotaSetView(req.params.name, limits, typeLimits, types) };
  });

  app.put<{ Params: { name: string } }>('/os-quota-class-sets/:name', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:quota_classes');
    const r = await bs.quotas.updateClass(req.params.name, await quotaPatch(bs, req.body, 'quota_class_set'));
    return { quota_class_set: quotaSetView(undefined, r.limits, r.typeLimits, await quotaTypes(bs)) };
  });
}
