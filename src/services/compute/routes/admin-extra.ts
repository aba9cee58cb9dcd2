import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import { FloatingBulk } from '../logic/floating-bulk.js';
import type { Migration } from '../logic/migrations.js';
import { authorize } from '../policy.js';
import { qp } from '../schemas/queries.js';
import type { ComputeRouteDeps, IdParams } from './deps.js';

/** Nova's datetime text: microseconds, no zone. */
const dbTime = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000'));
/** Nova's internal flavor ids are integers; a flavor id that is not a number has none to show. */
const flavorInt = (id: string) => (/^\d+$/.test(id) ? Number(id) : null);

function migrationView(m: Migration & { shownStatus: string }) {
  return {
    id: Number(m.id),
    status: m.shownStatus,
    instance_uuid: m.serverId,
    source_node: m.sourceNode,
    source_compute: m.sourceHost,
    dest_node: m.destNode,
    dest_compute: m.destHost,
    dest_host: null,
    old_instance_type_id: flavorInt(m.oldFlavorId),
    new_instance_type_id: flavorInt(m.newFlavorId),
    created_at: dbTime(m.createdAt),
    updated_at: dbTime(m.updatedAt),
  };
}

/** os-migrations (admin): the resizes of this cloud, newest first, filtered by host, status or instance. */
export function migrationRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  app.get('/os-migrations', async (req) => {
    authorize(req, 'admin');
    const host = qp(req.query, 'host');
    const status = qp(req.query, 'status');
    const serverId = qp(req.query, 'instance_uuid');
    const list = await d.logic.migrations.list({ ...(host ? { host } : {}), ...(status ? { status } : {}), ...(serverId ? { serverId } : {}) }, (id) => d.logic.servers.get(id));
    return { migrations: list.map(migrationView) };
  });
}

/** os-floating-ips-bulk (admin): see FloatingBulk. */
export function floatingBulkRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const bulk = new FloatingBulk(d.logic.ctx);
  const info = async () =>
    (await bulk.list()).map((a) => ({ address: a.id, instance_uuid: null, interface: a.interface, pool: a.pool, project_id: null, fixed_ip: null }));
  app.get('/os-floating-ips-bulk', async (req) => {
    authorize(req, 'admin');
    return { floating_ip_info: await info() };
  });
  // By host: these addresses are never on a host.
  app.get<IdParams>('/os-floating-ips-bulk/:id', async (req) => {
    authorize(req, 'admin');
    return { floating_ip_info: [] };
  });
  const range = (b: unknown, key: string): { range: string; o: Record<string, unknown> } => {
    const o = isObject(b) ? b[key] : undefined;
    if (!isObject(o)) throw badRequest(`Invalid input for field/attribute ${key}. Value: None. '${key}' is a required property`);
    if (typeof o.ip_range !== 'string') throw badRequest(`Invalid input for field/attribute ip_range. Value: ${JSON.stringify(o.ip_range)}. 'ip_range' is a required property`);
    return { range: o.ip_range, o };
  };
  app.post('/os-floating-ips-bulk', async (req) => {
    authorize(req, 'admin');
    const { range: r, o } = range(req.body, 'floating_ips_bulk_create');
    const str = (v: unknown, f: string) => {
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || !v || v.length > 255) throw badRequest(`Invalid input for field/attribute ${f}. Value: ${JSON.stringify(v)}. It must be a string of 1 to 255 characters`);
      return v;
    };
    const made = await bulk.create(r, str(o.pool, 'pool'), str(o.interface, 'interface'));
    return { floating_ips_bulk_create: { ip_range: r, pool: made.pool, interface: made.interface } };
  });
  app.put<IdParams>('/os-floating-ips-bulk/:id', async (req) => {
    authorize(req, 'admin');
    if (req.params.id !== 'delete') throw badRequest('Unknown action');
    const { range: r } = isObject(req.body) && typeof req.body.ip_range === 'string' ? { range: req.body.ip_range } : { range: undefined };
    if (r === undefined) throw badRequest("Invalid input for field/attribute ip_range. Value: None. 'ip_range' is a required property");
    await bulk.delete(r);
    return { floating_ips_bulk_delete: r };
  });
}
