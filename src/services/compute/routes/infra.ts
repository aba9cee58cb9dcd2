import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { INTERNAL_ZONE } from '../logic/models.js';
import { authorize, requireOwnProject } from '../policy.js';
import { body, onlyKeys, optString } from '../schemas/common.js';
import { boolParam, isoTime, qp } from '../schemas/queries.js';
import { hypervisorBrief, hypervisorDetail, serviceView, usageView } from '../views/resources.js';
import type { ComputeRouteDeps, IdParams } from './deps.js';

/** Nova's usage window: `start`/`end` ISO times, both defaulting to now. */
function window(req: FastifyRequest, now: number): { start: number; stop: number } {
  const parse = (key: string) => {
    const v = qp(req.query, key);
    return v === undefined ? now : isoTime(v, key);
  };
  const start = parse('start');
  const stop = parse('end');
  if (start > stop) throw badRequest('Invalid start time. The start time cannot occur after the end time.');
  return { start, stop };
}

/** os-availability-zone. */
export function azRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get('/os-availability-zone', async (req) => {
    authorize(req, 'read');
    return { availabilityZoneInfo: (await logic.zones()).map((zoneName) => ({ zoneName, zoneState: { available: true }, hosts: null })) };
  });
  app.get('/os-availability-zone/detail', async (req) => {
    authorize(req, 'admin');
    const services = await logic.infra.listServices({});
    const zones = new Map<string, Record<string, Record<string, unknown>>>([[INTERNAL_ZONE, {}]]);
    for (const s of services) {
      const zone = s.zone === INTERNAL_ZONE ? INTERNAL_ZONE : await logic.aggregates.zoneOf(s.host);
      const hosts = zones.get(zone) ?? {};
      hosts[s.host] = { ...(hosts[s.host] ?? {}), [s.binary]: { available: !s.disabled, active: true, updated_at: new Date(s.updatedAt).toISOString().replace('Z', '000') } };
      zones.set(zone, hosts);
    }
    return { availabilityZoneInfo: [...zones].map(([zoneName, hosts]) => ({ zoneName, zoneState: { available: true }, hosts })) };
  });

}

/** os-hypervisors (admin). */
export function hypervisorRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get('/os-hypervisors', async (req) => {
    authorize(req, 'admin');
    return { hypervisors: (await logic.infra.hypervisors()).map(hypervisorBrief) };
  });
  app.get('/os-hypervisors/detail', async (req) => {
    authorize(req, 'admin');
    return { hypervisors: (await logic.infra.hypervisors()).map(hypervisorDetail) };
  });
  app.get('/os-hypervisors/statistics', async (req) => {
    authorize(req, 'admin');
    const all = (await logic.infra.hypervisors()).map(hypervisorDetail);
    const sum = (k: keyof (typeof all)[number]) => all.reduce((n, h) => n + (h[k] as number), 0);
    const keys = ['current_workload', 'disk_available_least', 'free_disk_gb', 'free_ram_mb', 'local_gb', 'local_gb_used', 'memory_mb', 'memory_mb_used', 'running_vms', 'vcpus', 'vcpus_used'] as const;
    return { hypervisor_statistics: { count: all.length, ...Object.fromEntries(keys.map((k) => [k, sum(k)])) } };
  });
  app.get<IdParams>('/os-hypervisors/:id', async (req) => {
    authorize(req, 'admin');
    return { hypervisor: hypervisorDetail(await logic.infra.hypervisor(req.params.id)) };
  });
  app.get<IdParams>('/os-hypervisors/:id/uptime', async (req) => {
    authorize(req, 'admin');
    const h = await logic.infra.hypervisor(req.params.id);
    const up = Math.floor(process.uptime());
    return { hypervisor: { ...hypervisorBrief(h), uptime: ` ${new Date().toISOString().slice(11, 19)} up ${Math.floor(up / 60)} min,  1 user,  load average: 0.00, 0.00, 0.00` } };
  });
  for (const suffix of ['search', 'servers'] as const) {
    app.get<IdParams>(`/os-hypervisors/:id/${suffix}`, async (req) => {
      authorize(req, 'admin');
      const found = (await logic.infra.hypervisors()).filter((h) => h.provider.name.includes(req.params.id));
      if (!found.length) throw logic.infra.noHypervisor(req.params.id);
      return { hypervisors: found.map((h) => ({ ...hypervisorBrief(h), ...(suffix === 'servers' ? { servers: h.servers.map((s) => ({ uuid: s.id, name: s.name })) } : {}) })) };
    });
  }

}

/** os-services (admin). */
export function serviceRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get('/os-services', async (req) => {
    authorize(req, 'admin');
    const filter: { host?: string; binary?: string } = {};
    const host = qp(req.query, 'host');
    const binary = qp(req.query, 'binary');
    if (host !== undefined) filter.host = host;
    if (binary !== undefined) filter.binary = binary;
    return { services: (await logic.infra.listServices(filter)).map(serviceView) };
  });
  for (const op of ['enable', 'disable', 'disable-log-reason'] as const) {
    app.put(`/os-services/${op}`, async (req) => {
      authorize(req, 'admin');
      const b = body({ service: req.body }, 'service');
      onlyKeys(b, ['host', 'binary', 'disabled_reason'], 'body');
      const host = optString(b, 'host');
      const binary = optString(b, 'binary');
      if (!host || !binary) throw badRequest("'host' and 'binary' are required.");
      const reason = op === 'disable-log-reason' ? (optString(b, 'disabled_reason') ?? '') : null;
      const s = await logic.infra.setService(host, binary, op !== 'enable', reason);
      return { service: { host: s.host, binary: s.binary, status: s.disabled ? 'disabled' : 'enabled', ...(reason !== null ? { disabled_reason: reason } : {}) } };
    });
  }
  app.delete<IdParams>('/os-services/:id', async (req, reply) => {
    authorize(req, 'admin');
    if (!/^\d+$/.test(req.params.id)) throw logic.infra.noService(req.params.id);
    await logic.infra.deleteService(Number(req.params.id));
    reply.code(204).send();
  });

}

/** os-simple-tenant-usage. */
export function usageRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get('/os-simple-tenant-usage', async (req) => {
    authorize(req, 'admin');
    // `/os-simple-tenant-usage/` is a show with an empty tenant id, which Nova answers 404.
    if (/\/os-simple-tenant-usage\/(\?|$)/.test(req.url)) throw logic.infra.noTenant('');
    const { start, stop } = window(req, Date.now());
    const detailed = boolParam(req.query, 'detailed') ?? false;
    return { tenant_usages: (await logic.infra.usage(start, stop)).map((t) => usageView(t, detailed)) };
  });
  app.get<IdParams>('/os-simple-tenant-usage/:id', async (req) => {
    const caller = authorize(req, 'read');
    requireOwnProject(caller, req.params.id);
    const { start, stop } = window(req, Date.now());
    const [t] = await logic.infra.usage(start, stop, req.params.id);
    if (!t) return { tenant_usage: {} };
    return { tenant_usage: usageView(t, true) };
  });
}
