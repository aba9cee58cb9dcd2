import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import type { NewFlavor } from '../logic/flavors.js';
import { authorize } from '../policy.js';
import { body, boolLike, intLike, invalid, name, onlyKeys } from '../schemas/common.js';
import { boolParam, limitParam, nextLink, qp } from '../schemas/queries.js';
import { flavorBrief, flavorDetail } from '../views/resources.js';
import type { ComputeRouteDeps, IdParams } from './deps.js';

type KeyParams = { Params: { id: string; key: string } };

function parseFlavor(raw: unknown): NewFlavor {
  const f = body(raw, 'flavor');
  onlyKeys(f, ['name', 'ram', 'vcpus', 'disk', 'id', 'swap', 'OS-FLV-EXT-DATA:ephemeral', 'rxtx_factor', 'os-flavor-access:is_public', 'description'], 'flavor');
  for (const k of ['name', 'ram', 'vcpus', 'disk']) if (f[k] === undefined) throw invalid(k, `None. '${k}' is a required property`);
  let id: string | null = null;
  if (f.id !== undefined && f.id !== null) {
    id = String(f.id);
    if (!/^(?! )[a-zA-Z0-9. _-]+(?<! )$/.test(id) || id.length > 255) throw invalid('id', `${JSON.stringify(f.id)} is not valid`);
  }
  const rxtx = f.rxtx_factor === undefined ? 1 : Number(f.rxtx_factor);
  if (!Number.isFinite(rxtx) || rxtx <= 0) throw invalid('rxtx_factor', `${JSON.stringify(f.rxtx_factor)} is not valid`);
  return {
    id,
    name: name(f.name),
    ram: intLike(f.ram, 'ram', 1),
    vcpus: intLike(f.vcpus, 'vcpus', 1),
    disk: intLike(f.disk, 'disk', 0),
    swap: f.swap === undefined || f.swap === '' ? 0 : intLike(f.swap, 'swap', 0),
    ephemeral: f['OS-FLV-EXT-DATA:ephemeral'] === undefined ? 0 : intLike(f['OS-FLV-EXT-DATA:ephemeral'], 'OS-FLV-EXT-DATA:ephemeral', 0),
    rxtxFactor: rxtx,
    isPublic: f['os-flavor-access:is_public'] === undefined ? true : boolLike(f['os-flavor-access:is_public'], 'os-flavor-access:is_public'),
  };
}

function extraSpecs(raw: unknown, key = 'extra_specs'): Record<string, string> {
  const specs = body(raw, key);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(specs)) {
    if (!/^[\w.:-]{1,255}$/.test(k)) throw invalid(`${key}/${k}`, 'invalid key');
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw invalid(`${key}/${k}`, `${JSON.stringify(v)} is not of type 'string'`);
    const s = String(v);
    if (s.length > 255) throw invalid(`${key}/${k}`, 'too long');
    out[k] = s;
  }
  return out;
}

/** `is_public` for an admin: true (default), false, or none/all for every flavor. */
function isPublicParam(req: FastifyRequest): boolean | null {
  const v = qp(req.query, 'is_public');
  if (v === undefined) return true;
  if (v.toLowerCase() === 'none' || v.toLowerCase() === 'all') return null;
  return boolParam(req.query, 'is_public') ?? true;
}

function intQuery(req: FastifyRequest, key: string): number | undefined {
  const v = qp(req.query, key);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw badRequest(`Invalid ${key} filter [${v}]`);
  return Number(v);
}

/** Flavors: list, detail, show, create, delete. */
export function flavorRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  const list = (detail: boolean) => async (req: FastifyRequest) => {
    const caller = authorize(req, 'read');
    const limit = limitParam(req.query);
    const q = { isPublic: caller.admin ? isPublicParam(req) : true, minRam: intQuery(req, 'minRam'), minDisk: intQuery(req, 'minDisk'), limit, marker: qp(req.query, 'marker') };
    const flavors = await logic.flavors.list(caller, q);
    const out: Record<string, unknown> = { flavors: flavors.map((f) => (detail ? flavorDetail(f, d.base()) : flavorBrief(f, d.base()))) };
    const last = flavors[flavors.length - 1];
    if (limit !== undefined && last && flavors.length === limit) out.flavors_links = nextLink(`${d.base()}/v2.1/flavors${detail ? '/detail' : ''}`, req.query, limit, last.id);
    return out;
  };
  app.get('/flavors', list(false));
  app.get('/flavors/detail', list(true));
  app.get<IdParams>('/flavors/:id', async (req) => ({ flavor: flavorDetail(await logic.flavors.get(authorize(req, 'read'), req.params.id), d.base()) }));
  app.post('/flavors', async (req) => {
    authorize(req, 'admin');
    return { flavor: flavorDetail(await logic.flavors.create(parseFlavor(req.body)), d.base()) };
  });
  app.delete<IdParams>('/flavors/:id', async (req, reply) => {
    authorize(req, 'admin');
    await logic.flavors.delete(req.params.id);
    reply.code(202).send();
  });

}

/** os-extra_specs and os-flavor-access. */
export function flavorSpecRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get<IdParams>('/flavors/:id/os-extra_specs', async (req) => ({ extra_specs: (await logic.flavors.get(authorize(req, 'read'), req.params.id)).extraSpecs }));
  app.post<IdParams>('/flavors/:id/os-extra_specs', async (req) => {
    authorize(req, 'admin');
    return { extra_specs: await logic.flavors.setExtraSpecs(req.params.id, extraSpecs(req.body)) };
  });
  app.get<KeyParams>('/flavors/:id/os-extra_specs/:key', async (req) => {
    const f = await logic.flavors.get(authorize(req, 'read'), req.params.id);
    if (!(req.params.key in f.extraSpecs)) throw logic.flavors.missingSpec(req.params.id, req.params.key);
    return { [req.params.key]: f.extraSpecs[req.params.key] };
  });
  app.put<KeyParams>('/flavors/:id/os-extra_specs/:key', async (req) => {
    authorize(req, 'admin');
    if (!isObject(req.body)) throw badRequest('The request body must be a JSON object.');
    const specs = extraSpecs({ spec: req.body }, 'spec');
    if (Object.keys(specs).length !== 1) throw badRequest('Request body contains too many items');
    if (!(req.params.key in specs)) throw badRequest('Request body and URI mismatch');
    await logic.flavors.setExtraSpecs(req.params.id, specs);
    return specs;
  });
  app.delete<KeyParams>('/flavors/:id/os-extra_specs/:key', async (req, reply) => {
    authorize(req, 'admin');
    await logic.flavors.deleteExtraSpec(req.params.id, req.params.key);
    reply.code(200).send();
  });

  app.get<IdParams>('/flavors/:id/os-flavor-access', async (req) => {
    authorize(req, 'admin');
    return { flavor_access: (await logic.flavors.accessList(req.params.id)).map((a) => ({ flavor_id: a.flavorId, tenant_id: a.projectId })) };
  });
  app.post<IdParams>('/flavors/:id/action', async (req) => {
    authorize(req, 'admin');
    if (!isObject(req.body)) throw badRequest('The request body must be a JSON object.');
    const add = req.body.addTenantAccess;
    const remove = req.body.removeTenantAccess;
    const arg = add ?? remove;
    if (arg === undefined) throw badRequest(`There is no such action: ${Object.keys(req.body)[0] ?? ''}`);
    if (!isObject(arg) || typeof arg.tenant !== 'string' || !arg.tenant) throw invalid('tenant', "'tenant' is a required property");
    const list = add !== undefined ? await logic.flavors.addAccess(req.params.id, arg.tenant) : await logic.flavors.removeAccess(req.params.id, arg.tenant);
    return { flavor_access: list.map((a) => ({ flavor_id: a.flavorId, tenant_id: a.projectId })) };
  });
}
