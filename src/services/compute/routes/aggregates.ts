import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import type { Aggregate } from '../logic/models.js';
import { authorize } from '../policy.js';
import { body, invalid, name, onlyKeys } from '../schemas/common.js';
import type { ComputeRouteDeps, IdParams } from './deps.js';

function usec(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

function view(a: Aggregate, full = true) {
  const out: Record<string, unknown> = {
    id: a.seq,
    name: a.name,
    availability_zone: a.availabilityZone,
    created_at: usec(a.createdAt),
    updated_at: usec(a.updatedAt),
    deleted: false,
    deleted_at: null,
  };
  if (full) Object.assign(out, { hosts: [...a.hosts], metadata: { ...a.metadata } });
  return out;
}

function zone(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !v.trim() || v.length > 255 || v.includes(':')) throw invalid('availability_zone', `${JSON.stringify(v)} is not a valid zone name`);
  return v;
}

function host(b: unknown, action: string): string {
  if (!isObject(b) || typeof b.host !== 'string' || !b.host) throw invalid(`${action}/host`, "'host' is a required property");
  return b.host;
}

/** os-aggregates (admin): host groups and availability zones. */
export function aggregateRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const agg = d.logic.aggregates;
  app.get('/os-aggregates', async (req) => {
    authorize(req, 'admin');
    return { aggregates: (await agg.list()).map((a) => view(a)) };
  });
  app.post('/os-aggregates', async (req) => {
    authorize(req, 'admin');
    const b = body(req.body, 'aggregate');
    onlyKeys(b, ['name', 'availability_zone'], 'aggregate');
    return { aggregate: view(await agg.create(name(b.name), zone(b.availability_zone)), false) };
  });
  app.get<IdParams>('/os-aggregates/:id', async (req) => {
    authorize(req, 'admin');
    return { aggregate: view(await agg.get(req.params.id)) };
  });
  app.put<IdParams>('/os-aggregates/:id', async (req) => {
    authorize(req, 'admin');
    const b = body(req.body, 'aggregate');
    onlyKeys(b, ['name', 'availability_zone'], 'aggregate');
    if (b.name === undefined && b.availability_zone === undefined) throw badRequest("Invalid input for field/attribute aggregate: one of 'name' or 'availability_zone' is required");
    const patch: { name?: string; zone?: string | null } = {};
    if (b.name !== undefined) patch.name = name(b.name);
    if (b.availability_zone !== undefined) patch.zone = zone(b.availability_zone);
    return { aggregate: view(await agg.update(req.params.id, patch)) };
  });
  app.delete<IdParams>('/os-aggregates/:id', async (req, reply) => {
    authorize(req, 'admin');
    await agg.delete(req.params.id);
    reply.code(200).send();
  });
  app.post<IdParams>('/os-aggregates/:id/action', async (req) => {
    authorize(req, 'admin');
    const b = isObject(req.body) ? req.body : {};
    if ('add_host' in b) return { aggregate: view(await agg.addHost(req.params.id, host(b.add_host, 'add_host'))) };
    if ('remove_host' in b) return { aggregate: view(await agg.removeHost(req.params.id, host(b.remove_host, 'remove_host'))) };
    if ('set_metadata' in b) {
      const m = isObject(b.set_metadata) ? b.set_metadata.metadata : undefined;
      if (!isObject(m)) throw invalid('set_metadata/metadata', "'metadata' is a required property");
      const items: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(m)) {
        if (!k || k.length > 255 || (v !== null && typeof v !== 'string') || (typeof v === 'string' && v.length > 255)) throw invalid(`set_metadata/metadata/${k}`, `${JSON.stringify(v)} is not valid`);
        items[k] = v as string | null;
      }
      return { aggregate: view(await agg.setMetadata(req.params.id, items)) };
    }
    throw badRequest(`There is no such action: ${Object.keys(b)[0] ?? ''}`);
  });
}
