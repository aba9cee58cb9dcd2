import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import type { GroupPolicy } from '../logic/models.js';
import { isQuotaResource, type Amounts } from '../logic/quotas.js';
import { authorize, requireOwnProject } from '../policy.js';
import { body, intLike, invalid, name, onlyKeys } from '../schemas/common.js';
import { boolParam, qp } from '../schemas/queries.js';
import { groupView, quotaView } from '../views/resources.js';
import type { ComputeRouteDeps, IdParams } from './deps.js';

const POLICIES: GroupPolicy[] = ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'];

function parseGroup(raw: unknown): { name: string; policy: GroupPolicy } {
  const g = body(raw, 'server_group');
  onlyKeys(g, ['name', 'policies'], 'server_group');
  const policies = g.policies;
  if (!Array.isArray(policies) || policies.length !== 1 || !POLICIES.includes(policies[0] as GroupPolicy))
    throw invalid('policies', `${JSON.stringify(policies)}. Exactly one of ${POLICIES.join(', ')} is required`);
  return { name: name(g.name), policy: policies[0] as GroupPolicy };
}

function parseQuotas(raw: unknown): Amounts {
  const q = body(raw, 'quota_set');
  const out: Amounts = {};
  for (const [k, v] of Object.entries(q)) {
    if (k === 'force' || k === 'id') continue;
    if (!isQuotaResource(k)) throw badRequest(`Invalid input for field/attribute quota_set. Additional properties are not allowed ('${k}' was unexpected)`);
    out[k] = intLike(v, k, -1);
  }
  return out;
}

/** os-server-groups. */
export function groupRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get('/os-server-groups', async (req) => {
    const caller = authorize(req, 'read');
    return { server_groups: (await logic.groups.list(caller, boolParam(req.query, 'all_projects') ?? false)).map(groupView) };
  });
  app.post('/os-server-groups', async (req) => {
    const caller = authorize(req, 'write');
    const g = parseGroup(req.body);
    return { server_group: groupView(await logic.groups.create(caller, g.name, g.policy)) };
  });
  app.get<IdParams>('/os-server-groups/:id', async (req) => ({ server_group: groupView(await logic.groups.get(authorize(req, 'read'), req.params.id)) }));
  app.delete<IdParams>('/os-server-groups/:id', async (req, reply) => {
    await logic.groups.delete(authorize(req, 'write'), req.params.id);
    reply.code(204).send();
  });

}

/** os-quota-sets and os-quota-class-sets. */
export function quotaRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get<IdParams>('/os-quota-sets/:id', async (req) => {
    const caller = authorize(req, 'read');
    requireOwnProject(caller, req.params.id);
    return { quota_set: quotaView(await logic.quotas.limits(req.params.id), req.params.id) };
  });
  app.get<IdParams>('/os-quota-sets/:id/detail', async (req) => {
    const caller = authorize(req, 'read');
    requireOwnProject(caller, req.params.id);
    const limits = await logic.quotas.limits(req.params.id);
    const used = await logic.quotas.serverUsage(req.params.id);
    const detail: Record<string, unknown> = { id: req.params.id };
    for (const [k, v] of Object.entries(limits)) detail[k] = { limit: v, in_use: (used as unknown as Record<string, number>)[k] ?? 0, reserved: 0 };
    return { quota_set: detail };
  });
  app.get<IdParams>('/os-quota-sets/:id/defaults', async (req) => {
    authorize(req, 'read');
    return { quota_set: quotaView(await logic.quotas.defaults(), req.params.id) };
  });
  app.put<IdParams>('/os-quota-sets/:id', async (req) => {
    authorize(req, 'admin');
    return { quota_set: quotaView(await logic.quotas.update(req.params.id, parseQuotas(req.body))) };
  });
  app.delete<IdParams>('/os-quota-sets/:id', async (req, reply) => {
    authorize(req, 'admin');
    await logic.quotas.reset(req.params.id);
    reply.code(202).send();
  });
  app.get<IdParams>('/os-quota-class-sets/:id', async (req) => {
    authorize(req, 'read');
    return { quota_class_set: quotaView(await logic.quotas.defaults(), req.params.id) };
  });
  app.put<IdParams>('/os-quota-class-sets/:id', async (req) => {
    authorize(req, 'admin');
    const b = isObject(req.body) ? { quota_set: req.body.quota_class_set } : req.body;
    return { quota_class_set: quotaView(await logic.quotas.updateDefaults(parseQuotas(b))) };
  });

}

/** limits: the quotas and what the project uses. */
export function limitRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get('/limits', async (req) => {
    const caller = authorize(req, 'read');
    const project = qp(req.query, 'tenant_id') ?? caller.projectId;
    requireOwnProject(caller, project);
    const [limits, used, groups] = await Promise.all([logic.quotas.limits(project), logic.quotas.serverUsage(project), logic.groups.list({ ...caller, projectId: project }, false)]);
    return {
      limits: {
        rate: [],
        absolute: {
          maxImageMeta: 128,
          maxPersonality: limits.injected_files,
          maxPersonalitySize: limits.injected_file_content_bytes,
          maxSecurityGroupRules: limits.security_group_rules,
          maxSecurityGroups: limits.security_groups,
          maxServerMeta: limits.metadata_items,
          maxTotalCores: limits.cores,
          maxTotalFloatingIps: limits.floating_ips,
          maxTotalInstances: limits.instances,
          maxTotalKeypairs: limits.key_pairs,
          maxTotalRAMSize: limits.ram,
          maxServerGroups: limits.server_groups,
          maxServerGroupMembers: limits.server_group_members,
          totalCoresUsed: used.cores,
          totalFloatingIpsUsed: 0,
          totalInstancesUsed: used.instances,
          totalRAMUsed: used.ram,
          totalSecurityGroupsUsed: 0,
          totalServerGroupsUsed: groups.length,
        },
      },
    };
  });
}
