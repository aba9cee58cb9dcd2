import type { FastifyInstance } from 'fastify';
import { badRequest, forbidden } from '../../../core/errors.js';
import { isObject, q } from '../../../core/validate.js';
import type { BlockStorage } from '../logic/index.js';
import { AVAILABILITY_ZONE, QUOTA_RESOURCES, type Caller, type QuotaResource, type TypedResource } from '../logic/models.js';
import type { QuotaPatch } from '../logic/quotas.js';
import { callerOf } from '../policy.js';
import { boolOf } from '../schemas/common.js';
import { absoluteLimitsView, EXTENSIONS, quotaSetView, quotaUsageView, type TypeRef } from '../views/misc.js';
import type { IdParams, VolumeRouteDeps } from './deps.js';

/** Members and readers see their own project's quotas; admins any project's. */
function quotaReader(c: Caller, projectId: string): void {
  if (!c.admin && c.projectId !== projectId) throw forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.");
}

/**
 * The body of PUT os-quota-sets / os-quota-class-sets: integers (or integer strings) per
 * resource; `volumes_<type>`, `gigabytes_<type>` and `snapshots_<type>` name an existing type.
 */
export async function quotaPatch(bs: BlockStorage, body: unknown, key = 'quota_set'): Promise<QuotaPatch> {
  if (!isObject(body) || !isObject(body[key])) throw badRequest(`Missing required element '${key}' in request body.`);
  const patch: QuotaPatch = { limits: {}, typeLimits: {} };
  const types = new Map((await bs.types.repo.list()).map((t) => [t.name, t.id]));
  for (const [k, v] of Object.entries(body[key])) {
    if (k === 'tenant_id' || k === 'id' || k === 'class_name') continue;
    const typed = /^(volumes|gigabytes|snapshots)_(.+)$/.exec(k);
    const typeId = typed ? types.get(typed[2]!) : undefined;
    if (!QUOTA_RESOURCES.includes(k as QuotaResource) && typeId === undefined) throw badRequest(`Bad key(s) in quota set: ${k.slice(0, 60)}`);
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n)) throw badRequest(`Invalid input received: Quota limit for ${k.slice(0, 60)} must be an integer.`);
    if (typeId !== undefined && typed) patch.typeLimits[typeId] = { ...(patch.typeLimits[typeId] ?? {}), [typed[1] as TypedResource]: n };
    else patch.limits[k as QuotaResource] = n;
  }
  return patch;
}

/** Every volume type, as the quota views list them. */
export async function quotaTypes(bs: BlockStorage): Promise<TypeRef[]> {
  return (await bs.types.repo.list()).map((t) => ({ id: t.id, name: t.name }));
}

export function miscRoutes(app: FastifyInstance, { bs }: VolumeRouteDeps): void {
  app.get('/os-availability-zone', async (req) => {
    callerOf(req.auth, 'read', 'volume_extension:availability_zone_list');
    return { availabilityZoneInfo: [{ zoneName: AVAILABILITY_ZONE, zoneState: { available: true } }] };
  });

  app.get('/limits', async (req) => {
    const c = callerOf(req.auth, 'read', 'limits_extension:used_limits');
    const [limits, used] = await Promise.all([bs.quotas.limits(c.projectId), bs.quotas.usage(c.projectId)]);
    return { limits: { rate: [], absolute: absoluteLimitsView(limits, used) } };
  });

  app.get('/extensions', async (req) => {
    callerOf(req.auth, 'read', 'volume_extension:extensions');
    return { extensions: EXTENSIONS };
  });

  app.get<IdParams>('/os-quota-sets/:id', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume_extension:quotas:show');
    quotaReader(c, req.params.id);
    const usage = q(req.query, 'usage');
    const [limits, typeLimits, types] = await Promise.all([bs.quotas.limits(req.params.id), bs.quotas.typeLimits(req.params.id), quotaTypes(bs)]);
    if (usage !== undefined && boolOf(usage, 'usage')) {
      return { quota_set: quotaUsageView(req.params.id, limits, typeLimits, types, await bs.quotas.usage(req.params.id)) };
    }
    return { quota_set: quotaSetView(req.params.id, limits, typeLimits, types) };
  });

  app.get<IdParams>('/os-quota-sets/:id/defaults', async (req) => {
    callerOf(req.auth, 'read', 'volume_extension:quotas:show');
    const [limits, typeLimits, types] = await Promise.all([bs.quotas.defaults(), bs.quotas.typeDefaults(), quotaTypes(bs)]);
    return { quota_set: quotaSetView(req.params.id, limits, typeLimits, types) };
  });

  app.put<IdParams>('/os-quota-sets/:id', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:quotas:update');
    const r = await bs.quotas.update(req.params.id, await quotaPatch(bs, req.body));
    return { quota_set: quotaSetView(undefined, r.limits, r.typeLimits, await quotaTypes(bs)) };
  });

  app.delete<IdParams>('/os-quota-sets/:id', async (req, reply) => {
    callerOf(req.auth, 'admin', 'volume_extension:quotas:delete');
    await bs.quotas.reset(req.params.id);
    reply.code(200).send();
  });
}
